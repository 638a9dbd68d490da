package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/event"
)

// The binary encoding of a packed bus message (AppendMessages, the default
// since the NDJSON one cost half of a syslog line's CPU in W1: JSON keys
// and escaping scans, about 900 bytes per event to encode, compress and
// store). It is private to Vedetta's producers and consumers: the bus is
// internal, and DecodeMessage reads both this and NDJSON (older messages).
//
//	message  = binaryMagic event...          (events until the end)
//	event    = id:lit raw:lit tenant:str source:str category:str
//	           observed:time received:time field... 0x00
//	field    = tag key:str [value]           (the tag says the value's type)
//	lit      = uvarint(len<<1 | 1) bytes     (valid UTF-8)
//	str      = lit
//	         | uvarint((off+1)<<1) uvarint(len)   the bytes raw[off:off+len] of this event
//	         | 0x00                               the same as this slot in the previous event
//	time     = 0x00                               the same as the previous event's
//	         | 0x01 varint(unix seconds) uvarint(nanoseconds)
//	value    = tagString str (never 0x00) | tagInt varint | tagFloat 8 bytes little-endian
//	         | tagList uvarint(n) n×str (never 0x00) | nothing for tagTrue, tagFalse, tagSame
//
// Slots are per message: tenant, source, category, the two times, and a
// key and a value for each of the first binSlots field positions (the
// n-th field of an event fills position n); tagSame repeats the value the
// position had last. Events of one source set their fields in the same
// order, so host, program, severity, action and keys cost a byte each,
// and message, addresses, users and pids, cut from the raw line by the
// parsers, cost a reference into it. A W1 RFC 3164 event takes about 200
// bytes instead of 900.
//
// It means what the JSON encoding means: strings are valid UTF-8 (each
// invalid byte becomes U+FFFD on both), floats that are not finite are
// left out (JSON has no NaN), times decode in UTC without a monotonic
// reading (years 0 to 9999, as RFC 3339 allows), and a decoded event
// always has Fields. FuzzListMessages, FuzzBinaryRawRefs and
// TestDecodeMessageMatchesOracle hold the two encodings to the same
// events.
const (
	binaryMagic = "\xffEV\x01"
	binSlots    = 48

	tagEnd    = 0x00
	tagString = 's'
	tagInt    = 'i'
	tagFloat  = 'f'
	tagTrue   = 'T'
	tagFalse  = 'F'
	tagList   = 'l'
	tagSame   = '='
)

// isBinary reports whether a decompressed bus message is in the binary
// encoding.
func isBinary(data []byte) bool {
	return len(data) >= len(binaryMagic) && string(data[:len(binaryMagic)]) == binaryMagic
}

// binEnc encodes the events of one message; its slots start empty with
// each message (the decoder starts each message alike).
type binEnc struct {
	raw      string  // the raw line of the event being encoded
	rawBase  uintptr // its address
	rawRef   bool    // whether strings may refer into raw
	rawASCII bool    // whether raw is ASCII: any part of it is valid UTF-8

	tenant, source, category string
	hdr                      bool // the three above and both times are set
	obsSec, recvSec          int64
	obsNs, recvNs            int32

	// Positions [0, nset) hold a key and a value: its tag, and in strs,
	// nums or lists what the tag says.
	nset  int
	keys  [binSlots]string
	tags  [binSlots]byte
	strs  [binSlots]string
	nums  [binSlots]uint64 // an int64, or a float64's bits
	lists [binSlots][]string
	n     int // fields written of the current event
}

func (e *binEnc) reset() {
	e.hdr, e.nset = false, 0
	clear(e.strs[:]) // drop the last message's references
	clear(e.lists[:])
}

