package sigma

import (
	"encoding/json"
	"strconv"
	"strings"
)

// FlattenWindows turns an event rendered from EVTX XML as JSON (the
// {"Event":{"System":{…},"EventData":{…}}} shape of evtx_dump and SigmaHQ's
// regression_data) into the flat field names Sigma rules use: EventData
// and UserData fields at top level, plus EventID, Channel, Computer,
// Provider_Name, Security_UserID, TimeCreated and the other System
// values. Data names containing spaces are also stored without them. Objects without an "Event" key are returned unchanged.
func FlattenWindows(m map[string]any) map[string]any {
	evt, ok := m["Event"].(map[string]any)
	if !ok {
		return m
	}
	out := make(map[string]any, 32)
	if sys, ok := evt["System"].(map[string]any); ok {
		for k, v := range sys {
			switch x := v.(type) {
			case map[string]any:
				attrs, _ := x["#attributes"].(map[string]any)
				if t, ok := x["#text"]; ok {
					out[k] = t
				}
				switch k {
				case "Provider":
					for ak, av := range attrs {
						out["Provider_"+ak] = av
					}
				case "TimeCreated":
					if st, ok := attrs["SystemTime"]; ok {
						out["TimeCreated"] = st
					}
				case "Security":
					if u, ok := attrs["UserID"]; ok {
						out["Security_UserID"] = u
					}
				case "Execution":
					for ak, av := range attrs {
						out["Execution_"+ak] = av
					}
				}
			default:
				out[k] = v
			}
		}
	}
	for _, sect := range []string{"EventData", "UserData"} {
		flattenData(evt[sect], out)
	}
	return out
}

func flattenData(v any, out map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, y := range x {
			switch k {
			case "#attributes":
				continue
			case "Data":
				// <Data Name="x">v</Data> rendered as objects or a list.
				if flattenNamedData(y, out) {
					continue
				}
			}
			if sub, ok := y.(map[string]any); ok {
				flattenData(sub, out)
				continue
			}
			setData(out, k, y)
		}
	case []any:
		for _, y := range x {
			flattenData(y, out)
		}
	}
}

// setData stores a data field. Names with spaces (Windows Defender's
// "Threat Name") are also stored without them ("ThreatName"), the form
// Sigma rules use.
func setData(out map[string]any, k string, v any) {
	out[k] = v
	if strings.Contains(k, " ") {
		if nk := strings.ReplaceAll(k, " ", ""); out[nk] == nil {
			out[nk] = v
		}
	}
}

func flattenNamedData(v any, out map[string]any) bool {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	done := false
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		attrs, _ := m["#attributes"].(map[string]any)
		name, _ := attrs["Name"].(string)
		if name == "" {
			continue
		}
		setData(out, name, m["#text"])
		done = true
	}
	return done
}

// windowsChannels maps lower-case event log channels to Sigma services.
var windowsChannels = map[string]string{
	"microsoft-windows-sysmon/operational": "sysmon",
	"security":                             "security",
	"system":                               "system",
	"application":                          "application",
	"windows powershell":                   "powershell-classic",
	"microsoft-windows-powershell/operational":       "powershell",
	"powershellcore/operational":                     "powershell",
	"microsoft-windows-wmi-activity/operational":     "wmi",
	"microsoft-windows-taskscheduler/operational":    "taskscheduler",
	"microsoft-windows-windows defender/operational": "windefend",
	"microsoft-windows-dns-client/operational":       "dns-client",
	"dns server": "dns-server",
	"microsoft-windows-dns-server/analytical":                            "dns-server-analytic",
	"microsoft-windows-bits-client/operational":                          "bits-client",
	"microsoft-windows-codeintegrity/operational":                        "codeintegrity-operational",
	"microsoft-windows-windows firewall with advanced security/firewall": "firewall-as",
	"microsoft-windows-printservice/admin":                               "printservice-admin",
	"microsoft-windows-printservice/operational":                         "printservice-operational",
	"microsoft-windows-smbclient/security":                               "smbclient-security",
	"microsoft-windows-smbclient/connectivity":                           "smbclient-connectivity",
	"microsoft-windows-ntlm/operational":                                 "ntlm",
	"microsoft-windows-applocker/exe and dll":                            "applocker",
	"microsoft-windows-applocker/msi and script":                         "applocker",
	"microsoft-windows-applocker/packaged app-deployment":                "applocker",
	"microsoft-windows-applocker/packaged app-execution":                 "applocker",
	"microsoft-windows-terminalservices-localsessionmanager/operational": "terminalservices-localsessionmanager",
	"microsoft-windows-diagnosis-scripted/operational":                   "diagnosis-scripted",
	"openssh/operational":                                                "openssh",
	"microsoft-windows-ldap-client/debug":                                "ldap",
	"microsoft-windows-shell-core/operational":                           "shell-core",
	"microsoft-windows-appmodel-runtime/admin":                           "appmodel-runtime",
	"microsoft-windows-appxpackaging-om/operational":                     "appxpackaging-om",
	"microsoft-windows-appxdeploymentserver/operational":                 "appxdeployment-server",
	"microsoft-windows-capi2/operational":                                "capi2",
	"microsoft-windows-security-mitigations/kernel mode":                 "security-mitigations",
	"microsoft-windows-security-mitigations/user mode":                   "security-mitigations",
	"microsoft-windows-lsa/operational":                                  "lsa-server",
	"microsoft-windows-bitlocker/bitlocker management":                   "bitlocker",
	"microsoft-windows-vhdmp-operational":                                "vhdmp",
	"microsoft-windows-kernel-shimengine/operational":                    "shimcache",
	"microsoft-windows-dhcp-server/operational":                          "dhcp",
	"microsoft-windows-hyper-v-worker-admin":                             "hyper-v-worker",
	"microsoft-windows-msexchange management":                            "msexchange-management",
	"msexchange management":                                              "msexchange-management",
}

