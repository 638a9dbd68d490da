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
	keys  map[string]string // interned flattened keys (after rename)
	// rename, when set, maps each flattened key to the key stored in out;
	// the result is cached with the interned key.
	rename func(string) string
}

// maxInternedKeys bounds the key cache of one parser.
const maxInternedKeys = 4096

const maxJSONDepth = 64

var (
	errJSONSyntax = errors.New("invalid JSON")
	errJSONDepth  = errors.New("JSON nested too deeply")
)

// flatten parses data into out (which it does not clear). The top-level value
// must be an object. String values without escapes are substrings of data,
// so callers pass the event's Raw copy to avoid one allocation per value.
func (f *flatJSON) flatten(data string, out map[string]any) error {
	f.data, f.pos, f.path, f.depth, f.out = data, 0, f.path[:0], 0, out
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
		s, err := f.stringValue()
		if err != nil {
			return err
		}
		f.put(s)
		return nil
	case c == 't':
		return f.literal("true", true)
	case c == 'f':
		return f.literal("false", false)
	case c == 'n':
		return f.literal("null", nil)
	case c == '-' || isDigit(c):
		v, _, err := f.number()
		if err != nil {
			return err
		}
		f.put(v)
		return nil
	}
	return errJSONSyntax
}

func (f *flatJSON) put(v any) {
	if v == nil || len(f.path) == 0 {
		return
	}
	f.out[f.key()] = v
}

// key returns f.path as an interned string.
func (f *flatJSON) key() string {
	if k, ok := f.keys[string(f.path)]; ok {
		return k
	}
	raw := string(f.path)
	k := raw
	if f.rename != nil {
		k = f.rename(raw)
	}
	if f.keys == nil {
		f.keys = make(map[string]string, 64)
	}
	if len(f.keys) < maxInternedKeys {
		f.keys[raw] = k
	}
	return k
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
		kraw, kb, err := f.stringBytes()
		if err != nil {
			return err
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
			_, text, err := f.number()
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
				f.out[f.key()] = list
			}
			return nil
		default:
			return errJSONSyntax
		}
	}
}

// number validates a JSON number and returns it as int64 or float64 plus its
// text.
func (f *flatJSON) number() (any, string, error) {
	d := f.data
	start := f.pos
	i := f.pos
	if d[i] == '-' {
		i++
	}
	if i >= len(d) {
		return nil, "", errJSONSyntax
	}
	switch {
	case d[i] == '0':
		i++
	case d[i] >= '1' && d[i] <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return nil, "", errJSONSyntax
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
			return nil, "", errJSONSyntax
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
			return nil, "", errJSONSyntax
		}
	}
	f.pos = i
	text := d[start:i]
	if integral {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, text, nil
		}
	}
	x, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, "", errJSONSyntax
	}
	return x, text, nil
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
	i := f.pos + 1
	start := i
	for i < len(d) {
		c := d[i]
		if c == '"' {
			f.pos = i + 1
			return d[start:i], nil, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", nil, errJSONSyntax
		}
		i++
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
			f.str = append(f.str, c)
			i++
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
