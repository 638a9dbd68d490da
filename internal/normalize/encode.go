package normalize

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// appendEventJSON appends ev as one JSON object, byte-for-byte what
// encoding/json would produce from event.Event's struct tags apart from the
// order of Fields keys (sorted here too) and HTML escaping (not done here,
// as with Encoder.SetEscapeHTML(false)). TestAppendEventJSON and
// FuzzAppendEventJSON check it against encoding/json. It exists because
// reflection-based encoding of the fields map was 70% of ParseStream's time.
func appendEventJSON(b []byte, ev *event.Event, keys []string) ([]byte, []string) {
	b = append(b, `{"id":`...)
	b = event.AppendJSONString(b, ev.ID)
	b = append(b, `,"tenant_id":`...)
	b = event.AppendJSONString(b, ev.TenantID)
	b = append(b, `,"source_id":`...)
	b = event.AppendJSONString(b, ev.SourceID)
	b = append(b, `,"@timestamp":`...)
	b = appendJSONTime(b, ev.Observed)
	b = append(b, `,"received":`...)
	b = appendJSONTime(b, ev.Received)
	b = append(b, `,"category":`...)
	b = event.AppendJSONString(b, ev.Category)
	b = append(b, `,"fields":`...)
	if ev.Fields == nil {
		b = append(b, "null"...)
	} else {
		keys = keys[:0]
		for k := range ev.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = event.AppendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONValue(b, ev.Fields[k])
		}
		b = append(b, '}')
	}
	if ev.Raw != "" {
		b = append(b, `,"raw":`...)
		b = event.AppendJSONString(b, ev.Raw)
	}
	return append(b, '}'), keys
}

func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendJSONValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return event.AppendJSONString(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case bool:
		return strconv.AppendBool(b, x)
	case float64:
		return appendJSONFloat(b, x)
	case []string:
		if x == nil {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = event.AppendJSONString(b, s)
		}
		return append(b, ']')
	}
	return append(b, "null"...)
}

// appendJSONFloat formats like encoding/json: shortest representation,
// exponent form outside [1e-6, 1e21). NaN and ±Inf, which JSON cannot hold
// (and encoding/json refuses), become null.
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
