package normalize

import (
	"errors"
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
	opts Options
	// One pass of the scanner writes the record's fields straight into the
	// event under their final names and captures the values the mapping
	// reads into vals. The shape is told by the "winlog" key, which the
	// scanner watches for: a record is scanned in the shape of the previous
	// one and scanned again when the guess was wrong (see Parse).
	nx, wb     flatJSON // NXLog and winlogbeat shapes, each with its key cache
	winlogbeat bool     // shape of the previous record
	vals       [numWinVals]any
	// Caches of the last channel and host name, which repeat from record
	// to record: their lower-case forms, boxed once.
	chanRaw, chanLower string
	hostRaw            string
	hostLower          any
}

func (p *windowsParser) Name() string { return "windows" }

// nxlogEnvelope maps NXLog's record-level keys to ECS/winlog fields; every
// other top-level key is EventData. An empty target drops the key (Parse
// reads some of them: EventID, Channel, Hostname, Message and the times).
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

// The values Parse and mapWindows read, captured during the scan: first
// the record envelope, then the EventData fields (winlog.event_data.<Name>).
const (
	vEventID       = iota // NXLog EventID
	vChannel              // NXLog Channel
	vHostname             // NXLog Hostname
	vMessage              // NXLog Message
	vTimestamp            // @timestamp, both shapes
	vTimeCreated          // NXLog TimeCreated
	vEventTime            // NXLog EventTime
	vWinlogEventID        // winlogbeat winlog.event_id
	vEventCode            // winlogbeat event.code
	vWinlogChannel        // winlogbeat winlog.channel
	vComputerName         // winlogbeat winlog.computer_name
	vHostName             // winlogbeat host.name
	vRecordID             // winlog.record_id, both shapes
	vPID                  // winlog.process.pid, both shapes
	vThreadID             // winlog.process.thread.id, both shapes
	dStatus               // first EventData value; the order follows winDataNames
	dNewProcessName
	dNewProcessId
	dParentProcessName
	dProcessId
	dImage
	dProcessName
	dParentImage
	dParentProcessId
	dCommandLine
	dParentCommandLine
	dProcessGuid
	dParentProcessGuid
	dCurrentDirectory
	dHashes
	dUser
	dTargetUserName
	dTargetDomainName
	dTargetUserSid
	dSubjectUserName
	dSubjectDomainName
	dSubjectUserSid
	dTargetSid
	dMemberSid
	dMemberName
	dWorkstation
	dLogonType
	dTargetLogonId
	dIpAddress
	dIpPort
	dWorkstationName
	dSourceIp
	dSourcePort
	dSourceHostname
	dDestinationIp
	dDestinationPort
	dDestinationHostname
	dSourceAddress
	dDestAddress
	dDestPort
	dProtocol
	dTargetFilename
	dTargetObject
	dDetails
	dQueryName
	dScriptBlockText
	dScriptBlockId
	dUtcTime
	numWinVals
)

// winDataNames are the EventData names of the d* values, in their order.
var winDataNames = [numWinVals - dStatus]string{
	"Status", "NewProcessName", "NewProcessId", "ParentProcessName", "ProcessId", "Image", "ProcessName",
	"ParentImage", "ParentProcessId", "CommandLine", "ParentCommandLine", "ProcessGuid", "ParentProcessGuid",
	"CurrentDirectory", "Hashes", "User", "TargetUserName", "TargetDomainName", "TargetUserSid",
	"SubjectUserName", "SubjectDomainName", "SubjectUserSid", "TargetSid", "MemberSid", "MemberName",
	"Workstation", "LogonType", "TargetLogonId", "IpAddress", "IpPort", "WorkstationName", "SourceIp",
	"SourcePort", "SourceHostname", "DestinationIp", "DestinationPort", "DestinationHostname",
	"SourceAddress", "DestAddress", "DestPort", "Protocol", "TargetFilename", "TargetObject", "Details",
	"QueryName", "ScriptBlockText", "ScriptBlockId", "UtcTime",
}

// winFieldVals maps an event field (a final key, either shape) to the value
// slot that captures it.
var winFieldVals = func() map[string]int {
	m := map[string]int{"winlog.record_id": vRecordID, "winlog.process.pid": vPID, "winlog.process.thread.id": vThreadID}
	for i, n := range winDataNames {
		m["winlog.event_data."+n] = dStatus + i
	}
	return m
}()

// nxEnvelopeVals maps the dropped NXLog envelope keys that Parse reads to
// their value slots.
var nxEnvelopeVals = map[string]int{"EventID": vEventID, "Channel": vChannel, "Hostname": vHostname,
	"Message": vMessage, "@timestamp": vTimestamp, "TimeCreated": vTimeCreated, "EventTime": vEventTime}