// serviceList holds one shared single-element slice per service.
var serviceList = func() map[string][]string {
	m := make(map[string][]string)
	for _, s := range windowsChannels {
		m[s] = []string{s}
	}
	return m
}()

// Static category lists (shared, never modified) keep routing
// allocation-free.
var (
	sysmonCategories = map[int64][]string{
		1: {"process_creation"}, 2: {"file_change"}, 3: {"network_connection"},
		4: {"sysmon_status"}, 5: {"process_termination"}, 6: {"driver_load"},
		7: {"image_load"}, 8: {"create_remote_thread"}, 9: {"raw_access_thread"},
		10: {"process_access"}, 11: {"file_event"}, 12: {"registry_add", "registry_delete", "registry_event"},
		13: {"registry_set", "registry_event"}, 14: {"registry_rename", "registry_event"},
		15: {"create_stream_hash"}, 16: {"sysmon_status"}, 17: {"pipe_created"}, 18: {"pipe_created"},
		19: {"wmi_event"}, 20: {"wmi_event"}, 21: {"wmi_event"}, 22: {"dns_query"},
		23: {"file_delete"}, 24: {"clipboard_capture"}, 25: {"process_tampering"},
		26: {"file_delete", "file_delete_detected"}, 27: {"file_block_executable"},
		28: {"file_block_shredding"}, 29: {"file_executable_detected"}, 255: {"sysmon_error"},
	}
	sysmonByID = func() (t [256][]string) {
		for id, c := range sysmonCategories {
			t[id] = c
		}
		return t
	}()
	registryAdd        = []string{"registry_add", "registry_event"}
	registryDelete     = []string{"registry_delete", "registry_event"}
	securityCategories = map[int64][]string{
		4688: {"process_creation"}, 5156: {"network_connection"},
	}
	powershellCategories = map[int64][]string{4104: {"ps_script"}, 4103: {"ps_module"}}
	psClassicCategories  = map[int64][]string{400: {"ps_classic_start"}, 600: {"ps_classic_provider_start"}, 800: {"ps_classic_script"}}
)

// RouteWindows derives the Sigma logsource of a Windows event with raw
// field names: product windows, the service from Channel, and the
// category from the Sysmon event id (or Security 4688/5156, PowerShell
// 4103/4104, classic PowerShell 400/600/800). Channel is compared
// case-insensitively (exports differ in case).
func RouteWindows(ev Event) Source {
	ch, _ := ev.Get("Channel")
	id, hasID := ev.Get("EventID")
	var evType any
	if hasID {
		if n, ok := eventID(id); ok && n == 12 {
			evType, _ = ev.Get("EventType")
		}
	}
	return windowsSource(ch, id, hasID, evType)
}

// windowsSource routes from the channel, event id and (for Sysmon 12)
// EventType values.
func windowsSource(chv, idv any, hasID bool, evType any) Source {
	src := Source{Product: "windows"}
	ch, _ := chv.(string)
	if ch == "" {
		return src
	}
	var svc string
	switch ch { // the usual spellings, without folding or hashing
	case "Microsoft-Windows-Sysmon/Operational":
		svc = "sysmon"
	case "Security":
		svc = "security"
	default:
		var buf [64]byte
		var ok bool
		if svc, ok = windowsChannels[string(appendFold(buf[:0], ch))]; !ok {
			return src
		}
	}
	src.Services = serviceList[svc]
	if !hasID {
		return src
	}
	id, ok := eventID(idv)
	if !ok {
		return src
	}
	switch svc {
	case "sysmon":
		if id >= 0 && id < int64(len(sysmonByID)) {
			src.Categories = sysmonByID[id]
		}
		if id == 12 {
			switch evType {
			case "CreateKey":
				src.Categories = registryAdd
			case "DeleteKey":
				src.Categories = registryDelete
			}
		}
	case "security":
		src.Categories = securityCategories[id]
	case "powershell":
		src.Categories = powershellCategories[id]
	case "powershell-classic":
		src.Categories = psClassicCategories[id]
	}
	return src
}

func eventID(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case json.Number:
		i, err := x.Int64()
		return i, err == nil
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return i, err == nil
	}
	return 0, false
}
