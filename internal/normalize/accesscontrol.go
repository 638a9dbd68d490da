package normalize

import (
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// accessControlParser reads Vedetta's generic access-control JSON, one
// object per record, which a small adapter can produce from any door
// controller (ONVIF tns1:AccessControl/*, vendor webhooks, CSV exports):
//
//	{
//	  "time": "2026-11-24T08:15:02Z",   // RFC 3339; without zone Options.Location applies; or epoch s/ms (required)
//	  "site": "port-sp-01",             // → vedetta.site.id
//	  "zone": "quay-3",                 // → vedetta.zone (a one-element list, like camera zones)
//	  "door": "gate-3-north",           // → vedetta.door.id (required)
//	  "result": "granted",              // granted | denied | forced | held_open | tamper (required)
//	  "credential_type": "badge",       // badge | pin | mobile | biometric | plate → vedetta.credential.type
//	  "badge_id": "04A2B9C1",           // → user.id (pseudonymised later in the pipeline, not here)
//	  "reason": "expired",              // → event.reason (why denied)
//	  "direction": "in",                // in | out → vedetta.door.direction
//	  "controller": "ac-12",            // → observer.name
//	  "asset": "crane-7"                // → vedetta.asset.id
//	}
//
// ECS mapping: observer.type=access-controller; granted → category
// [authentication], type [access, allowed], action access-granted, outcome
// success; denied → [authentication], [access, denied], access-denied,
// failure; forced → kind alert, [intrusion_detection], door-forced;
// held_open → [intrusion_detection], door-held-open; tamper → kind alert,
// [intrusion_detection], device-tamper.
type accessControlParser struct {
	opts Options
	fj   flatJSON
	tmp  map[string]any
}

func (p *accessControlParser) Name() string { return "accesscontrol" }

func (p *accessControlParser) Parse(line []byte, ev *event.Event) error {
	begin(ev, line, p.opts)
	if p.tmp == nil {
		p.tmp = make(map[string]any, 16)
	} else {
		clear(p.tmp)
	}
	if err := p.fj.flatten(jsonSource(ev, line), p.tmp); err != nil {
		return fail(ev, malformed("accesscontrol", "%v", err))
	}
	str := func(k string) string { s, _ := p.tmp[k].(string); return s }
	door := str("door")
	if door == "" {
		return fail(ev, malformed("accesscontrol", "missing door"))
	}
	tv, ok := p.tmp["time"]
	if !ok {
		return fail(ev, malformed("accesscontrol", "missing time"))
	}
	t, ok := jsonTime(tv, p.opts.loc())
	if !ok {
		return fail(ev, malformed("accesscontrol", "invalid time %v", tv))
	}
	f := ev.Fields
	kind := "event"
	switch r := trimLower(str("result")); r {
	case "granted":
		f["event.category"] = []string{"authentication"}
		f["event.type"] = []string{"access", "allowed"}
		f["event.action"] = "access-granted"
		f["event.outcome"] = "success"
	case "denied":
		f["event.category"] = []string{"authentication"}
		f["event.type"] = []string{"access", "denied"}
		f["event.action"] = "access-denied"
		f["event.outcome"] = "failure"
	case "forced":
		kind = "alert"
		f["event.category"] = []string{"intrusion_detection"}
		f["event.type"] = []string{"info"}
		f["event.action"] = "door-forced"
	case "held_open", "held-open":
		f["event.category"] = []string{"intrusion_detection"}
		f["event.type"] = []string{"info"}
		f["event.action"] = "door-held-open"
	case "tamper":
		kind = "alert"
		f["event.category"] = []string{"intrusion_detection"}
		f["event.type"] = []string{"info"}
		f["event.action"] = "device-tamper"
	default:
		return fail(ev, malformed("accesscontrol", "invalid result %q", str("result")))
	}
	f["event.kind"] = kind
	f["observer.type"] = "access-controller"
	f["vedetta.door.id"] = door
	ev.Set("vedetta.site.id", str("site"))
	if z := str("zone"); z != "" {
		f["vedetta.zone"] = []string{z} // a list, as for cameras
	}
	ev.Set("vedetta.asset.id", str("asset"))
	ev.Set("vedetta.credential.type", trimLower(str("credential_type")))
	ev.Set("vedetta.door.direction", trimLower(str("direction")))
	ev.Set("observer.name", str("controller"))
	ev.Set("event.reason", str("reason"))
	if b, ok := p.tmp["badge_id"]; ok {
		ev.Set("user.id", event.ValueString(b))
	}
	ev.Observed = t.In(time.UTC)
	ev.Category = event.CategoryPhysical
	return nil
}
