package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/s2"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/event"
)

// ErrBadEvent reports a bus message that is not an encoded event.
var ErrBadEvent = errors.New("ingest: bad event encoding")

// MarshalEvent encodes an event for the bus: the JSON of event.Event
// (keys id, tenant_id, source_id, @timestamp, received, category, fields,
// raw). Floats always carry a fraction or an exponent ("1.0"), so that
// UnmarshalEvent restores int64 and float64 field values exactly.
func MarshalEvent(ev *event.Event) []byte { return AppendEvent(nil, ev) }

// AppendEvent appends MarshalEvent(ev) to b.
func AppendEvent(b []byte, ev *event.Event) []byte { return appendEvent(b, ev, nil) }

// A fieldMemo remembers, for the events of one batch encoded in turn, the
// key and string value each field position had in the previous event and
// whether it needed escaping. Events of one source repeat their keys in
// the same order (events built as lists) and many of their values (host,
// program, severity), so most of them are copied without a scan: equal
// strings that share their bytes compare in constant time. The memo holds
// the strings it compares, so it is never fooled by reused memory.
type fieldMemo struct {
	tenant, source string    // the last tenant and source ids
	plainT, plainS bool      // and whether they needed no escaping
	recv           time.Time // the last Received time, encoded in recvEnc[:recvN]
	recvEnc        [40]byte
	recvN          int
	keys           [48]string
	vals           [48]string
	plainK         [48]bool
	plainV         [48]bool
}

// appendMemo appends s as a JSON string; *last and *plain remember the
// string written in its place before and whether it needed no escaping.
func appendMemo(b []byte, last *string, plain *bool, s string) []byte {
	if !*plain || *last != s {
		*last, *plain = s, event.PlainJSONRun(s, 0) == len(s)
	}
	if *plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	return event.AppendJSONString(b, s)
}

func appendEvent(b []byte, ev *event.Event, memo *fieldMemo) []byte {
	b = append(b, `{"id":`...)
	b = event.AppendJSONString(b, ev.ID)
	b = append(b, `,"tenant_id":`...)
	if memo != nil {
		b = appendMemo(b, &memo.tenant, &memo.plainT, ev.TenantID)
	} else {
		b = event.AppendJSONString(b, ev.TenantID)
	}
	b = append(b, `,"source_id":`...)
	if memo != nil {
		b = appendMemo(b, &memo.source, &memo.plainS, ev.SourceID)
	} else {
		b = event.AppendJSONString(b, ev.SourceID)
	}
	b = append(b, `,"@timestamp":"`...)
	b = appendTimeUTC(b, ev.Observed)
	b = append(b, `","received":"`...)
	if memo != nil {
		// A batch is received at one time: format it once.
		if memo.recvN == 0 || !ev.Received.Equal(memo.recv) {
			memo.recv, memo.recvN = ev.Received, len(appendTimeUTC(memo.recvEnc[:0], ev.Received))
		}
		if memo.recvN <= len(memo.recvEnc) {
			b = append(b, memo.recvEnc[:memo.recvN]...)
		} else { // a far year, longer than the memo holds
			memo.recvN = 0
			b = appendTimeUTC(b, ev.Received)
		}
	} else {
		b = appendTimeUTC(b, ev.Received)
	}
	b = append(b, `","category":`...)
	b = event.AppendJSONString(b, ev.Category)
	b = append(b, `,"fields":{`...)
	if ev.Listed() {
		if memo == nil {
			memo = new(fieldMemo) // on the stack: nothing keeps a reference
		}
		kv := ev.List.KV
		for i := range kv {
			f := &kv[i]
			if i > 0 {
				b = append(b, ',')
			}
			memoed := i < len(memo.keys) // past the memo: scanned as usual
			if memoed {
				b = appendMemo(b, &memo.keys[i], &memo.plainK[i], f.Key)
			} else {
				b = event.AppendJSONString(b, f.Key)
			}
			b = append(b, ':')
			str, isStr := f.Str, f.Kind == event.KindString
			if f.Kind == event.KindAny {
				str, isStr = f.Value.(string)
			}
			switch {
			case isStr && memoed:
				b = appendMemo(b, &memo.vals[i], &memo.plainV[i], str)
			case isStr:
				b = event.AppendJSONString(b, str)
			case f.Kind == event.KindInt:
				b = strconv.AppendInt(b, f.Int, 10)
			default:
				b = appendValue(b, f.Value)
			}
		}
	} else {
		first := true
		for k, v := range ev.Fields {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = event.AppendJSONString(b, k)
			b = append(b, ':')
			b = appendValue(b, v)
		}
	}
	b = append(b, '}')
	if ev.Raw != "" {
		b = append(b, `,"raw":`...)
		b = event.AppendJSONString(b, ev.Raw)
	}
	return append(b, '}')
}