// appendEvent appends ev's binary encoding.
func (e *binEnc) appendEvent(b []byte, ev *event.Event) []byte {
	b = appendBinLit(b, ev.ID)
	e.raw, e.rawRef, e.rawASCII = ev.Raw, false, isASCII(ev.Raw)
	if e.rawASCII || utf8.ValidString(ev.Raw) {
		e.rawBase, e.rawRef = uintptr(unsafe.Pointer(unsafe.StringData(ev.Raw))), ev.Raw != ""
		b = binary.AppendUvarint(b, uint64(len(ev.Raw))<<1|1)
		b = append(b, ev.Raw...)
	} else {
		b = appendBinLit(b, ev.Raw)
	}
	b = e.slotStr(b, &e.tenant, ev.TenantID, e.hdr)
	b = e.slotStr(b, &e.source, ev.SourceID, e.hdr)
	b = e.slotStr(b, &e.category, ev.Category, e.hdr)
	b = appendBinTime(b, ev.Observed, &e.obsSec, &e.obsNs, e.hdr)
	b = appendBinTime(b, ev.Received, &e.recvSec, &e.recvNs, e.hdr)
	e.hdr = true
	e.n = 0
	if ev.Listed() {
		kv := ev.List.KV
		for i := range kv {
			f := &kv[i]
			switch f.Kind {
			case event.KindString:
				b = e.putString(b, f.Key, f.Str)
			case event.KindInt:
				b = e.putNum(b, f.Key, tagInt, uint64(f.Int))
			default:
				b = e.putAny(b, f.Key, f.Value)
			}
		}
	} else {
		for k, v := range ev.Fields {
			b = e.putAny(b, k, v)
		}
	}
	e.raw, e.rawRef = "", false // hold no reference past the event
	return append(b, tagEnd)
}

// putAny appends a field of any value of event.Event's closed set, and
// what the JSON encoder accepts outside it, as text. A float that is not
// finite is left out, as the JSON encoding writes null (no field).
func (e *binEnc) putAny(b []byte, key string, v any) []byte {
	switch x := v.(type) {
	case string:
		return e.putString(b, key, x)
	case int64:
		return e.putNum(b, key, tagInt, uint64(x))
	case int:
		return e.putNum(b, key, tagInt, uint64(int64(x)))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b
		}
		return e.putNum(b, key, tagFloat, math.Float64bits(x))
	case bool:
		if x {
			return e.putNum(b, key, tagTrue, 0)
		}
		return e.putNum(b, key, tagFalse, 0)
	case []string:
		return e.putList(b, key, x)
	}
	return e.putString(b, key, fmt.Sprint(v))
}

// next takes the next field position of the event: whether it has a slot
// and whether the slot is set.
func (e *binEnc) next() (i int, slot, set bool) {
	i = e.n
	e.n++
	return i, i < binSlots, i < e.nset
}

// begin appends the tag and key of field i.
func (e *binEnc) begin(b []byte, i int, slot, set bool, key string, tag byte) []byte {
	b = append(b, tag)
	if !slot { // past the slots: written in full
		return e.str(b, key)
	}
	if tag != tagSame {
		e.tags[i] = tag
	}
	if !set {
		e.nset = i + 1
	}
	return e.slotStr(b, &e.keys[i], key, set)
}

func (e *binEnc) putString(b []byte, key, s string) []byte {
	i, slot, set := e.next()
	if set && e.tags[i] == tagString && e.strs[i] == s {
		return e.begin(b, i, slot, set, key, tagSame)
	}
	b = e.begin(b, i, slot, set, key, tagString)
	if slot {
		e.strs[i] = s
	}
	return e.str(b, s)
}

// putNum appends an int (tagInt), a float's bits (tagFloat) or a bool
// (tagTrue, tagFalse: n is 0).
func (e *binEnc) putNum(b []byte, key string, tag byte, n uint64) []byte {
	i, slot, set := e.next()
	if set && e.tags[i] == tag && e.nums[i] == n {
		return e.begin(b, i, slot, set, key, tagSame)
	}
	b = e.begin(b, i, slot, set, key, tag)
	if slot {
		e.nums[i] = n
	}
	switch tag {
	case tagInt:
		b = binary.AppendVarint(b, int64(n))
	case tagFloat:
		b = binary.LittleEndian.AppendUint64(b, n)
	}
	return b
}

func (e *binEnc) putList(b []byte, key string, l []string) []byte {
	i, slot, set := e.next()
	if set && e.tags[i] == tagList && slices.Equal(e.lists[i], l) {
		return e.begin(b, i, slot, set, key, tagSame)
	}
	b = e.begin(b, i, slot, set, key, tagList)
	if slot {
		e.lists[i] = l
	}
	b = binary.AppendUvarint(b, uint64(len(l)))
	for _, s := range l {
		b = e.str(b, s)
	}
	return b
}

