// Package sigma is Vedetta's own Sigma rule engine: a parser for Sigma
// rules and correlation rules (specification v2.1.0), a compiler to an
// indexed matcher that does not allocate per event, a loader for rule
// trees, and a correlation engine.
//
// # Use
//
//	rs, errs := sigma.LoadDir(dir, &sigma.Config{Fields: sigma.ECSFields})
//	m := rs.NewMatcher()              // one per goroutine
//	c := rs.NewCorrelator(sigma.CorrelatorConfig{})
//	ev := sigma.ECS{E: e}             // or sigma.Map(decodedJSON)
//	hits := m.Match(ev, sigma.RouteECS(ev))
//	alerts := c.Process(ev, e.Observed, hits)
//
// A Ruleset is read-only after NewRuleset/LoadDir and may be shared; a
// Matcher or Correlator belongs to one goroutine. Check and TestEvents back
// the "vedetta sigma check" and "vedetta sigma test" commands.
//
// # Events and field names
//
// Rules match an Event: Get(field) returning a flat field's value, and
// Keywords for keyword selections. Map adapts decoded JSON (raw Windows
// names such as Image, EventID; numbers may be float64 or strings), and
// FlattenWindows turns the EVTX-as-JSON shape ({"Event":{"System",
// "EventData"}}) into it. ECS adapts *event.Event; Keywords then searches
// "message", "event.original" and the raw record, while for Map it
// searches every string value. Keyword values match anywhere in the text
// (as if wrapped in *).
//
// Field names are matched case-sensitively, as the specification says:
// "image" does not find "Image". Windows exports differ in the case of
// values (Channel "security" vs "Security"), not of names, and values are
// compared case-insensitively anyway; routing compares Channel
// case-insensitively too.
//
// Config.Fields maps rule field names to event fields, tried in order
// until one is present. ECSFields maps Sigma's Windows names to Vedetta's
// ECS events: first the verbatim winlog.event_data.<Field> that
// internal/normalize keeps (Sigma rules are written against those values:
// User is "DOMAIN\name"), then the ECS field, so a rule also runs on
// sources that only fill ECS:
//
//	Image → process.executable          CommandLine → process.command_line
//	ParentImage → process.parent.executable
//	ParentCommandLine → process.parent.command_line
//	User → user.name                    TargetUserName → user.target.name
//	IpAddress, SourceIp → source.ip     DestinationIp → destination.ip
//	DestinationPort → destination.port  TargetFilename → file.path
//	TargetObject → registry.path        QueryName → dns.question.name
//	EventID → winlog.event_id           Channel → winlog.channel
//	Computer → winlog.computer_name, host.name
//
// Other undotted names map to winlog.event_data.<Field>; dotted names are
// taken to be ECS already.
//
// # Logsource routing
//
// Rules are grouped by their (product, category, service); an event is
// evaluated only against groups whose named fields all equal the event's
// Source. RouteWindows derives it from raw Windows events: product
// windows, service from Channel (Security → security, Sysmon → sysmon,
// PowerShell → powershell, …), categories from the Sysmon event id (1
// process_creation, 3 network_connection, 11 file_event, 13 registry_set
// and registry_event, …), Security 4688 process_creation and 5156
// network_connection, PowerShell 4104 ps_script and 4103 ps_module.
// RouteECS does the same from winlog.channel/winlog.event_id, and for
// other events uses host.os.type (or "linux" for syslog records),
// process.name for the Linux service (sshd → sshd, auth and syslog; sudo →
// sudo, auth and syslog) and event.category/event.type for the category
// (process+start → process_creation, network+connection →
// network_connection, file+creation → file_event, web → webserver, …).
// AllSources disables routing.
//
// # Matching semantics
//
// Values compare as case-insensitive strings unless |cased; numbers in
// events are formatted (4688.0 → "4688"); a list-valued field matches when
// any element does. Folding is per rune with unicode.ToLower, mapping runes
// whose case orbit contains an ASCII letter (KELVIN SIGN) to that letter,
// so folded text agrees with regexp (?i). |re uses Go's RE2 syntax (the
// spec's restricted PCRE subset fits in it); a rule using anything else is
// rejected with ErrUnsupported. null matches a missing field or JSON null;
// ” matches only a present empty string. |neq is true when the field is
// present and equals none of the values. Time modifiers read RFC 3339 and
// "2006-01-02 15:04:05.999" times. |expand placeholders come from
// Config.Placeholders; a rule with an unknown one is rejected with
// ErrUnresolvedPlaceholder.
//
// # Compilation and speed
//
// For every rule a set of literals is derived, one of which must occur in
// a field whenever the rule matches (for "and" the most selective child,
// for "or" the union, regular expressions through their required
// literals). Each logsource group has, per field, one Aho-Corasick
// automaton over the literals that may occur anywhere, and two anchored
// tries for those a value must start with (or equal) and end with
// (endswith, the bulk of Image rules), walked from the value's first and
// last byte until no literal continues; an event's field values are
// case-folded once into a reused arena and scanned once, and only the
// rules whose literal was seen (plus the few without literals) are
// evaluated. Long OR
// lists of values inside a rule use their own automaton and hash set.
// ASCII values are scanned without folding (the automaton's byte classes
// merge upper and lower case); bytes that cannot start a literal are
// skipped at the root without a table walk.
// Strings handed out for an event live in the Matcher's arena until the
// next Match call.
//
// # Filters
//
// Filter documents (sigma-filters-specification) are loaded with the rules
// they name: each listed rule's condition becomes "condition and not
// filter-condition", which is how per-tenant exclusions are expressed. The
// filter's logsource is not compared with the rule's. Compiling never
// modifies parsed rules: NewRuleset works on copies, so one parse can feed
// several Rulesets (raw Windows names and ECS, with and without a
// tenant's filters).
//
// # Correlations
//
// Correlator implements event_count, value_count, temporal,
// temporal_ordered, value_sum, value_avg and value_percentile with
// group-by, aliases and chaining. Time comes from the events. Windows
// slide per group; a group whose rule fires is cleared. value_percentile
// compares the percentage of the group's events in the window whose field
// equals the current event's value (the spec's "rare process" example).
// An event lacking a group-by field does not take part. Memory is bounded
// by CorrelatorConfig: at most MaxGroups keys per rule, evicting the least
// recently updated, and MaxEventsPerGroup events per group.
package sigma
