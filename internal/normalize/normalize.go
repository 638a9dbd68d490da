// Package normalize turns raw log lines and JSON documents into normalised
// events: flat ECS field names in event.Event.Fields, plus the vedetta.*
// namespace for physical security (doors, zones, cameras, sites).
//
// Each input format has a Parser, built by New from a format name; there is
// no global registry and no init-time registration. A Parser fills the
// event's Fields, Observed time and retention Category, and keeps the
// original line in Raw unless Options.DropRaw is set. Parse errors wrap
// ErrMalformed with a precise reason, and a failed Parse leaves no fields
// behind, so nothing half-parsed is ever accepted.
//
// Formats (New's names; each parser's doc comment gives the full mapping):
//
//	syslog         RFC 5424 (strict) or RFC 3164 (tolerant), auto-detected; sshd, PAM,
//	               sudo and su messages become authentication events; a CEF message is
//	               decoded too                                  → system / security
//	syslog5424     strict RFC 5424 only                          → system / security
//	syslog3164     tolerant RFC 3164 only                        → system / security
//	access         Apache/nginx common and combined access logs  → web
//	apache_error   Apache httpd 2.2/2.4 error log                → web
//	nginx_error    nginx error log                               → web
//	iis            IIS W3C extended log (stateful: #Fields)      → web
//	windows        Windows Security/Sysmon/PowerShell JSON, winlogbeat or NXLog shape → security
//	cef            ArcSight CEF, bare or after a syslog header   → security
//	json           any JSON object, mapped by Options.FieldMap   → Options.Category
//	frigate        Frigate NVR MQTT frigate/events and frigate/reviews payloads → camera
//	accesscontrol  Vedetta's generic door/badge JSON (schema in accesscontrol.go) → physical
//	auditd         Linux audit records (type=... msg=audit(...): ...) → security
//
// ParseStream runs a Parser over newline-delimited input and writes NDJSON,
// for the "vedetta parse --format F" command.
//
// Concurrency: a Parser is NOT safe for concurrent use. Some parsers carry
// per-source state (the IIS W3C parser remembers the last #Fields header, the
// syslog parser reuses its scanner buffers), so create one Parser per source
// and goroutine. New is cheap.
//
// Field values are restricted to the closed set of event.Event: string,
// int64, float64, bool and []string.
package normalize

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// ErrMalformed reports input that does not follow the parser's format. The
// returned errors wrap it with the reason, for example
// "normalize: syslog: malformed input: missing timestamp".
var ErrMalformed = errors.New("malformed input")

// ErrUnknownFormat reports a format name that New does not know.
var ErrUnknownFormat = errors.New("unknown format")

// Parser turns one raw record into one event.
type Parser interface {
	// Name returns the format name the parser was built for.
	Name() string
	// Parse fills ev from line. On error ev is left without fields. When
	// the raw record is kept and ev.Raw already holds exactly line's bytes,
	// that string is kept rather than copied (a caller parsing a batch can
	// slice every record's raw text from one string).
	Parse(line []byte, ev *event.Event) error
}

// Options configures a Parser. The zero value is usable.
type Options struct {
	// Now is the reference clock for RFC 3164 year inference; default time.Now.
	Now func() time.Time
	// Location is the zone of timestamps that carry no offset (RFC 3164,
	// IIS local time, access-control "time" without zone); default UTC.
	Location *time.Location
	// DropRaw leaves ev.Raw empty instead of keeping the original record.
	DropRaw bool
	// FieldMap maps a dotted source path to an ECS field for the "json"
	// format, e.g. {"src.addr": "source.ip", "ts": "@timestamp"}.
	FieldMap map[string]string
	// UseGoSyslog5424 parses RFC 5424 with github.com/leodido/go-syslog's
	// state machine instead of the built-in scanner (same results on the
	// conformance vectors; the built-in scanner is faster).
	UseGoSyslog5424 bool
	// Category is the retention category for the "json" format; default
	// event.CategorySystem.
	Category string
	// ListFields builds events with their fields in event.Event.List
	// rather than a map, for callers that only encode them (the ingestion
	// path: cheaper to build and to encode). Formats whose parsers do not
	// build lists (listFormats) ignore it and fill Fields.
	ListFields bool
}

// Clocked is implemented by parsers that read the clock for every record
// (the RFC 3164 parser infers missing years from it). SetNow fixes the time
// they take as now until SetNow(time.Time{}) restores Options.Now: a caller
// parsing a batch of records received together reads the clock once.
type Clocked interface {
	SetNow(now time.Time)
}