// appendTimeUTC appends t.UTC().AppendFormat(b, time.RFC3339Nano), the
// common case (years 0 to 9999) written directly.
func appendTimeUTC(b []byte, t time.Time) []byte {
	const unixToCivil = 719468 // days from 0000-03-01 to 1970-01-01
	secs := t.Unix()
	days := secs / 86400
	if secs%86400 < 0 {
		days--
	}
	// Howard Hinnant's civil_from_days, in a proleptic Gregorian calendar
	// whose years start on 1 March.
	z := days + unixToCivil
	if z < 0 || z >= 146097*25 { // outside years 0 to 9999
		return t.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	if month > 12 {
		month -= 12
	}
	year := yoe + era*400
	if month <= 2 {
		year++
	}
	if year > 9999 {
		return t.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	sod := secs - days*86400
	hour, minute, sec := sod/3600, sod/60%60, sod%60
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10))
	if ns := t.Nanosecond(); ns != 0 {
		// Nine digits without the trailing zeros.
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, 'Z')
}

func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return event.AppendJSONString(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...)
		}
		n := len(b)
		b = strconv.AppendFloat(b, x, 'g', -1, 64)
		if bytes.IndexAny(b[n:], ".eE") < 0 {
			b = append(b, ".0"...)
		}
		return b
	case bool:
		return strconv.AppendBool(b, x)
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = event.AppendJSONString(b, s)
		}
		return append(b, ']')
	}
	// Outside the closed set: keep the text rather than lose the field.
	return event.AppendJSONString(b, fmt.Sprint(v))
}

// UnmarshalEvent decodes what MarshalEvent encoded, restoring field values
// to event.Event's closed set: string, int64 (numbers without fraction or
// exponent), float64, bool and []string. null values are dropped. On error
// (wrapping ErrBadEvent) ev is left zero.
func UnmarshalEvent(data []byte, ev *event.Event) error {
	d := decoders.Get().(*decoder)
	defer d.release()
	if err := d.event(data, ev); err != nil {
		*ev = event.Event{}
		return fmt.Errorf("%w: %w", ErrBadEvent, err)
	}
	return nil
}

// A bus message on bus.StreamEvents holds one or more events, in the
// binary encoding (binary.go) or, as written before it, one MarshalEvent
// encoding a line, separated by '\n' (NDJSON; the encoding never contains
// a raw newline; a message of one event is exactly MarshalEvent's output).
// Either may be compressed (CompressMessages). DecodeMessage reads all of
// them.

// PackLimits bounds the events packed into one bus message.
type PackLimits struct {
	MaxEvents int // most events per message (default 256; 64 before compression, when bytes dominated)
	MaxBytes  int // a message is closed once it reaches this size, before compression (default 256 KiB)
	// Plain leaves messages uncompressed; by default a message of at least
	// compressMin bytes is compressed (CompressMessages).
	Plain bool
	// NDJSON encodes events as JSON lines (MarshalEvent), the format before
	// the binary one (binaryMagic), which DecodeMessage reads as well: for
	// comparisons and tests.
	NDJSON bool
}

func (l PackLimits) withDefaults() PackLimits {
	if l.MaxEvents <= 0 {
		l.MaxEvents = 256
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = 256 << 10
	}
	return l
}

// AppendMessages encodes evs, in order, into messages on subject of at
// most lim.MaxEvents events and lim.MaxBytes bytes (an event bigger than
// that alone gets a message of its own, which the bus may refuse as too
// large as before packing). The encodings are appended to buf, which is
// returned (grown) for reuse; the messages' Data alias it. The message id
// is deterministic in the packed event ids (MessageID), so submitting the
// same events again with the same limits deduplicates at the bus.
func AppendMessages(msgs []bus.Msg, buf []byte, subject string, evs []event.Event, lim PackLimits) ([]bus.Msg, []byte) {
	lim = lim.withDefaults()
	if !lim.NDJSON {
		return appendBinaryMessages(msgs, buf, subject, evs, lim)
	}
	var memo fieldMemo
	for start := 0; start < len(evs); {
		off := len(buf)
		end := start
		for end < len(evs) && end-start < lim.MaxEvents {
			mark := len(buf)
			if end > start {
				buf = append(buf, '\n')
			}
			buf = appendEvent(buf, &evs[end], &memo)
			if end > start && len(buf)-off > lim.MaxBytes {
				buf = buf[:mark] // the event opens the next message
				break
			}
			end++
		}
		msgs = append(msgs, bus.Msg{Subject: subject, ID: MessageID(evs[start:end]), Data: buf[off:len(buf):len(buf)]})
		start = end
	}
	return msgs, buf
}