// slotStr appends s as the same as *last (when set) or in full,
// remembering it.
func (e *binEnc) slotStr(b []byte, last *string, s string, set bool) []byte {
	if set && *last == s {
		return append(b, 0)
	}
	*last = s
	return e.str(b, s)
}

// minRef is the shortest string written as a reference into the raw line
// (a reference takes about three bytes).
const minRef = 4

// str appends s as a reference into the event's raw line when it lies in
// it (parsers cut fields from the raw line: same address), else in full.
func (e *binEnc) str(b []byte, s string) []byte {
	if e.rawRef && len(s) >= minRef {
		off := uintptr(unsafe.Pointer(unsafe.StringData(s))) - e.rawBase
		if off < uintptr(len(e.raw)) && uintptr(len(s)) <= uintptr(len(e.raw))-off && (e.rawASCII || utf8.ValidString(s)) {
			b = binary.AppendUvarint(b, uint64(off+1)<<1)
			return binary.AppendUvarint(b, uint64(len(s)))
		}
	}
	return appendBinLit(b, s)
}

// appendBinLit appends s in full, each byte of invalid UTF-8 replaced by
// U+FFFD as the JSON encoding does.
func appendBinLit(b []byte, s string) []byte {
	if !utf8.ValidString(s) { // an ASCII fast path of its own
		s = validUTF8(s)
	}
	b = binary.AppendUvarint(b, uint64(len(s))<<1|1)
	return append(b, s...)
}

func appendBinTime(b []byte, t time.Time, lastSec *int64, lastNs *int32, set bool) []byte {
	sec, ns := t.Unix(), int32(t.Nanosecond())
	if set && sec == *lastSec && ns == *lastNs {
		return append(b, 0)
	}
	*lastSec, *lastNs = sec, ns
	b = append(b, 1)
	b = binary.AppendVarint(b, sec)
	return binary.AppendUvarint(b, uint64(ns))
}