// listFormats are the formats whose parsers build event.Event.List when
// Options.ListFields asks (their sub-parsers, such as CEF inside syslog,
// may still move the fields to a map with FieldMap).
var listFormats = map[string]bool{"syslog": true, "syslog5424": true, "syslog3164": true,
	"access": true, "apache_error": true, "nginx_error": true, "iis": true}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) loc() *time.Location {
	if o.Location != nil {
		return o.Location
	}
	return time.UTC
}

// Formats lists the names accepted by New, sorted.
func Formats() []string {
	names := make([]string, 0, len(constructors))
	for k := range constructors {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

var constructors = map[string]func(Options) (Parser, error){
	"syslog":        func(o Options) (Parser, error) { return newSyslog("syslog", o, modeAuto), nil },
	"syslog5424":    func(o Options) (Parser, error) { return newSyslog("syslog5424", o, mode5424), nil },
	"syslog3164":    func(o Options) (Parser, error) { return newSyslog("syslog3164", o, mode3164), nil },
	"access":        func(o Options) (Parser, error) { return &accessParser{name: "access", opts: o}, nil },
	"apache_error":  func(o Options) (Parser, error) { return &errorLogParser{name: "apache_error", opts: o}, nil },
	"nginx_error":   func(o Options) (Parser, error) { return &errorLogParser{name: "nginx_error", opts: o}, nil },
	"iis":           func(o Options) (Parser, error) { return &iisParser{opts: o}, nil },
	"windows":       func(o Options) (Parser, error) { return &windowsParser{opts: o}, nil },
	"cef":           func(o Options) (Parser, error) { return newCEF(o), nil },
	"json":          newJSONMap,
	"frigate":       func(o Options) (Parser, error) { return &frigateParser{opts: o}, nil },
	"accesscontrol": func(o Options) (Parser, error) { return &accessControlParser{opts: o}, nil },
	"auditd":        func(o Options) (Parser, error) { return &auditdParser{opts: o}, nil },
}

// New returns a Parser for format, one of Formats(). Aliases: "nginx" and
// "apache" mean "access"; "rfc5424"/"rfc3164" mean "syslog5424"/"syslog3164";
// "winlogbeat", "nxlog", "sysmon" mean "windows".
func New(format string, opts Options) (Parser, error) {
	f := strings.ToLower(strings.TrimSpace(format))
	switch f {
	case "nginx", "apache", "combined", "common":
		f = "access"
	case "rfc5424":
		f = "syslog5424"
	case "rfc3164":
		f = "syslog3164"
	case "winlogbeat", "nxlog", "sysmon", "evtx_json":
		f = "windows"
	}
	c, ok := constructors[f]
	if !ok {
		return nil, fmt.Errorf("normalize: %q: %w", format, ErrUnknownFormat)
	}
	opts.ListFields = opts.ListFields && listFormats[f]
	return c(opts)
}

// malformed builds an error wrapping ErrMalformed.
func malformed(parser, format string, args ...any) error {
	return fmt.Errorf("normalize: %s: %w: %s", parser, ErrMalformed, fmt.Sprintf(format, args...))
}

// begin resets ev for a new parse, reusing its map or list.
func begin(ev *event.Event, line []byte, o Options) {
	if o.ListFields {
		ev.UseList()
	} else {
		ev.UseMap()
	}
	ev.Observed = time.Time{}
	ev.Category = ""
	if o.DropRaw {
		ev.Raw = ""
	} else if ev.Raw != string(line) { // no copy when the caller set it (Parser.Parse)
		ev.Raw = string(line)
	}
}

// fail clears what a parse left in ev and returns err.
func fail(ev *event.Event, err error) error {
	if ev.Listed() {
		ev.UseList()
	} else {
		clear(ev.Fields)
	}
	ev.Observed = time.Time{}
	ev.Category = ""
	ev.Raw = ""
	return err
}

// fieldString returns a string field of ev, "" when absent or not a string.
func fieldString(ev *event.Event, key string) string {
	v, _ := ev.Get(key)
	s, _ := v.(string)
	return s
}

// lineString returns part, a subslice of line, as a string: a substring of
// ev.Raw when ev.Raw holds line (no second copy of the bytes), else a copy.
func lineString(ev *event.Event, line, part []byte) string {
	if i := cap(line) - cap(part); len(ev.Raw) == len(line) && i >= 0 && i+len(part) <= len(line) {
		if s := ev.Raw[i : i+len(part)]; s == string(part) {
			return s
		}
	}
	return string(part)
}
