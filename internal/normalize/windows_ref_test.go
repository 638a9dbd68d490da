package normalize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// This file holds a reference implementation of the Windows parser's front
// end, as it was before the single-pass scan: the record is decoded by
// encoding/json into flat keys (refFlatten), the shape is chosen by
// strings.Contains, and the envelope is read back from the flattened map.
// It shares only mapWindows (fed from the map) with the parser, and the
// tests below require both to give the same events on the Security-Datasets
// corpus, on winlogbeat-shaped rewrites of it, on damaged variants and under
// fuzzing.

// refFlatten flattens data like flatJSON, with encoding/json's tokenizer.
func refFlatten(data []byte, out map[string]any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return errJSONSyntax
	}
	if err := refObject(dec, "", 1, out); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errJSONSyntax
	}
	return nil
}

func refJoin(base, k string) string {
	if base == "" {
		return k
	}
	return base + "." + k
}

func refObject(dec *json.Decoder, path string, depth int, out map[string]any) error {
	if depth > maxJSONDepth {
		return errJSONDepth
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return errJSONSyntax
		}
		if tok == json.Delim('}') {
			return nil
		}
		k, ok := tok.(string)
		if !ok {
			return errJSONSyntax
		}
		if err := refValue(dec, refJoin(path, k), depth, out); err != nil {
			return err
		}
	}
}

func refValue(dec *json.Decoder, path string, depth int, out map[string]any) error {
	tok, err := dec.Token()
	if err != nil {
		return errJSONSyntax
	}
	return refToken(dec, tok, path, depth, out)
}

func refToken(dec *json.Decoder, tok json.Token, path string, depth int, out map[string]any) error {
	put := func(v any) {
		if path != "" {
			out[path] = v
		}
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return refObject(dec, path, depth+1, out)
		}
		if t != '[' {
			return errJSONSyntax
		}
		if depth+1 > maxJSONDepth {
			return errJSONDepth
		}
		var list []string
		for n := 0; ; n++ {
			tok, err := dec.Token()
			if err != nil {
				return errJSONSyntax
			}
			switch e := tok.(type) {
			case json.Delim:
				if e == ']' {
					if list != nil {
						put(list)
					}
					return nil
				}
				if err := refToken(dec, e, refJoin(path, strconv.Itoa(n)), depth+1, out); err != nil {
					return err
				}
			case string:
				list = append(list, e)
			case json.Number:
				list = append(list, e.String())
			case bool:
				list = append(list, strconv.FormatBool(e))
			}
		}
	case string:
		put(t)
	case json.Number:
		s := t.String()
		put(numberValue(s, !strings.ContainsAny(s, ".eE")))
	case bool:
		put(t)
	}
	return nil
}

// refNXRename is the NXLog key mapping of the reference: envelope keys
// without a target go under an internal key that the front end reads and
// then deletes.
func refNXRename(k string) string {
	target, env := nxlogEnvelope[k]
	switch {
	case !env:
		return "winlog.event_data." + k
	case target != "":
		return target
	}
	return "\x00nx." + k
}

// refWindowsParse is the reference front end (see the top of the file).
func refWindowsParse(p *windowsParser, line []byte, ev *event.Event) error {
	begin(ev, line, p.opts)
	src := string(line)
	var id, channel string
	f := ev.Fields
	if strings.Contains(src, `"winlog":`) || strings.Contains(src, `"winlog" :`) {
		tmp := map[string]any{}
		if err := refFlatten(line, tmp); err != nil {
			return fail(ev, malformed("windows", "%v", err))
		}
		v, ok := tmp["winlog.event_id"]
		if !ok {
			v, ok = tmp["event.code"]
		}
		if !ok {
			return fail(ev, malformed("windows", "no EventID or winlog.event_id"))
		}
		id = event.ValueString(v)
		for k, v := range tmp {
			switch {
			case strings.HasPrefix(k, "winlog."), strings.HasPrefix(k, "host."), strings.HasPrefix(k, "event."),
				strings.HasPrefix(k, "process."), strings.HasPrefix(k, "user."), strings.HasPrefix(k, "source."),
				strings.HasPrefix(k, "destination."), strings.HasPrefix(k, "file."), strings.HasPrefix(k, "log."),
				strings.HasPrefix(k, "agent."), k == "message":
				f[k] = v
			}
		}
		channel = event.ValueString(tmp["winlog.channel"])
		if h := event.ValueString(tmp["winlog.computer_name"]); h != "" && f["host.name"] == nil {
			f["host.name"] = h
		}
		ev.Observed = parseWinTime(tmp["@timestamp"], p.opts.loc())
	} else {
		flat := map[string]any{}
		if err := refFlatten(line, flat); err != nil {
			return fail(ev, malformed("windows", "%v", err))
		}
		for k, v := range flat {
			f[refNXRename(k)] = v
		}
		v, ok := f["\x00nx.EventID"]
		if !ok {
			return fail(ev, malformed("windows", "no EventID or winlog.event_id"))
		}
		id = event.ValueString(v)
		channel = event.ValueString(f["\x00nx.Channel"])
		if h := event.ValueString(f["\x00nx.Hostname"]); h != "" {
			f["host.name"] = h
			f["winlog.computer_name"] = h
		}
		if m := event.ValueString(f["\x00nx.Message"]); m != "" {
			f["message"] = m
		}
		for _, k := range []string{"@timestamp", "TimeCreated", "EventTime"} {
			if t := parseWinTime(f["\x00nx."+k], p.opts.loc()); !t.IsZero() {
				ev.Observed = t
				break
			}
		}
		for k := range f {
			if strings.HasPrefix(k, "\x00nx.") {
				delete(f, k)
			}
		}
	}
	if id == "" || !allDigits(id) {
		return fail(ev, malformed("windows", "invalid event ID %q", id))
	}
	f["winlog.event_id"] = id
	f["event.code"] = id
	if v, ok := f["winlog.record_id"]; ok {
		f["winlog.record_id"] = event.ValueString(v)
	}
	// The values mapWindows reads, from the map.
	clear(p.vals[:])
	for i, n := range winDataNames {
		p.vals[dStatus+i] = f["winlog.event_data."+n]
	}
	for _, k := range []string{"winlog.process.pid", "winlog.process.thread.id"} {
		if s, ok := f[k].(string); ok {
			delete(f, k)
			setPID(ev, k, s)
		}
	}
	if channel != "" {
		f["winlog.channel"] = channel
	}
	if ev.Observed.IsZero() {
		if t := parseWinTime(p.vals[dUtcTime], time.UTC); !t.IsZero() {
			ev.Observed = t
		}
	}
	p.mapWindows(ev, id, strings.ToLower(channel))
	ev.Category = event.CategorySecurity
	return nil
}