// MessageID is the bus message id of a message packing evs: the event's
// id for one event (as before packing), else the first id, the count and
// a hash of all ids, so that only the same events in the same order share
// an id.
func MessageID(evs []event.Event) string {
	if len(evs) == 1 {
		return evs[0].ID
	}
	h := xxhash.New()
	for i := range evs {
		h.WriteString(evs[i].ID)
		h.Write([]byte{0})
	}
	return evs[0].ID + "+" + strconv.Itoa(len(evs)) + "-" + strconv.FormatUint(h.Sum64(), 16)
}

// Compressed messages. A packed message of compressMin bytes or more is
// stored as compressedMagic followed by the S2 block encoding
// (github.com/klauspost/compress/s2) of its NDJSON. The magic cannot
// begin NDJSON (0xFF is never UTF-8), so plain messages, including those
// written before compression, decode as before. Syslog and Windows events
// shrink about 6-7 times (JSON keys repeat from line to line): the bus
// writes, copies and hashes that much less, which is where most of the
// bus's CPU went (see BENCHMARKS.md, W1).
const (
	compressedMagic = "\xffS2\x00"
	compressMin     = 2 << 10
	// maxDecoded bounds what a compressed message may claim to decode to
	// (a message is packed to at most PackLimits.MaxBytes, 256 KiB by
	// default, or one event); a corrupt length cannot exhaust memory.
	maxDecoded = 64 << 20
)

// CompressMessages replaces the Data of each message of at least
// compressMin bytes by its compressed form (see compressedMagic), written
// to zbuf, which is returned (grown) for reuse; a message that does not
// shrink by an eighth stays as it is. The message ids are unchanged.
func CompressMessages(msgs []bus.Msg, zbuf []byte) []byte {
	need := 0
	for i := range msgs {
		if len(msgs[i].Data) >= compressMin {
			need += len(compressedMagic) + s2.MaxEncodedLen(len(msgs[i].Data))
		}
	}
	if need == 0 {
		return zbuf[:0]
	}
	if cap(zbuf) < need {
		zbuf = make([]byte, need)
	}
	zbuf = zbuf[:cap(zbuf)]
	off := 0
	for i := range msgs {
		m := &msgs[i]
		if len(m.Data) < compressMin {
			continue
		}
		out := zbuf[off:]
		copy(out, compressedMagic)
		z := s2.Encode(out[len(compressedMagic):], m.Data)
		n := len(compressedMagic) + len(z)
		if n > len(m.Data)-len(m.Data)/8 {
			continue
		}
		m.Data = out[:n:n]
		off += n
	}
	return zbuf[:off]
}

// Compressed reports whether a bus message is stored compressed.
func Compressed(data []byte) bool { return bytes.HasPrefix(data, []byte(compressedMagic)) }

// Decompress returns the NDJSON of a bus message: data itself if it is not
// compressed, else its decompression into buf (grown if needed and
// returned for reuse). An error wraps ErrBadEvent.
func Decompress(data, buf []byte) (plain, grown []byte, err error) {
	if !Compressed(data) {
		return data, buf, nil
	}
	z := data[len(compressedMagic):]
	size, err := s2.DecodedLen(z)
	if err != nil {
		return nil, buf, fmt.Errorf("%w: compressed message: %w", ErrBadEvent, err)
	}
	if size > maxDecoded {
		return nil, buf, fmt.Errorf("%w: compressed message claims %d bytes, more than %d", ErrBadEvent, size, maxDecoded)
	}
	if cap(buf) < size {
		buf = make([]byte, size)
	}
	plain, err = s2.Decode(buf[:cap(buf)], z)
	if err != nil {
		return nil, buf, fmt.Errorf("%w: compressed message: %w", ErrBadEvent, err)
	}
	return plain, buf, nil
}

// DecodeMessage appends to dst the events of one bus message (one or more
// MarshalEvent lines, compressed or not; blank lines are skipped). All or
// nothing: if a line does not decode, or there is no event, it returns dst
// unchanged and an error wrapping ErrBadEvent naming the line.
func DecodeMessage(dst []event.Event, data []byte) ([]event.Event, error) {
	n := len(dst)
	d := decoders.Get().(*decoder)
	defer d.release()
	var err error
	data, d.zbuf, err = Decompress(data, d.zbuf)
	if err != nil {
		return dst, err
	}
	if isBinary(data) {
		return d.binaryEvents(dst, data)
	}
	for line := 1; len(data) > 0; line++ {
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		dst = append(dst, event.Event{})
		if err := d.event(l, &dst[len(dst)-1]); err != nil {
			clear(dst[n:])
			return dst[:n], fmt.Errorf("line %d: %w: %w", line, ErrBadEvent, err)
		}
	}
	if len(dst) == n {
		return dst, fmt.Errorf("%w: no event", ErrBadEvent)
	}
	return dst, nil
}
