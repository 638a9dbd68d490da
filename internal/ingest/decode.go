package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// The decoder below reads the bus wire format (MarshalEvent) in one pass
// over the bytes, without encoding/json: consumers (detection, the event
// writer) decode every event, so this is their per-event floor. It accepts
// any JSON object with the same meaning encoding/json gave it when
// UnmarshalEvent used it (the differential test in decode_test.go holds it
// to that): keys matched exactly or, like encoding/json, case-insensitively;
// unknown keys skipped; a repeated key wins over the earlier one (a
// repeated "fields" object is merged, null clears it); strings unescaped
// as encoding/json does (invalid UTF-8 and lone surrogates become U+FFFD);
// times as time.Time.UnmarshalJSON reads them (strict RFC 3339).

// decoder holds the reusable state of decoding: scratch space and a small
// cache of recent strings, so that the field names and the common values
// repeated from event to event are neither copied nor boxed again.
type decoder struct {
	data []byte
	i    int

	scratch []byte   // unescaped string bytes
	list    []string // list values being read
	bad     []badField
	hint    int         // size of the last fields map, to size the next
	keys    stringCache // field names
	values  stringCache // short string values
	zbuf    []byte      // a compressed message, decompressed
	bin     binDec      // the slots of a binary message
}

// A stringCache is two-way set-associative: a string (≤ cacheMaxLen bytes)
// goes to one of the two slots of the set its hash names, replacing the
// older one. It is bounded whatever the input, and the hot strings (field
// names, categories, outcomes, actions, host names) stay in it while
// one-off values (addresses, ports as text) pass through. Field names have
// a cache of their own so that values cannot evict them.
const (
	cacheSets   = 512
	cacheMaxLen = 48
)

type stringCache struct {
	slots [2 * cacheSets]cacheSlot
	old   [cacheSets]uint8 // per set, the slot to replace next
}

type cacheSlot struct {
	s string
	v any // s boxed, so that a cached field value costs no allocation
}

// get returns b as a string and boxed, from the cache when it holds it.
func (c *stringCache) get(b []byte) (string, any) {
	if len(b) > cacheMaxLen {
		s := string(b)
		return s, s
	}
	return c.lookup(unsafe.String(unsafe.SliceData(b), len(b)))
}

// getString is get for a string that stays as it is (a part of a decoded
// raw line): one too long for the cache is returned itself.
func (c *stringCache) getString(s string) (string, any) {
	if len(s) > cacheMaxLen {
		return s, s
	}
	return c.lookup(s)
}

// lookup returns s (at most cacheMaxLen bytes, which may alias memory
// that is reused: it is copied before it is kept) from the cache, or a
// copy of it, boxed.
func (c *stringCache) lookup(s string) (string, any) {
	if len(s) == 0 {
		return "", ""
	}
	h := maphash.String(cacheSeed, s)
	set := h % cacheSets
	a, o := &c.slots[2*set], &c.slots[2*set+1]
	if a.s == s {
		c.old[set] = 1
		return a.s, a.v
	}
	if o.s == s {
		c.old[set] = 0
		return o.s, o.v
	}
	e := &c.slots[2*set+uint64(c.old[set])]
	c.old[set] ^= 1
	s = strings.Clone(s)
	e.s, e.v = s, s
	return s, e.v
}

var (
	decoders  = sync.Pool{New: func() any { return new(decoder) }}
	cacheSeed = maphash.MakeSeed()
)

// release returns d to the pool, without the input it read.
func (d *decoder) release() {
	d.data, d.i = nil, 0
	if cap(d.zbuf) > 1<<20 {
		d.zbuf = nil // an outsized message: do not keep its buffer
	}
	decoders.Put(d)
}

// maxDepth bounds the nesting of skipped values as encoding/json bounds it
// (the wire format nests two deep).
const maxDepth = 10000

// badField is a field whose value is valid JSON outside event.Event's
// closed set (an object, a list of non-strings, a number out of range).
// Like the encoding/json decoder before, the event is refused only if no
// later value of the same field replaces it.
type badField struct {
	key string
	err error
}

// valueError is a badField's reason.
type valueError struct{ msg string }

func (e *valueError) Error() string { return e.msg }

// syntaxError is a decoding error at an offset of the line.
type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string { return "offset " + strconv.Itoa(e.off) + ": " + e.msg }

func (d *decoder) fail(msg string) error { return &syntaxError{msg: msg, off: d.i} }