// wbEnvelopeVals maps the winlogbeat keys that Parse reads to their slots.
var wbEnvelopeVals = map[string]int{"winlog.event_id": vWinlogEventID, "event.code": vEventCode,
	"winlog.channel": vWinlogChannel, "winlog.computer_name": vComputerName, "host.name": vHostName,
	"@timestamp": vTimestamp}

// nxClassify maps a flattened NXLog key to its event field: EventData under
// winlog.event_data.<Name>, envelope keys to their winlog/ECS field or to
// nothing.
func nxClassify(k string) fieldKey {
	target, env := nxlogEnvelope[k]
	switch {
	case !env:
		target = "winlog.event_data." + k
	case target == "":
		if v, ok := nxEnvelopeVals[k]; ok {
			return fieldKey{slot: v}
		}
		return fieldKey{slot: -1}
	}
	if v, ok := winFieldVals[target]; ok {
		return fieldKey{name: target, slot: v}
	}
	return fieldKey{name: target, slot: -1}
}

// wbClassify keeps a flattened winlogbeat key when it is in winlog.* or one
// of the ECS field sets winlogbeat fills, under its own name.
func wbClassify(k string) fieldKey {
	fk := fieldKey{slot: -1}
	switch {
	case strings.HasPrefix(k, "winlog."), strings.HasPrefix(k, "host."), strings.HasPrefix(k, "event."),
		strings.HasPrefix(k, "process."), strings.HasPrefix(k, "user."), strings.HasPrefix(k, "source."),
		strings.HasPrefix(k, "destination."), strings.HasPrefix(k, "file."), strings.HasPrefix(k, "log."),
		strings.HasPrefix(k, "agent."), k == "message":
		fk.name = k
	}
	if v, ok := wbEnvelopeVals[k]; ok {
		fk.slot = v
	} else if v, ok := winFieldVals[k]; ok {
		fk.slot = v
	}
	return fk
}

// errNoEventID is the reason of a record without an event ID.
const errNoEventID = "no EventID or winlog.event_id"

// scan flattens src into f in one shape, capturing p.vals.
func (p *windowsParser) scan(src string, f map[string]any, winlogbeat bool) (*flatJSON, error) {
	clear(p.vals[:])
	fj := &p.nx
	if winlogbeat {
		fj = &p.wb
	}
	if fj.classify == nil {
		fj.classify, fj.watch = nxClassify, "winlog"
		if winlogbeat {
			fj.classify = wbClassify
		}
		fj.stopOnWatch = !winlogbeat
		fj.slots = p.vals[:]
	}
	return fj, fj.flatten(src, f)
}

// Parse reads one record. A record is winlogbeat-shaped when it has a key
// "winlog" (what the scanner's watch finds); otherwise it is NXLog-shaped.
// The scan starts in the shape of the previous record: an NXLog scan stops
// at a "winlog" key and the record is scanned again as winlogbeat; a
// winlogbeat scan that met none is done again as NXLog. Syntax errors do
// not depend on the shape.
func (p *windowsParser) Parse(line []byte, ev *event.Event) error {
	begin(ev, line, p.opts)
	src := jsonSource(ev, line)
	f := ev.Fields
	wb := p.winlogbeat
	for range 3 {
		fj, err := p.scan(src, f, wb)
		switch {
		case errors.Is(err, errWatched):
			clear(f)
			wb = true
			continue
		case err != nil:
			return fail(ev, malformed("windows", "%v", err))
		case wb && !fj.seen:
			clear(f)
			wb = false
			continue
		}
		break
	}
	p.winlogbeat = wb
	v := &p.vals
	var id string
	var chv any // winlog.channel
	if wb {
		// winlogbeat shape: winlog.* and the ECS fields it already has.
		idv := v[vWinlogEventID]
		if idv == nil {
			idv = v[vEventCode]
		}
		if idv == nil {
			return fail(ev, malformed("windows", errNoEventID))
		}
		id = event.ValueString(idv)
		chv = v[vWinlogChannel]
		if h, ok := textValue(v[vComputerName]); ok && v[vHostName] == nil {
			f["host.name"] = h
		}
		ev.Observed = parseWinTime(v[vTimestamp], p.opts.loc())
	} else {
		if v[vEventID] == nil {
			return fail(ev, malformed("windows", errNoEventID))
		}
		id = event.ValueString(v[vEventID])
		chv = v[vChannel]
		if h, ok := textValue(v[vHostname]); ok {
			f["host.name"] = h
			f["winlog.computer_name"] = h
		}
		if m, ok := textValue(v[vMessage]); ok {
			f["message"] = m
		}
		for _, k := range [...]int{vTimestamp, vTimeCreated, vEventTime} {
			if t := parseWinTime(v[k], p.opts.loc()); !t.IsZero() {
				ev.Observed = t
				break
			}
		}
	}
	if id == "" || !allDigits(id) {
		return fail(ev, malformed("windows", "invalid event ID %q", id))
	}
	var idv any = id
	f["winlog.event_id"] = idv
	f["event.code"] = idv
	// One type per field whichever the shape: record IDs as strings (ECS
	// keyword), process and thread IDs as integers.
	if r := v[vRecordID]; r != nil {
		if _, ok := r.(string); !ok {
			f["winlog.record_id"] = event.ValueString(r)
		}
	}
	for _, k := range [...]struct {
		field string
		val   int
	}{{"winlog.process.pid", vPID}, {"winlog.process.thread.id", vThreadID}} {
		if s, ok := v[k.val].(string); ok {
			delete(f, k.field)
			setPID(ev, k.field, s)
		}
	}
	channel := ""
	if c, ok := textValue(chv); ok {
		f["winlog.channel"] = c
		channel = c.(string)
	}
	if ev.Observed.IsZero() {
		if t := parseWinTime(v[dUtcTime], time.UTC); !t.IsZero() {
			ev.Observed = t
		}
	}
	p.mapWindows(ev, id, p.lowerChannel(channel))
	ev.Category = event.CategorySecurity
	return nil
}

