package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// The decoder UnmarshalEvent used before the hand-written one
// (encoding/json into map[string]json.RawMessage, then each value again),
// kept as the oracle of the differential tests.

// oracleWireEvent mirrors event.Event with raw fields for decoding.
type oracleWireEvent struct {
	ID       string                     `json:"id"`
	TenantID string                     `json:"tenant_id"`
	SourceID string                     `json:"source_id"`
	Observed time.Time                  `json:"@timestamp"`
	Received time.Time                  `json:"received"`
	Category string                     `json:"category"`
	Fields   map[string]json.RawMessage `json:"fields"`
	Raw      string                     `json:"raw"`
}

func oracleUnmarshalEvent(data []byte, ev *event.Event) error {
	var w oracleWireEvent
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("%w: %w", ErrBadEvent, err)
	}
	if w.ID == "" || w.TenantID == "" || w.SourceID == "" {
		return fmt.Errorf("%w: missing id, tenant_id or source_id", ErrBadEvent)
	}
	*ev = event.Event{ID: w.ID, TenantID: w.TenantID, SourceID: w.SourceID, Observed: w.Observed,
		Received: w.Received, Category: w.Category, Raw: w.Raw, Fields: make(map[string]any, len(w.Fields))}
	for k, raw := range w.Fields {
		v, err := oracleDecodeValue(raw)
		if err != nil {
			return fmt.Errorf("%w: field %q: %w", ErrBadEvent, k, err)
		}
		if v != nil {
			ev.Fields[k] = v
		}
	}
	return nil
}

func oracleDecodeValue(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, errors.New("empty value")
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case 't', 'f':
		var v bool
		err := json.Unmarshal(raw, &v)
		return v, err
	case 'n':
		return nil, nil
	case '[':
		var l []string
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, fmt.Errorf("list of strings: %w", err)
		}
		return l, nil
	default:
		s := string(raw)
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, nil
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("number: %w", err)
		}
		return f, nil
	}
}

// oracleDecodeMessage is DecodeMessage on the oracle decoder.
func oracleDecodeMessage(dst []event.Event, data []byte) ([]event.Event, error) {
	n := len(dst)
	data, _, err := Decompress(data, nil)
	if err != nil {
		return dst, err
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
		if err := oracleUnmarshalEvent(l, &dst[len(dst)-1]); err != nil {
			clear(dst[n:])
			return dst[:n], fmt.Errorf("line %d: %w", line, err)
		}
	}
	if len(dst) == n {
		return dst, fmt.Errorf("%w: no event", ErrBadEvent)
	}
	return dst, nil
}
