package normalize

import (
	"strconv"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// windowsParser reads Windows event-log records (Security, Sysmon,
// PowerShell and any other channel) exported as one JSON object per line, in
// either of two shapes:
//
//   - winlogbeat: nested "winlog": {"event_id", "channel", "event_data": {...},
//     "computer_name", "provider_name", "record_id"}, "event": {"code"},
//     "host": {"name"}, "@timestamp";
//   - NXLog (im_msvistalog) flat: "EventID", "Channel", "Hostname",
//     "SourceName", "EventTime"/"TimeCreated"/"@timestamp", and every
//     EventData field ("Image", "CommandLine", "TargetUserName", …) at the top
//     level.
//
// Both produce the same ECS event: winlog.event_id and event.code (the event
// ID as a string, as ECS keyword), winlog.channel, winlog.provider_name,
// winlog.computer_name, host.name, message, and every EventData field kept
// under its original name as winlog.event_data.<Name> so that Sigma rules
// written against raw Windows names can still match. On top, the well-known
// fields are mapped to ECS (process.*, user.*, source.*, destination.*,
// file.path, registry.*, dns.question.name, powershell.*) and
// event.category/type/action/outcome are set for the common event IDs
// (Security 4624/4625/4634/4648/4672/4688/4689/4720/4726/4728/4732/4740/
// 4756/4768/4769/4771/4776/1102/5156/5158, Sysmon 1–26, PowerShell
// 4103/4104/800).
type windowsParser struct {
	opts     Options
	fj       flatJSON // winlogbeat shape, into tmp
	nx       flatJSON // NXLog shape, straight into the event with nxRename
	tmp      map[string]any
	dataKeys map[string]string // "Image" → "winlog.event_data.Image"
}

// dataKey returns "winlog.event_data."+k without allocating for known keys.
func (p *windowsParser) dataKey(k string) string {
	if dk, ok := p.dataKeys[k]; ok {
		return dk
	}
	dk := "winlog.event_data." + k
	if p.dataKeys == nil {
		p.dataKeys = make(map[string]string, 128)
	}
	if len(p.dataKeys) < maxInternedKeys {
		p.dataKeys[k] = dk
	}
	return dk
}

func (p *windowsParser) Name() string { return "windows" }

// nxlogEnvelope maps NXLog's record-level keys to ECS/winlog fields; every
// other top-level key is EventData. An empty target drops the key.
var nxlogEnvelope = map[string]string{
	"EventID": "", "Channel": "", "Hostname": "", "Message": "", "@timestamp": "", "TimeCreated": "",
	"EventTime": "", "EventReceivedTime": "", "SourceName": "winlog.provider_name",
	"ProviderGuid": "winlog.provider_guid", "RecordNumber": "winlog.record_id", "Task": "winlog.task",
	"Opcode": "winlog.opcode", "OpcodeValue": "", "Version": "winlog.version", "Keywords": "winlog.keywords",
	"ExecutionProcessID": "winlog.process.pid", "ThreadID": "winlog.process.thread.id",
	"AccountName": "winlog.user.name", "Domain": "winlog.user.domain", "UserID": "winlog.user.identifier",
	"AccountType": "winlog.user.type", "Severity": "log.level", "SeverityValue": "", "EventType": "",
	"EventTypeOrignal": "", "Category": "winlog.task_name", "Level": "", "SourceModuleName": "",
	"SourceModuleType": "", "@version": "", "host": "", "port": "", "tags": "", "ActivityID": "winlog.activity_id",
	"RelatedActivityID": "winlog.related_activity_id",
}

// nxInternal is the key under which the NXLog flattener stores an envelope
// value that Parse reads and then removes (EventID, Channel, Message, …).
func nxInternal(k string) string { return "\x00nx." + k }

// nxDropped lists the internal keys of nxlogEnvelope, removed after Parse.
var nxDropped = func() []string {
	var out []string
	for k, target := range nxlogEnvelope {
		if target == "" {
			out = append(out, nxInternal(k))
		}
	}
	return out
}()

var (
	nxEventID  = nxInternal("EventID")
	nxChannel  = nxInternal("Channel")
	nxHostname = nxInternal("Hostname")
	nxMessage  = nxInternal("Message")
	nxTimes    = [...]string{nxInternal("@timestamp"), nxInternal("TimeCreated"), nxInternal("EventTime")}
)

// nxRename maps a flattened NXLog key to its event field: EventData under
// winlog.event_data.<Name>, envelope keys to their winlog/ECS field or to an
// internal key. flatJSON caches the result per distinct key.
func nxRename(k string) string {
	target, env := nxlogEnvelope[k]
	switch {
	case !env:
		return "winlog.event_data." + k
	case target != "":
		return target
	}
	return nxInternal(k)
}

func (p *windowsParser) Parse(line []byte, ev *event.Event) error {
	begin(ev, line, p.opts)
	src := jsonSource(ev, line)
	var id, channel string
	f := ev.Fields
	if strings.Contains(src, `"winlog":`) || strings.Contains(src, `"winlog" :`) {
		// winlogbeat shape: copy winlog.* and the ECS fields it already has.
		if p.tmp == nil {
			p.tmp = make(map[string]any, 64)
		} else {
			clear(p.tmp)
		}
		if err := p.fj.flatten(src, p.tmp); err != nil {
			return fail(ev, malformed("windows", "%v", err))
		}
		v, ok := p.tmp["winlog.event_id"]
		if !ok {
			v, ok = p.tmp["event.code"]
		}
		if !ok {
			return fail(ev, malformed("windows", "no EventID or winlog.event_id"))
		}
		id = event.ValueString(v)
		for k, v := range p.tmp {
			switch {
			case strings.HasPrefix(k, "winlog."), strings.HasPrefix(k, "host."), strings.HasPrefix(k, "event."),
				strings.HasPrefix(k, "process."), strings.HasPrefix(k, "user."), strings.HasPrefix(k, "source."),
				strings.HasPrefix(k, "destination."), strings.HasPrefix(k, "file."), strings.HasPrefix(k, "log."),
				strings.HasPrefix(k, "agent."), k == "message":
				f[k] = v
			}
		}
		channel = event.ValueString(p.tmp["winlog.channel"])
		if h := event.ValueString(p.tmp["winlog.computer_name"]); h != "" && f["host.name"] == nil {
			f["host.name"] = h
		}
		ev.Observed = parseWinTime(p.tmp["@timestamp"], p.opts.loc())
	} else {
		// NXLog shape: flatten straight into the event, renaming keys.
		p.nx.rename = nxRename
		if err := p.nx.flatten(src, f); err != nil {
			return fail(ev, malformed("windows", "%v", err))
		}
		v, ok := f[nxEventID]
		if !ok {
			return fail(ev, malformed("windows", "no EventID or winlog.event_id"))
		}
		id = event.ValueString(v)
		channel = event.ValueString(f[nxChannel])
		if h := event.ValueString(f[nxHostname]); h != "" {
			f["host.name"] = h
			f["winlog.computer_name"] = h
		}
		if m := event.ValueString(f[nxMessage]); m != "" {
			f["message"] = m
		}
		for _, k := range nxTimes {
			if t := parseWinTime(f[k], p.opts.loc()); !t.IsZero() {
				ev.Observed = t
				break
			}
		}
		for _, k := range nxDropped {
			delete(f, k)
		}
	}
	if id == "" || !allDigits(id) {
		return fail(ev, malformed("windows", "invalid event ID %q", id))
	}
	f["winlog.event_id"] = id
	f["event.code"] = id
	// One type per field whichever the shape: record IDs as strings (ECS
	// keyword), process and thread IDs as integers.
	if v, ok := f["winlog.record_id"]; ok {
		f["winlog.record_id"] = event.ValueString(v)
	}
	for _, k := range [...]string{"winlog.process.pid", "winlog.process.thread.id"} {
		if s, ok := f[k].(string); ok {
			delete(f, k)
			setPID(ev, k, s)
		}
	}
	if channel != "" {
		f["winlog.channel"] = channel
	}
	if ev.Observed.IsZero() {
		if t := parseWinTime(f[p.dataKey("UtcTime")], time.UTC); !t.IsZero() {
			ev.Observed = t
		}
	}
	p.mapWindows(ev, id, strings.ToLower(channel))
	ev.Category = event.CategorySecurity
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func parseWinTime(v any, loc *time.Location) time.Time {
	s, ok := v.(string)
	if !ok || len(s) < 19 {
		return time.Time{}
	}
	if s[10] == 'T' {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t
		}
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", s, loc); err == nil {
		return t
	}
	return time.Time{}
}

// winAction is the ECS classification of one event ID.
type winAction struct {
	category, typ []string
	action        string
	outcome       string
}

var securityActions = map[string]winAction{
	"4624": {[]string{"authentication"}, []string{"start"}, "logged-in", "success"},
	"4625": {[]string{"authentication"}, []string{"start"}, "logon-failed", "failure"},
	"4634": {[]string{"authentication"}, []string{"end"}, "logged-out", "success"},
	"4647": {[]string{"authentication"}, []string{"end"}, "logged-out", "success"},
	"4648": {[]string{"authentication"}, []string{"start"}, "logged-in-explicit", "success"},
	"4672": {[]string{"iam"}, []string{"admin"}, "logged-in-special", "success"},
	"4688": {[]string{"process"}, []string{"start"}, "created-process", "success"},
	"4689": {[]string{"process"}, []string{"end"}, "exited-process", "success"},
	"4720": {[]string{"iam"}, []string{"user", "creation"}, "added-user-account", "success"},
	"4722": {[]string{"iam"}, []string{"user", "change"}, "enabled-user-account", "success"},
	"4724": {[]string{"iam"}, []string{"user", "change"}, "reset-password", "success"},
	"4726": {[]string{"iam"}, []string{"user", "deletion"}, "deleted-user-account", "success"},
	"4728": {[]string{"iam"}, []string{"group", "change"}, "added-member-to-group", "success"},
	"4732": {[]string{"iam"}, []string{"group", "change"}, "added-member-to-group", "success"},
	"4756": {[]string{"iam"}, []string{"group", "change"}, "added-member-to-group", "success"},
	"4729": {[]string{"iam"}, []string{"group", "change"}, "removed-member-from-group", "success"},
	"4733": {[]string{"iam"}, []string{"group", "change"}, "removed-member-from-group", "success"},
	"4740": {[]string{"iam"}, []string{"user", "change"}, "locked-out-user-account", "success"},
	"4768": {[]string{"authentication"}, []string{"start"}, "kerberos-authentication-ticket-requested", ""},
	"4769": {[]string{"authentication"}, []string{"start"}, "kerberos-service-ticket-requested", ""},
	"4771": {[]string{"authentication"}, []string{"start"}, "kerberos-preauth-failed", "failure"},
	"4776": {[]string{"authentication"}, []string{"start"}, "credential-validated", ""},
	"1102": {[]string{"iam"}, []string{"admin", "deletion"}, "audit-log-cleared", "success"},
	"5156": {[]string{"network"}, []string{"connection", "allowed"}, "windows-firewall-connection-allowed", "success"},
	"5157": {[]string{"network"}, []string{"connection", "denied"}, "windows-firewall-connection-blocked", "failure"},
	"5158": {[]string{"network"}, []string{"connection", "allowed"}, "windows-firewall-bind-allowed", "success"},
}

var sysmonActions = map[string]winAction{
	"1":  {[]string{"process"}, []string{"start"}, "process-created", ""},
	"2":  {[]string{"file"}, []string{"change"}, "file-creation-time-changed", ""},
	"3":  {[]string{"network"}, []string{"connection", "start"}, "network-connection-detected", ""},
	"5":  {[]string{"process"}, []string{"end"}, "process-terminated", ""},
	"6":  {[]string{"driver"}, []string{"start"}, "driver-loaded", ""},
	"7":  {[]string{"process"}, []string{"change"}, "image-loaded", ""},
	"8":  {[]string{"process"}, []string{"change"}, "create-remote-thread", ""},
	"9":  {[]string{"process"}, []string{"access"}, "raw-access-read", ""},
	"10": {[]string{"process"}, []string{"access"}, "process-accessed", ""},
	"11": {[]string{"file"}, []string{"creation"}, "file-created", ""},
	"12": {[]string{"registry"}, []string{"change"}, "registry-object-added-or-deleted", ""},
	"13": {[]string{"registry"}, []string{"change"}, "registry-value-set", ""},
	"14": {[]string{"registry"}, []string{"change"}, "registry-object-renamed", ""},
	"15": {[]string{"file"}, []string{"creation"}, "file-stream-created", ""},
	"17": {[]string{"file"}, []string{"creation"}, "pipe-created", ""},
	"18": {[]string{"file"}, []string{"access"}, "pipe-connected", ""},
	"22": {[]string{"network"}, []string{"protocol", "info"}, "dns-query", ""},
	"23": {[]string{"file"}, []string{"deletion"}, "file-deleted", ""},
	"25": {[]string{"process"}, []string{"change"}, "process-tampering", ""},
	"26": {[]string{"file"}, []string{"deletion"}, "file-delete-detected", ""},
}

var powershellActions = map[string]winAction{
	"4103": {[]string{"process"}, []string{"info"}, "execute-pipeline", ""},
	"4104": {[]string{"process"}, []string{"info"}, "execute-remote-command", ""},
	"800":  {[]string{"process"}, []string{"info"}, "pipeline-executed", ""},
	"400":  {[]string{"process"}, []string{"start"}, "engine-started", ""},
	"403":  {[]string{"process"}, []string{"end"}, "engine-stopped", ""},
}

func (p *windowsParser) mapWindows(ev *event.Event, id, channel string) {
	f := ev.Fields
	d := func(name string) string {
		s := event.ValueString(f[p.dataKey(name)])
		if s == "-" {
			return ""
		}
		return s
	}
	var act winAction
	var ok bool
	switch {
	case channel == "security":
		act, ok = securityActions[id]
	case strings.Contains(channel, "sysmon"):
		act, ok = sysmonActions[id]
	case strings.Contains(channel, "powershell"):
		act, ok = powershellActions[id]
	}
	if ok {
		f["event.kind"] = "event"
		f["event.category"] = append([]string(nil), act.category...)
		f["event.type"] = append([]string(nil), act.typ...)
		f["event.action"] = act.action
		outcome := act.outcome
		if status := d("Status"); outcome == "" && status != "" && (id == "4768" || id == "4769" || id == "4776") {
			outcome = "success"
			if status != "0x0" && status != "0" {
				outcome = "failure"
			}
		}
		ev.Set("event.outcome", outcome)
	}

	// Process: Sysmon Image/ProcessId, Security 4688 NewProcessName/NewProcessId
	// (whose ProcessId is the creator), other Security events ProcessName/ProcessId.
	if channel == "security" && id == "4688" {
		setExe(ev, "process", d("NewProcessName"))
		setPID(ev, "process.pid", d("NewProcessId"))
		setExe(ev, "process.parent", d("ParentProcessName"))
		setPID(ev, "process.parent.pid", d("ProcessId"))
	} else {
		if img := d("Image"); img != "" {
			setExe(ev, "process", img)
		} else {
			setExe(ev, "process", d("ProcessName"))
		}
		setPID(ev, "process.pid", d("ProcessId"))
		setExe(ev, "process.parent", d("ParentImage"))
		setPID(ev, "process.parent.pid", d("ParentProcessId"))
	}
	ev.Set("process.command_line", d("CommandLine"))
	ev.Set("process.parent.command_line", d("ParentCommandLine"))
	ev.Set("process.entity_id", d("ProcessGuid"))
	ev.Set("process.parent.entity_id", d("ParentProcessGuid"))
	ev.Set("process.working_directory", d("CurrentDirectory"))
	if h := d("Hashes"); h != "" {
		for part := range strings.SplitSeq(h, ",") {
			if k, v, ok := strings.Cut(part, "="); ok && v != "" {
				ev.Set("process.hash."+strings.ToLower(k), strings.ToLower(v))
			}
		}
	}

	// User: Sysmon "DOMAIN\name"; Security target (logon, account
	// management) or subject.
	if u := d("User"); u != "" {
		if dom, name, ok := strings.Cut(u, `\`); ok {
			ev.Set("user.domain", dom)
			ev.Set("user.name", name)
		} else {
			ev.Set("user.name", u)
		}
	}
	switch id {
	case "4624", "4625", "4634", "4647", "4648", "4768", "4769", "4771", "4672":
		if channel == "security" {
			ev.Set("user.name", d("TargetUserName"))
			ev.Set("user.domain", d("TargetDomainName"))
			ev.Set("user.id", d("TargetUserSid"))
			if id == "4672" {
				ev.Set("user.name", d("SubjectUserName"))
				ev.Set("user.domain", d("SubjectDomainName"))
				ev.Set("user.id", d("SubjectUserSid"))
			}
		}
	case "4720", "4722", "4724", "4726", "4740", "4728", "4732", "4756", "4729", "4733":
		if channel == "security" {
			ev.Set("user.name", d("SubjectUserName"))
			ev.Set("user.domain", d("SubjectDomainName"))
			ev.Set("user.id", d("SubjectUserSid"))
			if strings.HasPrefix(id, "472") || id == "4740" {
				ev.Set("user.target.name", d("TargetUserName"))
				ev.Set("user.target.domain", d("TargetDomainName"))
				ev.Set("user.target.id", d("TargetSid"))
			} else {
				ev.Set("group.name", d("TargetUserName"))
				ev.Set("group.domain", d("TargetDomainName"))
				ev.Set("group.id", d("TargetSid"))
				ev.Set("user.target.id", d("MemberSid"))
				ev.Set("user.target.name", d("MemberName"))
			}
		}
	case "4776":
		ev.Set("user.name", d("TargetUserName"))
		ev.Set("source.domain", d("Workstation"))
	default:
		if _, ok := f["user.name"]; !ok {
			ev.Set("user.name", d("SubjectUserName"))
			ev.Set("user.domain", d("SubjectDomainName"))
			ev.Set("user.id", d("SubjectUserSid"))
		}
	}
	ev.Set("winlog.logon.type", d("LogonType"))
	ev.Set("winlog.logon.id", d("TargetLogonId"))

	// Network: Security IpAddress/IpPort/WorkstationName, Sysmon 3, WFP 5156.
	setAddrField(ev, "source.ip", d("IpAddress"))
	setPort(ev, "source.port", d("IpPort"))
	if w := d("WorkstationName"); w != "" {
		ev.Set("source.domain", w)
	}
	setAddrField(ev, "source.ip", d("SourceIp"))
	setPort(ev, "source.port", d("SourcePort"))
	ev.Set("source.domain", d("SourceHostname"))
	setAddrField(ev, "destination.ip", d("DestinationIp"))
	setPort(ev, "destination.port", d("DestinationPort"))
	ev.Set("destination.domain", d("DestinationHostname"))
	setAddrField(ev, "source.ip", d("SourceAddress"))
	setAddrField(ev, "destination.ip", d("DestAddress"))
	setPort(ev, "destination.port", d("DestPort"))
	if pr := strings.ToLower(d("Protocol")); pr == "tcp" || pr == "udp" {
		f["network.transport"] = pr
	}

	ev.Set("file.path", d("TargetFilename"))
	if o := d("TargetObject"); o != "" {
		f["registry.path"] = o
		ev.Set("registry.data.strings", d("Details"))
	}
	ev.Set("dns.question.name", d("QueryName"))
	ev.Set("powershell.file.script_block_text", d("ScriptBlockText"))
	ev.Set("powershell.file.script_block_id", d("ScriptBlockId"))
	if _, ok := f["host.name"]; ok {
		f["host.name"] = strings.ToLower(event.ValueString(f["host.name"]))
	}
}

func setAddrField(ev *event.Event, field, v string) {
	if v == "" {
		return
	}
	setAddr(ev, field, v)
}

// setExe sets <prefix>.executable and <prefix>.name from a Windows path
// (prefix is "process" or "process.parent").
func setExe(ev *event.Event, prefix, path string) {
	if path == "" {
		return
	}
	exeKey, nameKey := "process.executable", "process.name"
	if prefix == "process.parent" {
		exeKey, nameKey = "process.parent.executable", "process.parent.name"
	}
	ev.Fields[exeKey] = path
	name := path
	if i := strings.LastIndexAny(path, `\/`); i >= 0 {
		name = path[i+1:]
	}
	ev.Set(nameKey, name)
}

// setPID parses decimal or "0x" hexadecimal process IDs.
func setPID(ev *event.Event, field, v string) {
	if v == "" {
		return
	}
	var n int64
	var err error
	if h, ok := strings.CutPrefix(v, "0x"); ok {
		n, err = strconv.ParseInt(h, 16, 64)
	} else {
		n, err = strconv.ParseInt(v, 10, 64)
	}
	if err == nil && n >= 0 {
		ev.Fields[field] = n
	}
}
