package detect

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vedetta-sec/vedetta/internal/detect/ioc"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// ErrImport marks an indicator file that cannot be imported.
var ErrImport = errors.New("detect: invalid indicator file")

// MaxImport is the most indicators one import may hold.
const MaxImport = 100_000

// IndicatorRecord is one indicator of an import file: a CSV row (header
// type,value[,source,confidence,tlp,valid_from,valid_until,tags,description]
// in any order; tags separated by ";") or a JSON object with these keys.
type IndicatorRecord struct {
	Type        string   `json:"type"`
	Value       string   `json:"value"`
	Source      string   `json:"source,omitempty"`
	Confidence  *int     `json:"confidence,omitempty"`
	TLP         string   `json:"tlp,omitempty"`
	ValidFrom   string   `json:"valid_from,omitempty"`
	ValidUntil  string   `json:"valid_until,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	Description string   `json:"description,omitempty"`
}

// ParseIndicators reads an indicator file, "csv" or "json" (an array of
// objects, or {"indicators": [...]}), for tenantID. Values are validated
// and normalised (ioc.ParseIndicator); confidence defaults to 50 and the
// source to defaultSource. Any bad record fails the whole file, with an
// error naming its line (CSV) or position (JSON): nothing is half-imported.
func ParseIndicators(data []byte, format, tenantID, defaultSource string) ([]store.Indicator, error) {
	var recs []IndicatorRecord
	var where func(i int) string
	switch format {
	case "csv":
		var lines []int
		var err error
		recs, lines, err = parseIndicatorCSV(data)
		if err != nil {
			return nil, err
		}
		where = func(i int) string { return "line " + strconv.Itoa(lines[i]) }
	case "json":
		var err error
		if recs, err = parseIndicatorJSON(data); err != nil {
			return nil, err
		}
		where = func(i int) string { return "indicator " + strconv.Itoa(i+1) }
	default:
		return nil, fmt.Errorf("%w: unknown format %q (csv or json)", ErrImport, format)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: no indicators", ErrImport)
	}
	if len(recs) > MaxImport {
		return nil, fmt.Errorf("%w: %d indicators, at most %d", ErrImport, len(recs), MaxImport)
	}
	out := make([]store.Indicator, 0, len(recs))
	for i, r := range recs {
		in, err := r.indicator(tenantID, defaultSource)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrImport, where(i), err)
		}
		out = append(out, in)
	}
	return out, nil
}

func (r IndicatorRecord) indicator(tenantID, defaultSource string) (store.Indicator, error) {
	typ, err := ioc.ParseType(strings.TrimSpace(r.Type))
	if err != nil {
		return store.Indicator{}, err
	}
	parsed, err := ioc.ParseIndicator(typ.String(), strings.TrimSpace(r.Value))
	if err != nil {
		return store.Indicator{}, err
	}
	in := store.Indicator{TenantID: tenantID, Type: typ.String(), Value: parsed.Value, Confidence: 50,
		Source: strings.TrimSpace(r.Source), Description: strings.TrimSpace(r.Description)}
	if in.Source == "" {
		in.Source = defaultSource
	}
	if r.Confidence != nil {
		if *r.Confidence < 0 || *r.Confidence > 100 {
			return in, fmt.Errorf("confidence %d outside 0-100", *r.Confidence)
		}
		in.Confidence = *r.Confidence
	}
	if t := strings.TrimSpace(r.TLP); t != "" {
		tlp, err := ioc.ParseTLP(t)
		if err != nil {
			return in, err
		}
		in.TLP = tlp.String()
	}
	if in.ValidFrom, err = parseImportTime(r.ValidFrom); err != nil {
		return in, fmt.Errorf("valid_from: %w", err)
	}
	if in.ValidUntil, err = parseImportTime(r.ValidUntil); err != nil {
		return in, fmt.Errorf("valid_until: %w", err)
	}
	if !in.ValidUntil.IsZero() && in.ValidUntil.Before(in.ValidFrom) {
		return in, errors.New("valid_until before valid_from")
	}
	for _, t := range r.Tags {
		if t = strings.TrimSpace(t); t != "" {
			in.Tags = append(in.Tags, t)
		}
	}
	for _, s := range append([]string{in.Source, in.Description}, in.Tags...) {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || len(s) > 4000 {
			return in, errors.New("text that is not UTF-8, holds NUL or is too long")
		}
	}
	return in, nil
}

// parseImportTime reads RFC 3339 or a date (YYYY-MM-DD, UTC midnight).
func parseImportTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not RFC 3339 or YYYY-MM-DD", s)
	}
	return t, nil
}

var csvColumns = map[string]bool{"type": true, "value": true, "source": true, "confidence": true, "tlp": true,
	"valid_from": true, "valid_until": true, "tags": true, "description": true}

func parseIndicatorCSV(data []byte) ([]IndicatorRecord, []int, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	head, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: header: %w", ErrImport, err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		if !csvColumns[h] {
			return nil, nil, fmt.Errorf("%w: unknown column %q", ErrImport, h)
		}
		if _, dup := col[h]; dup {
			return nil, nil, fmt.Errorf("%w: column %q twice", ErrImport, h)
		}
		col[h] = i
	}
	if _, ok := col["type"]; !ok {
		return nil, nil, fmt.Errorf("%w: no type column", ErrImport)
	}
	if _, ok := col["value"]; !ok {
		return nil, nil, fmt.Errorf("%w: no value column", ErrImport)
	}
	var recs []IndicatorRecord
	var lines []int
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrImport, err)
		}
		if len(row) != len(head) {
			return nil, nil, fmt.Errorf("%w: line %d: %d fields, header has %d", ErrImport, line, len(row), len(head))
		}
		get := func(k string) string {
			if i, ok := col[k]; ok {
				return row[i]
			}
			return ""
		}
		r := IndicatorRecord{Type: get("type"), Value: get("value"), Source: get("source"), TLP: get("tlp"),
			ValidFrom: get("valid_from"), ValidUntil: get("valid_until"), Description: get("description")}
		if c := strings.TrimSpace(get("confidence")); c != "" {
			n, err := strconv.Atoi(c)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: line %d: confidence %q is not a number", ErrImport, line, c)
			}
			r.Confidence = &n
		}
		if t := get("tags"); t != "" {
			r.Tags = strings.Split(t, ";")
		}
		recs = append(recs, r)
		lines = append(lines, line)
		if len(recs) > MaxImport {
			return nil, nil, fmt.Errorf("%w: more than %d indicators", ErrImport, MaxImport)
		}
	}
	return recs, lines, nil
}

func parseIndicatorJSON(data []byte) ([]IndicatorRecord, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var wrap struct {
			Indicators []IndicatorRecord `json:"indicators"`
		}
		if err := strictJSON(trimmed, &wrap); err != nil {
			return nil, err
		}
		return wrap.Indicators, nil
	}
	var recs []IndicatorRecord
	if err := strictJSON(trimmed, &recs); err != nil {
		return nil, err
	}
	return recs, nil
}

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrImport, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: data after the JSON value", ErrImport)
	}
	return nil
}
