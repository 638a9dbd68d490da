package normalize

import (
	"errors"
	"github.com/vedetta-sec/vedetta/internal/event"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// flatJSON flattens one JSON document into dotted keys: {"a":{"b":1}} gives
// "a.b" → int64(1). Strings stay strings, integral numbers become int64,
// other numbers float64, booleans bool; null is dropped. An array of scalars
// becomes []string of their text; objects inside arrays are flattened under
// "path.N". The scanner is hand-written because decoding into map[string]any
// with encoding/json costs several times more (see BenchmarkWindowsJSON).
//
// It accepts exactly RFC 8259 JSON (a fuzz target checks it against
// encoding/json.Valid) and limits nesting to maxJSONDepth.
type flatJSON struct {
	data  string
	pos   int
	path  []byte
	str   []byte
	depth int
	out   map[string]any
	keys  map[string]*keyEntry // interned flattened keys (after classify)
	// Documents of one source mostly repeat their keys in the same order:
	// key() first tries the key that followed the previous one last time
	// (last.next, or first for a document's first key), one comparison
	// instead of a map lookup.
	first, last *keyEntry
	// classify, when set, decides what each flattened key becomes: the key
	// stored in out ("" for none) and a slot of slots that receives the value
	// too (-1 for none). The result is cached per distinct key. Without it a
	// key is stored under its own name.
	classify func(string) fieldKey
	slots    []any
	// watch, when set, is a key to look out for: seen reports whether an
	// object key whose raw text is watch, or ends with an escaped quote and
	// watch, is directly followed by ':' or by ' :' (where strings.Contains
	// finds `"watch":` or `"watch" :` in valid JSON). With stopOnWatch,
	// flatten then stops with errWatched.
	watch       string
	seen        bool
	stopOnWatch bool
}

// fieldKey is what a flattened key becomes (see flatJSON.classify).
type fieldKey struct {
	name string // key in out; "" stores nothing
	slot int    // index in flatJSON.slots; -1 for none
}

// keyEntry is an interned flattened key.
type keyEntry struct {
	path string
	fieldKey
	next *keyEntry // the key that followed this one in the last document
}

// maxInternedKeys bounds the key cache of one parser.
const maxInternedKeys = 4096

const maxJSONDepth = 64

var (
	errJSONSyntax = errors.New("invalid JSON")
	errJSONDepth  = errors.New("JSON nested too deeply")
	// errWatched stops flatten at the watched key (flatJSON.stopOnWatch).
	errWatched = errors.New("watched key")
)

// flatten parses data into out (which it does not clear). The top-level value
// must be an object. String values without escapes are substrings of data,
// so callers pass the event's Raw copy to avoid one allocation per value.
func (f *flatJSON) flatten(data string, out map[string]any) error {
	f.data, f.pos, f.path, f.depth, f.out, f.seen, f.last = data, 0, f.path[:0], 0, out, false, nil
	f.ws()
	if f.pos >= len(f.data) || f.data[f.pos] != '{' {
		return errJSONSyntax
	}
	if err := f.value(); err != nil {
		return err
	}
	f.ws()
	if f.pos != len(f.data) {
		return errJSONSyntax
	}
	return nil
}

func (f *flatJSON) ws() {
	for f.pos < len(f.data) {
		switch f.data[f.pos] {
		case ' ', '\t', '\n', '\r':
			f.pos++
		default:
			return
		}
	}
}

// value parses the value at f.pos and stores it under f.path.
func (f *flatJSON) value() error {
	if f.pos >= len(f.data) {
		return errJSONSyntax
	}
	switch c := f.data[f.pos]; {
	case c == '{':
		return f.object()
	case c == '[':
		return f.array()
	case c == '"':
		raw, b, err := f.stringBytes()
		if err != nil || len(f.path) == 0 {
			return err
		}
		k := f.key()
		if k.name == "" && k.slot < 0 {
			return nil // dropped: do not box the string
		}
		var v any = raw
		if b != nil {
			v = string(b)
		}
		f.store(k, v)
		return nil
	case c == 't':
		return f.literal("true", true)
	case c == 'f':
		return f.literal("false", false)
	case c == 'n':
		return f.literal("null", nil)
	case c == '-' || isDigit(c):
		text, integral, err := f.number()
		if err != nil || len(f.path) == 0 {
			return err
		}
		k := f.key()
		if k.name == "" && k.slot < 0 {
			return nil // dropped: do not convert nor box the number
		}
		f.store(k, numberValue(text, integral))
		return nil
	}
	return errJSONSyntax
}

func (f *flatJSON) put(v any) {
	if v == nil || len(f.path) == 0 {
		return
	}
	f.store(f.key(), v)
}

func (f *flatJSON) store(k fieldKey, v any) {
	if k.name != "" {
		f.out[k.name] = v
	}
	if k.slot >= 0 {
		f.slots[k.slot] = v
	}
}

// key returns what f.path becomes, interned.
func (f *flatJSON) key() fieldKey {
	next := f.first
	if f.last != nil {
		next = f.last.next
	}
	if next != nil && next.path == string(f.path) {
		f.last = next
		return next.fieldKey
	}
	e, ok := f.keys[string(f.path)]
	if !ok {
		raw := string(f.path)
		k := fieldKey{name: raw, slot: -1}
		if f.classify != nil {
			k = f.classify(raw)
		}
		if len(f.keys) >= maxInternedKeys {
			f.last = nil
			return k
		}
		if f.keys == nil {
			f.keys = make(map[string]*keyEntry, 64)
		}
		e = &keyEntry{path: raw, fieldKey: k}
		f.keys[raw] = e
	}
	if f.last != nil {
		f.last.next = e
	} else {
		f.first = e
	}
	f.last = e
	return e.fieldKey
}

func (f *flatJSON) literal(lit string, v any) error {
	if len(f.data)-f.pos < len(lit) || f.data[f.pos:f.pos+len(lit)] != lit {
		return errJSONSyntax
	}
	f.pos += len(lit)
	f.put(v)
	return nil
}

func (f *flatJSON) object() error {
	f.depth++
	if f.depth > maxJSONDepth {
		return errJSONDepth
	}
	f.pos++ // '{'
	base := len(f.path)
	f.ws()
	if f.pos < len(f.data) && f.data[f.pos] == '}' {
		f.pos++
		f.depth--
		return nil
	}
	for {
		f.ws()
		if f.pos >= len(f.data) || f.data[f.pos] != '"' {
			return errJSONSyntax
		}
		kstart := f.pos
		kraw, kb, err := f.stringBytes()
		if err != nil {
			return err
		}
		if f.watch != "" && f.watched(kstart) {
			f.seen = true
			if f.stopOnWatch {
				return errWatched
			}
		}
		f.ws()
		if f.pos >= len(f.data) || f.data[f.pos] != ':' {
			return errJSONSyntax
		}
		f.pos++
		f.ws()
		if base > 0 {
			f.path = append(f.path, '.')
		}
		if kb != nil {
			f.path = append(f.path, kb...)
		} else {
			f.path = append(f.path, kraw...)
		}
		if err := f.value(); err != nil {
			return err
		}
		f.path = f.path[:base]
		f.ws()
		if f.pos >= len(f.data) {
			return errJSONSyntax
		}
		switch f.data[f.pos] {
		case ',':
			f.pos++
		case '}':
			f.pos++
			f.depth--
			return nil
		default:
			return errJSONSyntax
		}
	}
}

// array stores scalar elements as one []string; objects and arrays inside
// are flattened under "path.N".
func (f *flatJSON) array() error {
	f.depth++
	if f.depth > maxJSONDepth {
		return errJSONDepth
	}
	f.pos++ // '['
	base := len(f.path)
	var list []string
	f.ws()
	if f.pos < len(f.data) && f.data[f.pos] == ']' {
		f.pos++
		f.depth--
		return nil
	}
	for n := 0; ; n++ {
		f.ws()
		if f.pos >= len(f.data) {
			return errJSONSyntax
		}
		switch c := f.data[f.pos]; {
		case c == '"':
			s, err := f.stringValue()
			if err != nil {
				return err
			}
			list = append(list, s)
		case c == '-' || isDigit(c):
			text, _, err := f.number()
			if err != nil {
				return err
			}
			list = append(list, text)
		case c == 't' || c == 'f' || c == 'n':
			var lit string
			switch c {
			case 't':
				lit = "true"
			case 'f':
				lit = "false"
			default:
				lit = "null"
			}
			if len(f.data)-f.pos < len(lit) || f.data[f.pos:f.pos+len(lit)] != lit {
				return errJSONSyntax
			}
			f.pos += len(lit)
			if c != 'n' {
				list = append(list, lit)
			}
		case c == '{' || c == '[':
			f.path = strconv.AppendInt(append(f.path, '.'), int64(n), 10)
			if base == 0 {
				f.path = f.path[1:]
			}
			if err := f.value(); err != nil {
				return err
			}
			f.path = f.path[:base]
		default:
			return errJSONSyntax
		}
		f.ws()
		if f.pos >= len(f.data) {
			return errJSONSyntax
		}
		switch f.data[f.pos] {
		case ',':
			f.pos++
		case ']':
			f.pos++
			f.depth--
			if list != nil && len(f.path) > 0 {
				f.store(f.key(), list)
			}
			return nil
		default:
			return errJSONSyntax
		}
	}
}

// watched reports whether the key string that starts at start (its opening
// quote) and ends at f.pos (after its closing quote) is f.watch as defined
// by flatJSON.watch. Inside a valid string every '"' is escaped, so a raw
// text ending with '"'+watch ends with an escaped quote and watch.
func (f *flatJSON) watched(start int) bool {
	raw := f.data[start+1 : f.pos-1]
	w := f.watch
	if len(raw) < len(w) || raw[len(raw)-1] != w[len(w)-1] {
		return false // the common case, decided cheaply
	}
	if raw != w && (len(raw) <= len(w) || raw[len(raw)-len(w):] != w || raw[len(raw)-len(w)-1] != '"') {
		return false
	}
	rest := f.data[f.pos:]
	return len(rest) > 0 && rest[0] == ':' || len(rest) > 1 && rest[0] == ' ' && rest[1] == ':'
}

// number validates the JSON number at f.pos and returns its text and
// whether it is integral (no fraction, no exponent).
func (f *flatJSON) number() (string, bool, error) {
	d := f.data
	start := f.pos
	i := f.pos
	if d[i] == '-' {
		i++
	}
	if i >= len(d) {
		return "", false, errJSONSyntax
	}
	switch {
	case d[i] == '0':
		i++
	case d[i] >= '1' && d[i] <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return "", false, errJSONSyntax
	}
	integral := true
	if i < len(d) && d[i] == '.' {
		integral = false
		i++
		j := i
		for i < len(d) && isDigit(d[i]) {
			i++
		}
		if i == j {
			return "", false, errJSONSyntax
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		integral = false
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && isDigit(d[i]) {
			i++
		}
		if i == j {
			return "", false, errJSONSyntax
		}
	}
	f.pos = i
	return d[start:i], integral, nil
}

// numberValue converts the text of a valid JSON number: int64 when it is
// integral and fits, else float64 (±Inf beyond the float range, which
// strconv reports with ErrRange; valid JSON text has no other error).
func numberValue(text string, integral bool) any {
	if integral && len(text) <= 18 { // at most 18 digits: no overflow
		s := text
		if s[0] == '-' {
			s = s[1:]
		}
		var n int64
		for i := 0; i < len(s); i++ {
			n = n*10 + int64(s[i]-'0')
		}
		if text[0] == '-' {
			n = -n
		}
		return n
	}
	if integral {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n
		}
	}
	x, _ := strconv.ParseFloat(text, 64)
	return x
}

// stringValue parses the string at f.pos: a substring of f.data when it has
// no escapes.
func (f *flatJSON) stringValue() (string, error) {
	raw, b, err := f.stringBytes()
	if err != nil {
		return "", err
	}
	if b == nil {
		return raw, nil
	}
	return string(b), nil
}

// stringBytes parses the string at f.pos. It returns either raw, a substring
// of f.data (no escapes), or b, the unescaped bytes in f.str valid until the
// next call.
func (f *flatJSON) stringBytes() (raw string, b []byte, err error) {
	d := f.data
	start := f.pos + 1
	i := plainRun(d, start)
	if i < len(d) && d[i] == '"' {
		f.pos = i + 1
		return d[start:i], nil, nil
	}
	f.str = append(f.str[:0], d[start:i]...)
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			f.pos = i + 1
			return "", f.str, nil
		case c < 0x20:
			return "", nil, errJSONSyntax
		case c != '\\':
			j := plainRun(d, i+1)
			f.str = append(f.str, d[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(d) {
			return "", nil, errJSONSyntax
		}
		switch d[i+1] {
		case '"', '\\', '/':
			f.str = append(f.str, d[i+1])
		case 'b':
			f.str = append(f.str, '\b')
		case 'f':
			f.str = append(f.str, '\f')
		case 'n':
			f.str = append(f.str, '\n')
		case 'r':
			f.str = append(f.str, '\r')
		case 't':
			f.str = append(f.str, '\t')
		case 'u':
			r, ok := hex4(d, i+2)
			if !ok {
				return "", nil, errJSONSyntax
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(d, i+2); ok && i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						f.str = utf8.AppendRune(f.str, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			f.str = utf8.AppendRune(f.str, r)
			continue
		default:
			return "", nil, errJSONSyntax
		}
		i += 2
	}
	return "", nil, errJSONSyntax
}

// plainRun returns the index of the first byte at or after i that ends a
// run of plain string content: '"', '\\' or a control character (below
// 0x20), or len(d). It tests eight bytes at a time.
func plainRun(d string, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(d); i += 8 {
		w := d[i : i+8] // one bounds check; the loads combine into one
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		q := x ^ (ones * '"')
		bs := x ^ (ones * '\\')
		// A byte is zero in q or bs, or below 0x20 in x, exactly when the
		// classic "has less than" test sets its high bit: (v-n)&^v&0x80
		// for each byte v (bytes of 0x80 and above never match).
		if ((q-ones)&^q|(bs-ones)&^bs|(x-ones*0x20)&^x)&highs != 0 {
			break
		}
	}
	for ; i < len(d); i++ {
		if c := d[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return i
}

func hex4(d string, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var r rune
	for k := i; k < i+4; k++ {
		c := d[k]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// jsonSource returns the record as a string for flatJSON, reusing ev.Raw
// (set by begin) so that string values are substrings of it.
func jsonSource(ev *event.Event, line []byte) string {
	if ev.Raw != "" && len(ev.Raw) == len(line) {
		return ev.Raw
	}
	return string(line)
}
