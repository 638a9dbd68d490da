package sigma

import "strings"

// ecsFields maps Sigma (Windows/Sysmon) field names to Vedetta's ECS
// fields. The raw Windows value (winlog.event_data.<Field>, which
// normalize keeps verbatim) comes first where it exists, because Sigma
// rules are written against it (User is "DOMAIN\name", not the bare
// user.name); the ECS field follows so the rule also runs on non-Windows
// sources that only fill ECS.
var ecsFields = map[string][]string{
	"Image":               {"winlog.event_data.Image", "process.executable"},
	"CommandLine":         {"winlog.event_data.CommandLine", "process.command_line"},
	"ParentImage":         {"winlog.event_data.ParentImage", "process.parent.executable"},
	"ParentCommandLine":   {"winlog.event_data.ParentCommandLine", "process.parent.command_line"},
	"CurrentDirectory":    {"winlog.event_data.CurrentDirectory", "process.working_directory"},
	"ProcessId":           {"winlog.event_data.ProcessId", "process.pid"},
	"ParentProcessId":     {"winlog.event_data.ParentProcessId", "process.parent.pid"},
	"ProcessGuid":         {"winlog.event_data.ProcessGuid", "process.entity_id"},
	"ParentProcessGuid":   {"winlog.event_data.ParentProcessGuid", "process.parent.entity_id"},
	"OriginalFileName":    {"winlog.event_data.OriginalFileName", "process.pe.original_file_name"},
	"User":                {"winlog.event_data.User", "user.name"},
	"TargetUserName":      {"winlog.event_data.TargetUserName", "user.target.name"},
	"TargetDomainName":    {"winlog.event_data.TargetDomainName", "user.target.domain"},
	"SubjectUserName":     {"winlog.event_data.SubjectUserName", "user.name"},
	"SubjectDomainName":   {"winlog.event_data.SubjectDomainName", "user.domain"},
	"IpAddress":           {"winlog.event_data.IpAddress", "source.ip"},
	"IpPort":              {"winlog.event_data.IpPort", "source.port"},
	"WorkstationName":     {"winlog.event_data.WorkstationName", "source.domain"},
	"LogonType":           {"winlog.event_data.LogonType", "winlog.logon.type"},
	"SourceIp":            {"winlog.event_data.SourceIp", "source.ip"},
	"SourcePort":          {"winlog.event_data.SourcePort", "source.port"},
	"SourceHostname":      {"winlog.event_data.SourceHostname", "source.domain"},
	"DestinationIp":       {"winlog.event_data.DestinationIp", "destination.ip"},
	"DestinationPort":     {"winlog.event_data.DestinationPort", "destination.port"},
	"DestinationHostname": {"winlog.event_data.DestinationHostname", "destination.domain"},
	"Protocol":            {"winlog.event_data.Protocol", "network.transport"},
	"TargetFilename":      {"winlog.event_data.TargetFilename", "file.path"},
	"ImageLoaded":         {"winlog.event_data.ImageLoaded", "dll.path"},
	"TargetObject":        {"winlog.event_data.TargetObject", "registry.path"},
	"Details":             {"winlog.event_data.Details", "registry.data.strings"},
	"QueryName":           {"winlog.event_data.QueryName", "dns.question.name"},
	"ServiceName":         {"winlog.event_data.ServiceName", "service.name"},
	"EventID":             {"winlog.event_id"},
	"Channel":             {"winlog.channel"},
	"Computer":            {"winlog.computer_name", "host.name"},
	"Provider_Name":       {"winlog.provider_name"},
	// Linux and web sources.
	"comm":            {"process.name"},
	"exe":             {"process.executable"},
	"cs-method":       {"http.request.method"},
	"cs-uri-query":    {"url.query"},
	"cs-uri-stem":     {"url.path"},
	"c-uri":           {"url.original"},
	"c-useragent":     {"user_agent.original"},
	"cs-user-agent":   {"user_agent.original"},
	"sc-status":       {"http.response.status_code"},
	"c-ip":            {"source.ip"},
	"dst_ip":          {"destination.ip"},
	"src_ip":          {"source.ip"},
	"dst_port":        {"destination.port"},
	"src_port":        {"source.port"},
	"query":           {"dns.question.name"},
	"answer":          {"dns.answers.data"},
	"record_type":     {"dns.question.type"},
	"cs-host":         {"url.domain"},
	"r-dns":           {"url.domain"},
	"cs-referrer":     {"http.request.referrer"},
	"cs-cookie":       {"http.request.cookie"},
	"c-uri-extension": {"url.extension"},
}