// textValue returns v as a field value of text and whether that is
// non-empty; a string keeps its box.
func textValue(v any) (any, bool) {
	if s, ok := v.(string); ok {
		return v, s != ""
	}
	s := event.ValueString(v)
	return s, s != ""
}

// lowerChannel returns strings.ToLower(ch), cached for the last channel.
func (p *windowsParser) lowerChannel(ch string) string {
	if ch != p.chanRaw {
		p.chanRaw = strings.Clone(ch)
		p.chanLower = strings.ToLower(p.chanRaw)
	}
	return p.chanLower
}

// lowerHost returns strings.ToLower(h) boxed, cached for the last host.
func (p *windowsParser) lowerHost(h string) any {
	if h != p.hostRaw || p.hostLower == nil {
		p.hostRaw = strings.Clone(h)
		p.hostLower = strings.ToLower(p.hostRaw)
	}
	return p.hostLower
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
	d := p.d
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
		if status := d(dStatus); outcome == "" && status != "" && (id == "4768" || id == "4769" || id == "4776") {
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
		p.setExe(ev, "process", dNewProcessName)
		setPID(ev, "process.pid", d(dNewProcessId))
		p.setExe(ev, "process.parent", dParentProcessName)
		setPID(ev, "process.parent.pid", d(dProcessId))
	} else {
		if d(dImage) != "" {
			p.setExe(ev, "process", dImage)
		} else {
			p.setExe(ev, "process", dProcessName)
		}
		setPID(ev, "process.pid", d(dProcessId))
		p.setExe(ev, "process.parent", dParentImage)
		setPID(ev, "process.parent.pid", d(dParentProcessId))
	}
	p.setD(ev, "process.command_line", dCommandLine)
	p.setD(ev, "process.parent.command_line", dParentCommandLine)
	p.setD(ev, "process.entity_id", dProcessGuid)
	p.setD(ev, "process.parent.entity_id", dParentProcessGuid)
	p.setD(ev, "process.working_directory", dCurrentDirectory)
	if h := d(dHashes); h != "" {
		// Lower-casing maps rune by rune and never produces ',' or '=',
		// so the parts of the lowered list are the lowered parts.
		for part := range strings.SplitSeq(strings.ToLower(h), ",") {
			if k, v, ok := strings.Cut(part, "="); ok && v != "" {
				ev.Put(hashField(k), v)
			}
		}
	}

	// User: Sysmon "DOMAIN\name"; Security target (logon, account
	// management) or subject.
	if u := d(dUser); u != "" {
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
			p.setD(ev, "user.name", dTargetUserName)
			p.setD(ev, "user.domain", dTargetDomainName)
			p.setD(ev, "user.id", dTargetUserSid)
			if id == "4672" {
				p.setD(ev, "user.name", dSubjectUserName)
				p.setD(ev, "user.domain", dSubjectDomainName)
				p.setD(ev, "user.id", dSubjectUserSid)
			}
		}
	case "4720", "4722", "4724", "4726", "4740", "4728", "4732", "4756", "4729", "4733":
		if channel == "security" {
			p.setD(ev, "user.name", dSubjectUserName)
			p.setD(ev, "user.domain", dSubjectDomainName)
			p.setD(ev, "user.id", dSubjectUserSid)
			if strings.HasPrefix(id, "472") || id == "4740" {
				p.setD(ev, "user.target.name", dTargetUserName)
				p.setD(ev, "user.target.domain", dTargetDomainName)
				p.setD(ev, "user.target.id", dTargetSid)
			} else {
				p.setD(ev, "group.name", dTargetUserName)
				p.setD(ev, "group.domain", dTargetDomainName)
				p.setD(ev, "group.id", dTargetSid)
				p.setD(ev, "user.target.id", dMemberSid)
				p.setD(ev, "user.target.name", dMemberName)
			}
		}
	case "4776":
		p.setD(ev, "user.name", dTargetUserName)
		p.setD(ev, "source.domain", dWorkstation)
	default:
		if _, ok := f["user.name"]; !ok {
			p.setD(ev, "user.name", dSubjectUserName)
			p.setD(ev, "user.domain", dSubjectDomainName)
			p.setD(ev, "user.id", dSubjectUserSid)
		}
	}
	p.setD(ev, "winlog.logon.type", dLogonType)
	p.setD(ev, "winlog.logon.id", dTargetLogonId)

	// Network: Security IpAddress/IpPort/WorkstationName, Sysmon 3, WFP 5156.
	setAddrField(ev, "source.ip", d(dIpAddress))
	setPort(ev, "source.port", d(dIpPort))
	if w := d(dWorkstationName); w != "" {
		ev.Set("source.domain", w)
	}
	setAddrField(ev, "source.ip", d(dSourceIp))
	setPort(ev, "source.port", d(dSourcePort))
	p.setD(ev, "source.domain", dSourceHostname)
	setAddrField(ev, "destination.ip", d(dDestinationIp))
	setPort(ev, "destination.port", d(dDestinationPort))
	p.setD(ev, "destination.domain", dDestinationHostname)
	setAddrField(ev, "source.ip", d(dSourceAddress))
	setAddrField(ev, "destination.ip", d(dDestAddress))
	setPort(ev, "destination.port", d(dDestPort))
	if pr := strings.ToLower(d(dProtocol)); pr == "tcp" || pr == "udp" {
		f["network.transport"] = pr
	}

	p.setD(ev, "file.path", dTargetFilename)
	if d(dTargetObject) != "" {
		p.setD(ev, "registry.path", dTargetObject)
		p.setD(ev, "registry.data.strings", dDetails)
	}
	p.setD(ev, "dns.question.name", dQueryName)
	p.setD(ev, "powershell.file.script_block_text", dScriptBlockText)
	p.setD(ev, "powershell.file.script_block_id", dScriptBlockId)
	if h, ok := f["host.name"]; ok {
		f["host.name"] = p.lowerHost(event.ValueString(h))
	}
}