func (d *decoder) unexpected(what string) error {
	if d.i >= len(d.data) {
		return d.fail("unexpected end of input, want " + what)
	}
	return d.fail("unexpected " + strconv.QuoteRune(rune(d.data[d.i])) + ", want " + what)
}

func (d *decoder) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		default:
			return
		}
	}
}

// next skips white space and returns the next byte, or 0 at the end.
func (d *decoder) next() byte {
	d.ws()
	if d.i < len(d.data) {
		return d.data[d.i]
	}
	return 0
}

func (d *decoder) expect(c byte) error {
	if d.next() != c {
		return d.unexpected(strconv.QuoteRune(rune(c)))
	}
	d.i++
	return nil
}

func (d *decoder) literal(lit string) error {
	if !bytes.HasPrefix(d.data[d.i:], []byte(lit)) {
		return d.fail("invalid literal, want " + lit)
	}
	d.i += len(lit)
	return nil
}

// event decodes one encoded event (one line) into ev.
func (d *decoder) event(line []byte, ev *event.Event) error {
	d.data, d.i = line, 0
	d.bad = d.bad[:0]
	*ev = event.Event{}
	if err := d.expect('{'); err != nil {
		return err
	}
	if d.next() == '}' {
		d.i++
	} else {
		for {
			if d.next() != '"' {
				return d.unexpected("a key")
			}
			key, err := d.str()
			if err != nil {
				return err
			}
			if err := d.expect(':'); err != nil {
				return err
			}
			if err := d.member(wireKey(key), ev); err != nil {
				return err
			}
			if c := d.next(); c == ',' {
				d.i++
				continue
			} else if c == '}' {
				d.i++
				break
			}
			return d.unexpected("',' or '}'")
		}
	}
	if d.ws(); d.i < len(d.data) {
		return d.fail("data after the event")
	}
	if len(d.bad) > 0 {
		b := d.bad[0]
		clear(d.bad)
		return fmt.Errorf("field %q: %w", b.key, b.err)
	}
	if ev.Fields == nil {
		ev.Fields = make(map[string]any)
	} else {
		d.hint = len(ev.Fields)
	}
	if ev.ID == "" || ev.TenantID == "" || ev.SourceID == "" {
		return errors.New("missing id, tenant_id or source_id")
	}
	return nil
}

// The top-level keys of the wire format.
const (
	keyOther = iota
	keyID
	keyTenant
	keySource
	keyObserved
	keyReceived
	keyCategory
	keyFields
	keyRaw
)

var wireKeys = [...]string{keyID: "id", keyTenant: "tenant_id", keySource: "source_id", keyObserved: "@timestamp",
	keyReceived: "received", keyCategory: "category", keyFields: "fields", keyRaw: "raw"}

// wireKey names a top-level key; like encoding/json it also matches a key
// that differs only in case.
func wireKey(k []byte) int {
	switch string(k) {
	case "id":
		return keyID
	case "tenant_id":
		return keyTenant
	case "source_id":
		return keySource
	case "@timestamp":
		return keyObserved
	case "received":
		return keyReceived
	case "category":
		return keyCategory
	case "fields":
		return keyFields
	case "raw":
		return keyRaw
	}
	for i := keyID; i < len(wireKeys); i++ {
		if bytes.EqualFold(k, []byte(wireKeys[i])) {
			return i
		}
	}
	return keyOther
}

// member decodes the value of a top-level key into ev.
func (d *decoder) member(key int, ev *event.Event) error {
	c := d.next()
	if c == 'n' && key != keyOther {
		// null leaves a string or time as it was; it clears the fields.
		if key == keyFields {
			ev.Fields = nil
			clear(d.bad)
			d.bad = d.bad[:0]
		}
		return d.literal("null")
	}
	var dst *string
	switch key {
	case keyOther:
		return d.skip(0)
	case keyFields:
		return d.fields(ev)
	case keyObserved:
		return d.time(&ev.Observed)
	case keyReceived:
		return d.time(&ev.Received)
	case keyID:
		dst = &ev.ID
	case keyTenant:
		dst = &ev.TenantID
	case keySource:
		dst = &ev.SourceID
	case keyCategory:
		dst = &ev.Category
	case keyRaw:
		dst = &ev.Raw
	}
	if c != '"' {
		return d.unexpected("a string")
	}
	s, err := d.str()
	if err != nil {
		return err
	}
	if key == keyTenant || key == keySource || key == keyCategory {
		*dst, _ = d.values.get(s)
	} else {
		*dst = string(s)
	}
	return nil
}