// ECSFields is a Config.Fields mapper from Sigma field names to
// Vedetta's ECS events: the table above, then, for other Windows-style
// names (no dot), the raw winlog.event_data.<Field>; dotted names are
// already ECS and stay as they are.
func ECSFields(field string) []string {
	if f, ok := ecsFields[field]; ok {
		return f
	}
	if strings.Contains(field, ".") {
		return []string{field}
	}
	return []string{"winlog.event_data." + field, field}
}

var (
	linuxServices = map[string][]string{
		"sshd":     {"sshd", "auth", "syslog"},
		"sudo":     {"sudo", "auth", "syslog"},
		"su":       {"auth", "syslog"},
		"login":    {"auth", "syslog"},
		"passwd":   {"auth", "syslog"},
		"useradd":  {"auth", "syslog"},
		"groupadd": {"auth", "syslog"},
		"usermod":  {"auth", "syslog"},
		"cron":     {"cron", "syslog"},
		"CRON":     {"cron", "syslog"},
		"vsftpd":   {"vsftpd", "syslog"},
		"clamd":    {"clamav", "syslog"},
		"auditd":   {"auditd"},
	}
	syslogOnly    = []string{"syslog"}
	auditd        = []string{"auditd"}
	catProcCreate = []string{"process_creation"}
	catProcEnd    = []string{"process_termination"}
	catNetConn    = []string{"network_connection"}
	catFileEvent  = []string{"file_event"}
	catFileDelete = []string{"file_delete"}
	catDNS        = []string{"dns_query", "dns"}
	catRegistry   = []string{"registry_set", "registry_event"}
	catWebserver  = []string{"webserver"}
	catFirewall   = []string{"firewall"}
	catProxy      = []string{"proxy"}
)

// RouteECS derives the Sigma logsource of a normalised ECS event. Windows
// events (winlog.channel set) route exactly as RouteWindows does, using
// winlog.event_id. Others: product from host.os.type ("linux", …) or
// "linux" for syslog records; service from process.name for Linux
// programs (sshd → sshd, auth, syslog); categories from event.category and
// event.type (process+start → process_creation, network+connection →
// network_connection, file+creation → file_event, web → webserver, …).
func RouteECS(ev Event) Source {
	if ch, ok := ev.Get("winlog.channel"); ok {
		id, hasID := ev.Get("winlog.event_id")
		var evType any
		if n, ok := eventID(id); ok && n == 12 {
			evType, _ = ev.Get("winlog.event_data.EventType")
		}
		return windowsSource(ch, id, hasID, evType)
	}
	var src Source
	if v, ok := ev.Get("host.os.type"); ok {
		if s, ok := v.(string); ok {
			src.Product = s
		}
	}
	_, isSyslog := ev.Get("log.syslog.priority")
	if !isSyslog {
		_, isSyslog = ev.Get("log.syslog.appname")
	}
	if src.Product == "" && isSyslog {
		src.Product = "linux"
	}
	if src.Product == "linux" {
		if v, ok := ev.Get("process.name"); ok {
			if s, ok := v.(string); ok {
				src.Services = linuxServices[s]
			}
		}
		if src.Services == nil {
			if v, ok := ev.Get("event.module"); ok && v == "auditd" {
				src.Services = auditd
			} else if isSyslog {
				src.Services = syslogOnly
			}
		}
	}
	cat, _ := ev.Get("event.category")
	typ, _ := ev.Get("event.type")
	switch {
	case hasValue(cat, "process") && hasValue(typ, "start"):
		src.Categories = catProcCreate
	case hasValue(cat, "process") && hasValue(typ, "end"):
		src.Categories = catProcEnd
	case hasValue(cat, "network") && hasValue(typ, "connection"):
		src.Categories = catNetConn
		if o, ok := ev.Get("observer.type"); ok && o == "firewall" {
			src.Categories = catFirewall
		}
	case hasValue(cat, "file") && hasValue(typ, "creation"):
		src.Categories = catFileEvent
	case hasValue(cat, "file") && hasValue(typ, "deletion"):
		src.Categories = catFileDelete
	case hasValue(cat, "registry"):
		src.Categories = catRegistry
	case hasValue(cat, "web"):
		src.Categories = catWebserver
		if o, ok := ev.Get("observer.type"); ok && o == "proxy" {
			src.Categories = catProxy
		}
	default:
		if _, ok := ev.Get("dns.question.name"); ok {
			src.Categories = catDNS
		}
	}
	return src
}

// hasValue reports whether a string or list field holds s.
func hasValue(v any, s string) bool {
	switch x := v.(type) {
	case string:
		return x == s
	case []string:
		for _, y := range x {
			if y == s {
				return true
			}
		}
	case []any:
		for _, y := range x {
			if y == s {
				return true
			}
		}
	}
	return false
}
