package normalize

import (
	"strings"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// frigateParser reads the MQTT payloads that the Frigate NVR publishes:
//
//   - frigate/events: {"type": "new"|"update"|"end", "before": {...},
//     "after": {"id", "camera", "label", "sub_label", "score", "top_score",
//     "box", "current_zones", "entered_zones", "stationary", "frame_time",
//     "start_time", "end_time", "has_snapshot", "has_clip", ...}};
//   - frigate/reviews: {"type": ..., "before": {...}, "after": {"id",
//     "camera", "severity": "alert"|"detection", "start_time", "end_time",
//     "data": {"objects", "zones", "sub_labels", "detections"}}}.
//
// The "after" state (or "before" when after is missing) becomes one alert:
// event.kind=alert, event.category=[intrusion_detection], event.type
// start|change|end for new|update|end, observer.type=camera,
// vedetta.camera.id, vedetta.detection.object_class (the label; for a review
// the most important of data.objects, all of which are in
// vedetta.detection.objects), vedetta.detection.confidence (top_score,
// else score), vedetta.detection.bbox, vedetta.zone (a list: current zones,
// else entered zones), vedetta.media.ref (a pointer "frigate:event:<id>", never
// the media itself). event.action is zone-intrusion when the object is in a
// zone, loitering for a stationary person in a zone, person-detected,
// plate-read when Frigate recognised a plate, and object-detected otherwise.
type frigateParser struct {
	opts Options
	fj   flatJSON
	tmp  map[string]any
}

func (p *frigateParser) Name() string { return "frigate" }

func (p *frigateParser) Parse(line []byte, ev *event.Event) error {
	begin(ev, line, p.opts)
	if p.tmp == nil {
		p.tmp = make(map[string]any, 64)
	} else {
		clear(p.tmp)
	}
	if err := p.fj.flatten(jsonSource(ev, line), p.tmp); err != nil {
		return fail(ev, malformed("frigate", "%v", err))
	}
	typ, _ := p.tmp["type"].(string)
	var evType string
	switch typ {
	case "new":
		evType = "start"
	case "update":
		evType = "change"
	case "end":
		evType = "end"
	case "genai":
		evType = "info"
	default:
		return fail(ev, malformed("frigate", "invalid type %q", typ))
	}
	state := "after."
	if _, ok := p.tmp["after.id"]; !ok {
		state = "before."
	}
	get := func(k string) any { return p.tmp[state+k] }
	str := func(k string) string { s, _ := get(k).(string); return s }
	id, camera := str("id"), str("camera")
	if id == "" || camera == "" {
		return fail(ev, malformed("frigate", "missing %sid or %scamera", state, state))
	}
	f := ev.Fields
	f["event.kind"] = "alert"
	f["event.category"] = []string{"intrusion_detection"}
	f["event.type"] = []string{evType}
	f["observer.type"] = "camera"
	f["observer.vendor"] = "Frigate"
	f["event.id"] = id
	f["vedetta.camera.id"] = camera
	f["vedetta.media.ref"] = "frigate:event:" + id
	zones := stringList(get("current_zones"))
	if len(zones) == 0 {
		zones = stringList(get("entered_zones"))
	}
	var person bool
	if label := str("label"); label != "" {
		// frigate/events
		f["vedetta.detection.object_class"] = label
		person = label == "person"
		conf, ok := number(get("top_score"))
		if !ok {
			conf, ok = number(get("score"))
		}
		if ok {
			f["vedetta.detection.confidence"] = conf
		}
		if box := stringList(get("box")); len(box) == 4 {
			f["vedetta.detection.bbox"] = box
		}
		if sub := str("sub_label"); sub != "" {
			f["vedetta.detection.sub_label"] = sub
		} else if sub := stringList(get("sub_label")); len(sub) > 0 {
			f["vedetta.detection.sub_label"] = sub[0]
		}
		if plate := str("recognized_license_plate"); plate != "" {
			f["vedetta.detection.plate"] = plate
		}
		for _, k := range [...]string{"has_snapshot", "has_clip", "stationary", "false_positive"} {
			if b, ok := get(k).(bool); ok {
				f["vedetta.detection."+k] = b
			}
		}
	} else if sev := str("severity"); sev != "" {
		// frigate/reviews
		f["vedetta.review.severity"] = sev
		objects := stringList(get("data.objects"))
		for _, o := range objects {
			person = person || o == "person"
		}
		if len(objects) > 0 {
			// object_class stays a string across both payloads: the most
			// important object (a person if any); the list is kept too.
			f["vedetta.detection.objects"] = objects
			f["vedetta.detection.object_class"] = objects[0]
			if person {
				f["vedetta.detection.object_class"] = "person"
			}
		}
		if len(zones) == 0 {
			zones = stringList(get("data.zones"))
		}
		if d := stringList(get("data.detections")); len(d) > 0 {
			f["vedetta.detection.ids"] = d
		}
		f["vedetta.media.ref"] = "frigate:review:" + id
	} else {
		return fail(ev, malformed("frigate", "neither an event (label) nor a review (severity)"))
	}
	if len(zones) > 0 {
		f["vedetta.zone"] = zones
	}
	stationary, _ := f["vedetta.detection.stationary"].(bool)
	switch {
	case len(zones) > 0 && person && stationary:
		f["event.action"] = "loitering"
	case len(zones) > 0:
		f["event.action"] = "zone-intrusion"
	case person:
		f["event.action"] = "person-detected"
	case f["vedetta.detection.plate"] != nil:
		f["event.action"] = "plate-read"
	default:
		f["event.action"] = "object-detected"
	}
	for _, k := range [...]string{"frame_time", "start_time"} {
		if x, ok := number(get(k)); ok {
			if t, ok := epoch(x); ok {
				ev.Observed = t
				break
			}
		}
	}
	if x, ok := number(get("start_time")); ok {
		if t, ok := epoch(x); ok {
			f["event.start"] = t.Format("2006-01-02T15:04:05.000000Z07:00")
		}
	}
	if x, ok := number(get("end_time")); ok {
		if t, ok := epoch(x); ok {
			f["event.end"] = t.Format("2006-01-02T15:04:05.000000Z07:00")
		}
	}
	ev.Category = event.CategoryCamera
	return nil
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

func stringList(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case string:
		if x != "" {
			return []string{x}
		}
	}
	return nil
}

// trimLower is a small helper for case-insensitive enumerations.
func trimLower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