// fields decodes the "fields" object, merging into ev.Fields.
func (d *decoder) fields(ev *event.Event) error {
	if err := d.expect('{'); err != nil {
		return err
	}
	if ev.Fields == nil {
		ev.Fields = make(map[string]any, d.hint)
	}
	if d.next() == '}' {
		d.i++
		return nil
	}
	for {
		if d.next() != '"' {
			return d.unexpected("a field name")
		}
		kb, err := d.str()
		if err != nil {
			return err
		}
		k, _ := d.keys.get(kb)
		if err := d.expect(':'); err != nil {
			return err
		}
		v, err := d.value()
		if len(d.bad) > 0 {
			d.bad = slices.DeleteFunc(d.bad, func(b badField) bool { return b.key == k })
		}
		if _, ok := err.(*valueError); ok {
			d.bad = append(d.bad, badField{k, err})
			delete(ev.Fields, k)
		} else if err != nil {
			return fmt.Errorf("field %q: %w", k, err)
		} else if v == nil {
			delete(ev.Fields, k) // null: no value
		} else {
			ev.Fields[k] = v
		}
		if c := d.next(); c == ',' {
			d.i++
			continue
		} else if c == '}' {
			d.i++
			return nil
		}
		return d.unexpected("',' or '}'")
	}
}

// value decodes a field value into event.Event's closed set: string,
// int64 (a number without fraction or exponent that fits), float64, bool,
// []string; nil for null.
func (d *decoder) value() (any, error) {
	switch c := d.next(); {
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		_, v := d.values.get(s)
		return v, nil
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '[':
		return d.strings()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == '{':
		if err := d.skip(0); err != nil {
			return nil, err
		}
		return nil, &valueError{"an object, want a string, number, boolean or list of strings"}
	}
	return nil, d.unexpected("a value")
}

// strings decodes a list of strings (null elements are empty strings, as
// encoding/json decodes them into a []string).
func (d *decoder) strings() (any, error) {
	d.i++ // '['
	l := d.list[:0]
	if d.next() == ']' {
		d.i++
		return []string{}, nil
	}
	for {
		switch d.next() {
		case '"':
			s, err := d.str()
			if err != nil {
				return nil, err
			}
			v, _ := d.values.get(s)
			l = append(l, v)
		case 'n':
			if err := d.literal("null"); err != nil {
				return nil, err
			}
			l = append(l, "")
		default:
			// Valid JSON of another type: skip the rest of the list.
			clear(l)
			d.list = l[:0]
			for {
				if err := d.skip(1); err != nil {
					return nil, err
				}
				if c := d.next(); c == ',' {
					d.i++
				} else if c == ']' {
					d.i++
					return nil, &valueError{"a list of other than strings"}
				} else {
					return nil, d.unexpected("',' or ']'")
				}
			}
		}
		if c := d.next(); c == ',' {
			d.i++
			continue
		} else if c == ']' {
			d.i++
			break
		}
		return nil, d.unexpected("',' or ']'")
	}
	out := slices.Clone(l)
	clear(l)
	d.list = l[:0]
	return out, nil
}