// d returns EventData value i as text: "" when absent or "-".
func (p *windowsParser) d(i int) string {
	s := event.ValueString(p.vals[i])
	if s == "-" {
		return ""
	}
	return s
}

// setD sets field to p.d(i) unless that is empty. A string value is stored
// in the box it already has.
func (p *windowsParser) setD(ev *event.Event, field string, i int) {
	v := p.vals[i]
	if s, ok := v.(string); ok {
		if s != "" && s != "-" {
			ev.Put(field, v)
		}
		return
	}
	ev.Set(field, p.d(i))
}

// hashField returns "process.hash."+algo, without allocating for the
// algorithms Sysmon reports.
func hashField(algo string) string {
	switch algo {
	case "md5":
		return "process.hash.md5"
	case "sha1":
		return "process.hash.sha1"
	case "sha256":
		return "process.hash.sha256"
	case "imphash":
		return "process.hash.imphash"
	}
	return "process.hash." + algo
}

func setAddrField(ev *event.Event, field, v string) {
	if v == "" {
		return
	}
	setAddr(ev, field, v)
}

// setExe sets <prefix>.executable and <prefix>.name from the Windows path
// in EventData value i (prefix is "process" or "process.parent").
func (p *windowsParser) setExe(ev *event.Event, prefix string, i int) {
	path := p.d(i)
	if path == "" {
		return
	}
	exeKey, nameKey := "process.executable", "process.name"
	if prefix == "process.parent" {
		exeKey, nameKey = "process.parent.executable", "process.parent.name"
	}
	if _, ok := p.vals[i].(string); ok {
		ev.Put(exeKey, p.vals[i])
	} else {
		ev.Put(exeKey, path)
	}
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
		ev.Put(field, n)
	}
}