// compareWithReference parses line with p and with the reference and
// reports any difference in the event or the error.
func compareWithReference(t *testing.T, p Parser, ref *windowsParser, line []byte) {
	t.Helper()
	var got, want event.Event
	gotErr := p.Parse(line, &got)
	wantErr := refWindowsParse(ref, line, &want)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("input %q:\nerror %v\nreference error %v", line, gotErr, wantErr)
	}
	if !sameEvent(&want, &got) {
		t.Fatalf("input %q (-reference +got):\n%s", line, cmp.Diff(want, got))
	}
}

// sameEvent is a fast equality of parsed events (cmp.Diff explains a
// difference).
func sameEvent(a, b *event.Event) bool {
	if a.ID != b.ID || a.TenantID != b.TenantID || a.SourceID != b.SourceID || !a.Observed.Equal(b.Observed) ||
		!a.Received.Equal(b.Received) || a.Category != b.Category || a.Raw != b.Raw || len(a.Fields) != len(b.Fields) {
		return false
	}
	for k, va := range a.Fields {
		vb, ok := b.Fields[k]
		if !ok {
			return false
		}
		la, aList := va.([]string)
		lb, bList := vb.([]string)
		switch {
		case aList != bList:
			return false
		case aList:
			if !slices.Equal(la, lb) {
				return false
			}
		case va != vb:
			return false
		}
	}
	return true
}

// winlogbeatShape rewrites an NXLog record into the winlogbeat shape
// (variant picks event.code or winlog.event_id, and whether host.name is
// set), for the reference comparison.
func winlogbeatShape(line []byte, variant int) []byte {
	var m map[string]any
	if json.Unmarshal(line, &m) != nil {
		return nil
	}
	ed := map[string]any{}
	wl := map[string]any{"event_data": ed}
	out := map[string]any{"winlog": wl}
	for k, v := range m {
		switch k {
		case "EventID":
			if variant%2 == 0 {
				wl["event_id"] = v
			} else {
				out["event"] = map[string]any{"code": fmt.Sprint(v), "kind": "event"}
			}
		case "Channel":
			wl["channel"] = v
		case "Hostname":
			wl["computer_name"] = v
			if variant%3 == 0 {
				out["host"] = map[string]any{"name": v}
			}
		case "@timestamp":
			out["@timestamp"] = v
		case "Message":
			out["message"] = v
		case "RecordNumber":
			wl["record_id"] = v
		case "ExecutionProcessID":
			wl["process"] = map[string]any{"pid": v, "thread": map[string]any{"id": m["ThreadID"]}}
		case "SourceName":
			wl["provider_name"] = v
		default:
			if _, env := nxlogEnvelope[k]; !env {
				ed[k] = v
			} else if k != "host" {
				out[k] = v
			}
		}
	}
	b, _ := json.Marshal(out)
	return b
}