// number decodes a JSON number: int64 when it has neither fraction nor
// exponent and fits, float64 otherwise.
func (d *decoder) number() (any, error) {
	num, integer, err := d.scanNumber()
	if err != nil {
		return nil, err
	}
	if integer {
		digits := num
		if digits[0] == '-' {
			digits = digits[1:]
		}
		if len(digits) <= 18 { // cannot overflow
			var n int64
			for _, c := range digits {
				n = n*10 + int64(c-'0')
			}
			if num[0] == '-' {
				n = -n
			}
			return n, nil
		}
		if n, err := strconv.ParseInt(string(num), 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil {
		return nil, &valueError{"number " + strconv.Quote(string(num)) + " out of range"}
	}
	return f, nil
}

// scanNumber reads the JSON number at d.i; integer reports that it has
// neither fraction nor exponent.
func (d *decoder) scanNumber() (num []byte, integer bool, err error) {
	b, start := d.data, d.i
	i := start
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		d.i = i
		return nil, false, d.unexpected("a digit")
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		integer = false
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.i = i
			return nil, false, d.unexpected("a digit")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integer = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			d.i = i
			return nil, false, d.unexpected("a digit")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	d.i = i
	return b[start:i], integer, nil
}

// time decodes a time as time.Time.UnmarshalJSON does (strict RFC 3339);
// the common form, UTC with up to nine fractional digits, without
// allocating.
func (d *decoder) time(t *time.Time) error {
	if d.next() != '"' {
		return d.unexpected("a time string")
	}
	start := d.i
	if _, err := d.str(); err != nil {
		return err
	}
	lit := d.data[start:d.i]
	if v, ok := parseUTC(lit[1 : len(lit)-1]); ok {
		*t = v
		return nil
	}
	// Anything else (an offset, a comma, an escape, an error) exactly as
	// encoding/json handed it to the time package.
	if err := t.UnmarshalJSON(lit); err != nil {
		return d.fail(err.Error())
	}
	return nil
}

// parseUTC parses "2006-01-02T15:04:05[.fraction]Z" with 1 to 9
// fractional digits; ok is false for any other form or an invalid date,
// which the caller leaves to the time package.
func parseUTC(s []byte) (time.Time, bool) {
	if len(s) < 20 || len(s) > 30 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(s[0:4]), num(s[5:7]), num(s[8:10])
	hour, minute, sec := num(s[11:13]), num(s[14:16]), num(s[17:19])
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	if frac := s[19 : len(s)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		n := num(frac[1:])
		if n < 0 {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			n *= 10
		}
		nsec = n
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// str reads a JSON string at d.i (its opening quote) and returns its
// unescaped bytes, which alias the input or the decoder's scratch space
// and stay valid only until the next call.
func (d *decoder) str() ([]byte, error) {
	b := d.data
	start := d.i + 1
	for i := start; ; {
		i = event.PlainJSONRun(b, i)
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			d.i = i + 1
			return b[start:i], nil
		case c == '\\':
			return d.strSlow(start, i)
		case c < 0x20:
			d.i = i
			return nil, d.fail("control character in string")
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return d.strSlow(start, i)
			}
			i += size
		}
	}
	d.i = len(b)
	return nil, d.fail("unterminated string")
}

// strSlow continues str from b[i], the first byte that needs rewriting
// (an escape or invalid UTF-8), into the scratch space.
func (d *decoder) strSlow(start, i int) ([]byte, error) {
	b := d.data
	out := append(d.scratch[:0], b[start:i]...)
	defer func() { d.scratch = out[:0] }()
	for i < len(b) {
		if j := event.PlainJSONRun(b, i); j > i {
			out = append(out, b[i:j]...)
			if i = j; i >= len(b) {
				break
			}
		}
		c := b[i]
		switch {
		case c == '"':
			d.i = i + 1
			return out, nil
		case c == '\\':
			if i+1 >= len(b) {
				d.i = i
				return nil, d.fail("unterminated string")
			}
			switch e := b[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(b[i+2:])
				if r < 0 {
					d.i = i
					return nil, d.fail("invalid \\u escape")
				}
				i += 6
				// As encoding/json: a surrogate pair combines; any other
				// surrogate becomes U+FFFD and what follows is read anew.
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
						r2 = hex4(b[i+2:])
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						i += 6
						continue
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
				continue
			default:
				d.i = i
				return nil, d.fail("invalid escape")
			}
			i += 2
		case c < 0x20:
			d.i = i
			return nil, d.fail("control character in string")
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				out = append(out, "\uFFFD"...)
			} else {
				out = append(out, b[i:i+size]...)
			}
			i += size
		}
	}
	d.i = len(b)
	return nil, d.fail("unterminated string")
}

// hex4 returns the value of four hex digits at the start of b, or -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// skip validates and skips any JSON value (an unknown top-level key).
func (d *decoder) skip(depth int) error {
	if depth > maxDepth {
		return d.fail("nested too deep")
	}
	switch c := d.next(); {
	case c == '"':
		_, err := d.str()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		_, _, err := d.scanNumber()
		return err
	case c == '[':
		d.i++
		if d.next() == ']' {
			d.i++
			return nil
		}
		for {
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			if c := d.next(); c == ',' {
				d.i++
			} else if c == ']' {
				d.i++
				return nil
			} else {
				return d.unexpected("',' or ']'")
			}
		}
	case c == '{':
		d.i++
		if d.next() == '}' {
			d.i++
			return nil
		}
		for {
			if d.next() != '"' {
				return d.unexpected("a key")
			}
			if _, err := d.str(); err != nil {
				return err
			}
			if err := d.expect(':'); err != nil {
				return err
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			if c := d.next(); c == ',' {
				d.i++
			} else if c == '}' {
				d.i++
				return nil
			} else {
				return d.unexpected("',' or '}'")
			}
		}
	}
	return d.unexpected("a value")
}
