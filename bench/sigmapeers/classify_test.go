package sigmapeers

import (
	"regexp"
	"strings"
)

var placeholderErr = regexp.MustCompile(`can't expand (%[^%]+%)`)

// classify decides a disagreement from the Sigma specification (v2,
// sigma-specification/specification/sigma-rules-specification.md), for
// the causes reviewed so far. Each cause was checked by hand on the
// fixture's example event; a new cause stays "undecided" until reviewed.
func classify(d *disagreement) (right, why string) {
	e := d.SigmaGoError
	switch {
	case d.Ours && strings.Contains(e, "expected scalar field matching value got: <nil>"):
		return "ours", "The rule compares a field with null. The specification defines null as matching a field " +
			"that is absent or null (\"Null values\"), so the filter is simply false for these events, which hold the " +
			"field; the remaining selection matches. sigma-go v0.6.6 cannot evaluate a null value: it returns an " +
			"error and no match."
	case d.Ours && placeholderErr.MatchString(e):
		ph := placeholderErr.FindStringSubmatch(e)[1]
		return "ours", "The value contains " + ph + " without the |expand modifier. The specification expands " +
			"placeholders only under |expand (\"Placeholders\"); otherwise " + ph + " is literal text, here a Windows " +
			"environment variable as typed on a command line, and the event contains it. sigma-go v0.6.6 treats " +
			"every %name% as a placeholder, fails without an expander and reports no match."
	case d.Ours && strings.Contains(e, "must be the last modifier"):
		return "ours", "The rule chains |contains|windash. The specification allows value modifiers to be chained " +
			"(\"Modifiers\": windash creates the dash variants, contains wraps each in wildcards) in any order that " +
			"applies them as a pipeline; the event holds one of the variants. sigma-go v0.6.6 refuses contains " +
			"anywhere but last and reports no match."
	case d.Ours && e == "" && strings.HasSuffix(d.Rule, "posh_pm_alternate_powershell_hosts.yml"):
		return "ours", "selection is ContextInfo|contains: '*'. In Sigma values * is a wildcard unless escaped " +
			"(\"Wildcards\"), so the selection matches any ContextInfo value; the host application here " +
			"(wmiprvse.exe, wsmprovhost.exe, …) is none of the filtered PowerShell hosts, so the rule matches. " +
			"sigma-go v0.6.6 makes the * under contains a literal asterisk, which ContextInfo does not hold."
	case d.Ours && e == "" && strings.HasSuffix(d.Rule, "win_security_lm_namedpipe.yml"):
		return "ours", "ShareName is '\\\\\\\\\\*\\\\IPC$' in the rule: under the specification's escaping " +
			"(\"Escaping\": \\\\ is a backslash, \\* a literal asterisk) it is the text \\\\*\\IPC$, exactly the " +
			"event's ShareName, and PSEXESVC is not among the excluded pipes. sigma-go v0.6.6 reads the escapes " +
			"differently and finds no match."
	}
	return "undecided", "not yet reviewed"
}