// damaged returns variants of a record that exercise the shape detection,
// the envelope and the errors.
func damaged(l []byte) [][]byte {
	if len(l) < 10 {
		return nil
	}
	hostname := []byte(`"Hostname":"`)
	return [][]byte{
		l[:len(l)/2], l[:len(l)-1], append(append([]byte{}, l...), " x"...),
		bytes.Replace(l, []byte(`"EventID"`), []byte(`"EventId"`), 1),
		bytes.Replace(l, []byte(`"EventID":`), []byte(`"EventID":null,"EventID":`), 1),
		bytes.Replace(l, []byte(`"EventID":`), []byte(`"EventID":[7,8],"x":`), 1),
		bytes.Replace(l, []byte(`"Channel":"`), []byte(`"Channel":"SECUR`), 1),
		bytes.Replace(l, hostname, []byte(`"winlog" :{"a":1},"Hostname":"`), 1),
		bytes.Replace(l, hostname, []byte(`"x":{"winlog":1},"Hostname":"`), 1),
		bytes.Replace(l, hostname, []byte(`"x\"winlog":1,"Hostname":"`), 1),
		bytes.Replace(l, hostname, []byte(`"winlog"  :1,"Hostname":"`), 1),
		bytes.Replace(l, hostname, []byte(`"a":"\"winlog\":","Hostname":"`), 1),
		bytes.Replace(l, hostname, []byte(`"Image":["a","b"],"User":null,"ProcessId":"0x1f","Hostname":"`), 1),
		bytes.Replace(l, hostname, []byte(`"Hostname":7,"Hostname":"`), 1),
		bytes.Replace(l, hostname, []byte(`"Hostname":"`+strings.Repeat(`\u00e9`, 3)), 1),
		bytes.Replace(l, []byte(`":"`), []byte(`":[{"q":1},2,"s",true,null],"z":"`), 3),
		bytes.ToUpper(l),
	}
}

// TestWindowsMatchesReference compares the parser with the reference on
// every Security-Datasets record, its winlogbeat rewrite and damaged
// variants, with one parser for the whole run (so that the shape guess and
// the key caches carry from record to record as in production).
func TestWindowsMatchesReference(t *testing.T) {
	dir := testenv.SharedData(t, "security-datasets/extracted")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures in %s: %v", dir, err)
	}
	var corpus [][]byte
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for l := range bytes.SplitSeq(data, []byte{'\n'}) {
			if len(bytes.TrimSpace(l)) > 0 {
				corpus = append(corpus, l)
			}
		}
	}
	if len(corpus) != 33815 {
		t.Fatalf("%d records, want 33815", len(corpus))
	}
	for _, drop := range []bool{false, true} {
		p, _ := New("windows", Options{DropRaw: drop})
		ref := &windowsParser{opts: Options{DropRaw: drop}}
		n := 0
		step := 1
		if drop {
			step = 4
		}
		if testing.Short() || raceEnabled {
			step *= 10 // every record when run plainly
		}
		for i, l := range corpus {
			if i%step != 0 {
				continue
			}
			inputs := [][]byte{l, winlogbeatShape(l, i)}
			if i%25 == 0 {
				inputs = append(inputs, damaged(l)...)
			}
			for _, in := range inputs {
				compareWithReference(t, p, ref, in)
				n++
			}
		}
		t.Logf("DropRaw %v: %d records identical", drop, n)
	}
}

// FuzzWindowsReference checks the parser against the reference on any
// input (valid UTF-8 only: encoding/json replaces invalid bytes, the
// scanner keeps them).
func FuzzWindowsReference(f *testing.F) {
	f.Add(benchWindows)
	f.Add([]byte(`{"winlog":{"event_id":1,"channel":"Microsoft-Windows-Sysmon/Operational","event_data":{"Image":"a","Hashes":"SHA1=AB,MD5=CD","User":"D\\u"}}}`))
	f.Add([]byte(`{"EventID":4625,"Channel":"Security","x":{"winlog" :1},"TargetUserName":"a","IpAddress":"::ffff:10.0.0.1","IpPort":"22"}`))
	f.Add([]byte(`{"EventID":4688,"Channel":"SECURITY","x\"winlog":1,"NewProcessName":"C:\\a.exe","NewProcessId":"0x10"}`))
	f.Add([]byte(`{"event":{"code":"4624"},"host":{"name":"H"},"winlog":{"channel":"Security","record_id":5,"process":{"pid":"7"}}}`))
	f.Add([]byte(`{"EventID":[1,2],"Channel":["Security"],"Hostname":null,"Message":3,"RecordNumber":1.5e3}`))
	p, _ := New("windows", Options{})
	ref := &windowsParser{}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !utf8.Valid(in) {
			return
		}
		var got, want event.Event
		gotErr := p.Parse(in, &got)
		wantErr := refWindowsParse(ref, in, &want)
		if errors.Is(wantErr, ErrMalformed) && errors.Is(gotErr, ErrMalformed) {
			return // both refuse; the scanner and encoding/json may name different faults
		}
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("input %q: error %v, reference error %v", in, gotErr, wantErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("input %q (-reference +got):\n%s", in, diff)
		}
	})
}