// isASCII reports whether s has only ASCII bytes, eight at a time.
func isASCII(s string) bool {
	const highs = 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		t := s[i : i+8]
		w := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		if w&highs != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// validUTF8 returns s with each byte that is not part of valid UTF-8
// replaced by U+FFFD (strings.ToValidUTF8 replaces runs, JSON bytes).
func validUTF8(s string) string {
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

// binDec is the decoder's state for one binary message: the slots.
type binDec struct {
	raw      string
	rawASCII bool

	tenant, source, category string
	hdr                      bool
	obs, recv                time.Time

	nset int
	keys [binSlots]string
	vals [binSlots]any
}

func (s *binDec) reset() {
	s.raw, s.hdr = "", false
	clear(s.vals[:s.nset])
	clear(s.keys[:s.nset])
	s.nset = 0
}

var errBinEnd = errors.New("unexpected end of the event")

// binaryEvents appends the events of a binary message (magic included).
func (d *decoder) binaryEvents(dst []event.Event, data []byte) ([]event.Event, error) {
	n := len(dst)
	d.data, d.i = data, len(binaryMagic)
	d.bin.reset()
	defer d.bin.reset()
	for k := 1; d.i < len(d.data); k++ {
		dst = append(dst, event.Event{})
		start := d.i
		if err := d.binEvent(&dst[len(dst)-1]); err != nil {
			clear(dst[n:])
			return dst[:n], fmt.Errorf("event %d (byte %d): %w: %w", k, start, ErrBadEvent, err)
		}
	}
	if len(dst) == n {
		return dst, fmt.Errorf("%w: no event", ErrBadEvent)
	}
	return dst, nil
}

func (d *decoder) binEvent(ev *event.Event) error {
	st := &d.bin
	id, err := d.binLit()
	if err != nil {
		return fmt.Errorf("id: %w", err)
	}
	raw, err := d.binLit()
	if err != nil {
		return fmt.Errorf("raw: %w", err)
	}
	ev.ID = string(id)
	if len(raw) > 0 {
		ev.Raw = string(raw)
	}
	st.raw, st.rawASCII = ev.Raw, isASCII(ev.Raw)
	if ev.TenantID, err = d.binSlotStr(&st.tenant, st.hdr, &d.values); err != nil {
		return fmt.Errorf("tenant_id: %w", err)
	}
	if ev.SourceID, err = d.binSlotStr(&st.source, st.hdr, &d.values); err != nil {
		return fmt.Errorf("source_id: %w", err)
	}
	if ev.Category, err = d.binSlotStr(&st.category, st.hdr, &d.values); err != nil {
		return fmt.Errorf("category: %w", err)
	}
	if ev.Observed, err = d.binTime(&st.obs, st.hdr); err != nil {
		return fmt.Errorf("@timestamp: %w", err)
	}
	if ev.Received, err = d.binTime(&st.recv, st.hdr); err != nil {
		return fmt.Errorf("received: %w", err)
	}
	st.hdr = true
	if ev.ID == "" || ev.TenantID == "" || ev.SourceID == "" {
		return errors.New("missing id, tenant_id or source_id")
	}
	ev.Fields = make(map[string]any, d.hint)
	for i := 0; ; i++ {
		if d.i >= len(d.data) {
			return errBinEnd
		}
		tag := d.data[d.i]
		d.i++
		if tag == tagEnd {
			break
		}
		slot := i < binSlots
		set := slot && i < st.nset
		var key string
		if slot {
			key, err = d.binSlotStr(&st.keys[i], set, &d.keys)
		} else {
			key, err = d.binStr(&d.keys)
		}
		if err != nil {
			return fmt.Errorf("field %d: key: %w", i+1, err)
		}
		if slot && !set {
			st.nset = i + 1
		}
		v, err := d.binValue(tag, i)
		if err != nil {
			return fmt.Errorf("field %q: %w", key, err)
		}
		if slot {
			st.vals[i] = v
		}
		if l, ok := v.([]string); ok && tag == tagSame {
			v = slices.Clone(l) // a list of its own: consumers may change it
		}
		ev.Fields[key] = v
	}
	d.hint = len(ev.Fields)
	return nil
}

func (d *decoder) binValue(tag byte, i int) (any, error) {
	switch tag {
	case tagSame:
		if i >= binSlots || i >= d.bin.nset || d.bin.vals[i] == nil {
			return nil, errors.New("repeats a value never given")
		}
		return d.bin.vals[i], nil
	case tagString:
		h, err := d.uvarint()
		if err != nil {
			return nil, err
		}
		if h == 0 {
			return nil, errors.New("a value cannot repeat itself by reference")
		}
		if h&1 == 1 {
			b, err := d.binBytes(h >> 1)
			if err != nil {
				return nil, err
			}
			_, v := d.values.get(validBytes(b))
			return v, nil
		}
		s, err := d.binRef(h)
		if err != nil {
			return nil, err
		}
		_, v := d.values.getString(s)
		return v, nil
	case tagInt:
		x, n := binary.Varint(d.data[d.i:])
		if n <= 0 {
			return nil, errors.New("bad integer")
		}
		d.i += n
		return x, nil
	case tagFloat:
		if len(d.data)-d.i < 8 {
			return nil, errBinEnd
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(d.data[d.i:]))
		d.i += 8
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errors.New("a float that is not finite")
		}
		return f, nil
	case tagTrue:
		return true, nil
	case tagFalse:
		return false, nil
	case tagList:
		n, err := d.uvarint()
		if err != nil {
			return nil, err
		}
		if n > uint64(len(d.data)-d.i) { // each element takes a byte at least
			return nil, errBinEnd
		}
		l := make([]string, n)
		for j := range l {
			if l[j], err = d.binStr(&d.values); err != nil {
				return nil, fmt.Errorf("element %d: %w", j+1, err)
			}
		}
		return l, nil
	}
	return nil, fmt.Errorf("unknown value type %s", strconv.QuoteRune(rune(tag)))
}

func (d *decoder) uvarint() (uint64, error) {
	x, n := binary.Uvarint(d.data[d.i:])
	if n <= 0 {
		if n == 0 {
			return 0, errBinEnd
		}
		return 0, errors.New("bad length")
	}
	d.i += n
	return x, nil
}

// binBytes returns the next n bytes.
func (d *decoder) binBytes(n uint64) ([]byte, error) {
	if n > uint64(len(d.data)-d.i) {
		return nil, errBinEnd
	}
	b := d.data[d.i : d.i+int(n)]
	d.i += int(n)
	return b, nil
}

// binLit reads a lit (a string in full, never a reference).
func (d *decoder) binLit() ([]byte, error) {
	h, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if h&1 == 0 {
		return nil, errors.New("a reference where a string is due")
	}
	b, err := d.binBytes(h >> 1)
	return validBytes(b), err
}

// binStr reads a str that may not repeat a slot; short strings in full
// come from cache.
func (d *decoder) binStr(cache *stringCache) (string, error) {
	h, err := d.uvarint()
	if err != nil {
		return "", err
	}
	switch {
	case h == 0:
		return "", errors.New("repeats a string where no slot is")
	case h&1 == 1:
		b, err := d.binBytes(h >> 1)
		if err != nil {
			return "", err
		}
		s, _ := cache.get(validBytes(b))
		return s, nil
	}
	s, err := d.binRef(h)
	if err == nil {
		s, _ = cache.getString(s)
	}
	return s, err
}

// binSlotStr reads a str that may repeat *last (when set), and remembers
// it.
func (d *decoder) binSlotStr(last *string, set bool, cache *stringCache) (string, error) {
	if d.i < len(d.data) && d.data[d.i] == 0 {
		if !set {
			return "", errors.New("repeats a string never given")
		}
		d.i++
		return *last, nil
	}
	s, err := d.binStr(cache)
	if err == nil {
		*last = s
	}
	return s, err
}

// binRef reads the length of a reference into the raw line whose header
// (h, even) was read.
func (d *decoder) binRef(h uint64) (string, error) {
	n, err := d.uvarint()
	if err != nil {
		return "", err
	}
	off, raw := h>>1-1, d.bin.raw
	if off >= uint64(len(raw)) || n > uint64(len(raw))-off {
		return "", fmt.Errorf("reference to bytes %d+%d of a raw line of %d", off, n, len(raw))
	}
	s := raw[off : off+n]
	if !d.bin.rawASCII && !utf8.ValidString(s) {
		s = validUTF8(s)
	}
	return s, nil
}

// The times RFC 3339, and so the JSON encoding, can carry: years 0 to
// 9999 in UTC.
const (
	minUnixSec = -62167219200 // 0000-01-01T00:00:00Z
	maxUnixSec = 253402300799 // 9999-12-31T23:59:59Z
)

func (d *decoder) binTime(last *time.Time, set bool) (time.Time, error) {
	if d.i >= len(d.data) {
		return time.Time{}, errBinEnd
	}
	switch d.data[d.i] {
	case 0:
		if !set {
			return time.Time{}, errors.New("repeats a time never given")
		}
		d.i++
		return *last, nil
	case 1:
		d.i++
	default:
		return time.Time{}, errors.New("bad time")
	}
	sec, n := binary.Varint(d.data[d.i:])
	if n <= 0 {
		return time.Time{}, errors.New("bad time")
	}
	d.i += n
	ns, err := d.uvarint()
	if err != nil || ns >= 1e9 {
		return time.Time{}, errors.New("bad time")
	}
	if sec < minUnixSec || sec > maxUnixSec {
		return time.Time{}, errors.New("a time outside years 0 to 9999 (RFC 3339)")
	}
	*last = time.Unix(sec, int64(ns)).UTC()
	return *last, nil
}

// validBytes returns b, or a copy with each byte of invalid UTF-8 replaced
// by U+FFFD.
func validBytes(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return []byte(validUTF8(string(b)))
}

// appendBinaryMessages is AppendMessages in the binary encoding.
func appendBinaryMessages(msgs []bus.Msg, buf []byte, subject string, evs []event.Event, lim PackLimits) ([]bus.Msg, []byte) {
	var enc binEnc
	for start := 0; start < len(evs); {
		off := len(buf)
		buf = append(buf, binaryMagic...)
		enc.reset()
		end := start
		for end < len(evs) && end-start < lim.MaxEvents {
			mark := len(buf)
			buf = enc.appendEvent(buf, &evs[end])
			if end > start && len(buf)-off > lim.MaxBytes {
				// The event opens the next message (whose slots start
				// empty again, so the ones it set here do not matter).
				buf = buf[:mark]
				break
			}
			end++
		}
		msgs = append(msgs, bus.Msg{Subject: subject, ID: MessageID(evs[start:end]), Data: buf[off:len(buf):len(buf)]})
		start = end
	}
	return msgs, buf
}
