// Package assetcsv reads and writes the asset inventory as CSV (RFC 4180,
// UTF-8, comma-separated, one header line).
//
// Columns, in the order Write produces them (Read accepts any order and
// any subset that includes name and type; header names are
// case-insensitive):
//
//	id           asset id; empty for a new asset, kept to update one
//	name         required, 1-200 characters
//	type         required: server, workstation, network_device, firewall,
//	             website, mail_domain, camera, door_controller,
//	             gate_controller, sensor, ais_receiver, other
//	criticality  1 (low) to 5 (vital); empty means 3
//	status       active, maintenance, offline, retired; empty means active
//	owner        free text
//	site_id      id of a site of the tenant, or empty
//	lon, lat     WGS84 position in decimal degrees; both or neither
//	zone_id      id of a zone of the tenant, or empty
//	storey_id    id of a building storey, or empty
//	space_id     id of a space of that storey, or empty
//	ips, hostnames, urls, macs, camera_ids, mqtt_topics, serials
//	             identifiers, several separated by ";"
//	tags         several separated by ";"
//	description  free text
//
// Reading is all-or-nothing: Read returns either every row as an asset, or
// a *ValidationError listing every rejected row with its line number,
// column and reason. Write refuses an asset it could not read back
// identically (a ";" inside a multi-valued cell).
package assetcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// Limits of Read (Options zero values).
const (
	DefaultMaxBytes = 16 << 20
	DefaultMaxRows  = 100_000
	// maxReported bounds the row errors kept in a ValidationError.
	maxReported = 500
)

// Sep separates the values of a multi-valued cell.
const Sep = ";"

// ErrInvalid is wrapped by every error about the content of the input.
var ErrInvalid = errors.New("assetcsv: invalid CSV")

// Columns is the header Write produces.
var Columns = []string{"id", "name", "type", "criticality", "status", "owner", "site_id", "lon", "lat",
	"zone_id", "storey_id", "space_id", "ips", "hostnames", "urls", "macs", "camera_ids", "mqtt_topics",
	"serials", "tags", "description"}

// identColumns maps the identifier columns to their kinds.
var identColumns = map[string]store.IdentifierKind{
	"ips": store.IdentIP, "hostnames": store.IdentHostname, "urls": store.IdentURL, "macs": store.IdentMAC,
	"camera_ids": store.IdentCameraID, "mqtt_topics": store.IdentMQTTTopic, "serials": store.IdentSerial,
}

// Options bound what Read accepts; zero fields take the defaults.
type Options struct {
	MaxBytes int64
	MaxRows  int
	// Known, when set, is asked whether a referenced id exists in the
	// tenant; what is "site", "zone", "storey" or "space". Unknown ids
	// are row errors.
	Known func(what, id string) bool
}

// RowError is why one row (or the header, Line 1) was rejected.
type RowError struct {
	Line   int // line number in the file, 1 = header
	Column string
	Reason string
}

func (e RowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// ValidationError lists the rejected rows (at most 500; Total counts all).
type ValidationError struct {
	Rows  []RowError
	Total int
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, min(len(e.Rows), 5))
	for _, r := range e.Rows[:min(len(e.Rows), 5)] {
		parts = append(parts, r.Error())
	}
	more := ""
	if e.Total > len(parts) {
		more = fmt.Sprintf(" (and %d more)", e.Total-len(parts))
	}
	return fmt.Sprintf("assetcsv: %d rejected row(s): %s%s", e.Total, strings.Join(parts, "; "), more)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func (e *ValidationError) add(r RowError) {
	e.Total++
	if len(e.Rows) < maxReported {
		e.Rows = append(e.Rows, r)
	}
}

func single(line int, col, reason string) error {
	v := &ValidationError{}
	v.add(RowError{Line: line, Column: col, Reason: reason})
	return v
}

// Read parses an asset CSV. The assets carry no TenantID.
func Read(r io.Reader, opts Options) ([]store.Asset, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxRows <= 0 {
		opts.MaxRows = DefaultMaxRows
	}
	data, err := io.ReadAll(io.LimitReader(r, opts.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("assetcsv: read: %w", err)
	}
	if int64(len(data)) > opts.MaxBytes {
		return nil, single(0, "", fmt.Sprintf("file larger than %d bytes", opts.MaxBytes))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM from spreadsheets
	if !utf8.Valid(data) {
		return nil, single(0, "", "file is not UTF-8 text")
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, single(1, "", "empty file: a header line is required")
	}
	if err != nil {
		return nil, csvError(err)
	}
	col := map[string]int{}
	verr := &ValidationError{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !known(h) {
			verr.add(RowError{Line: 1, Column: h, Reason: "unknown column"})
			continue
		}
		if _, dup := col[h]; dup {
			verr.add(RowError{Line: 1, Column: h, Reason: "duplicate column"})
			continue
		}
		col[h] = i
	}
	for _, req := range []string{"name", "type"} {
		if _, ok := col[req]; !ok {
			verr.add(RowError{Line: 1, Column: req, Reason: "required column missing"})
		}
	}
	if verr.Total > 0 {
		return nil, verr
	}
	var out []store.Asset
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				verr.add(RowError{Line: pe.StartLine, Reason: fmt.Sprintf("has %d fields, the header has %d", len(rec), len(header))})
				continue
			}
			// A quoting error leaves the reader unsynchronised: stop here.
			verr.add(csvRowError(err))
			return nil, verr
		}
		line, _ := cr.FieldPos(0)
		if len(out)+verr.Total >= opts.MaxRows {
			verr.add(RowError{Line: line, Reason: fmt.Sprintf("more than %d rows", opts.MaxRows)})
			return nil, verr
		}
		if blank(rec) {
			continue
		}
		a, errs := parseRow(rec, col, line, opts)
		if a.ID != "" {
			if prev, dup := seen[a.ID]; dup {
				errs = append(errs, RowError{Line: line, Column: "id", Reason: fmt.Sprintf("id also on line %d", prev)})
			}
			seen[a.ID] = line
		}
		for _, e := range errs {
			verr.add(e)
		}
		if len(errs) == 0 {
			out = append(out, a)
		}
	}
	if verr.Total > 0 {
		return nil, verr
	}
	return out, nil
}

func known(h string) bool {
	for _, c := range Columns {
		if c == h {
			return true
		}
	}
	return false
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func csvError(err error) error {
	v := &ValidationError{}
	v.add(csvRowError(err))
	return v
}

func csvRowError(err error) RowError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return RowError{Line: pe.Line, Reason: pe.Err.Error()}
	}
	return RowError{Reason: err.Error()}
}

// parseRow turns one record into an asset, collecting every problem.
func parseRow(rec []string, col map[string]int, line int, opts Options) (store.Asset, []RowError) {
	var errs []RowError
	bad := func(c, format string, args ...any) {
		errs = append(errs, RowError{Line: line, Column: c, Reason: fmt.Sprintf(format, args...)})
	}
	get := func(c string) string {
		i, ok := col[c]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	a := store.Asset{
		ID: get("id"), Name: get("name"), Type: store.AssetType(get("type")), Owner: get("owner"),
		SiteID: get("site_id"), ZoneID: get("zone_id"), StoreyID: get("storey_id"), SpaceID: get("space_id"),
		Description: get("description"), Criticality: 3, Status: store.AssetActive,
	}
	if strings.ContainsAny(a.ID, " \t;,/") || len(a.ID) > 100 {
		bad("id", "malformed id %q", a.ID)
	}
	if a.Name == "" {
		bad("name", "empty")
	} else if len(a.Name) > 200 {
		bad("name", "longer than 200 bytes")
	}
	if !a.Type.Valid() {
		bad("type", "unknown asset type %q", a.Type)
	}
	if v := get("criticality"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			bad("criticality", "%q is not a whole number from 1 to 5", v)
		}
		a.Criticality = n
	}
	if v := get("status"); v != "" {
		a.Status = store.AssetStatus(v)
		if !a.Status.Valid() {
			bad("status", "unknown status %q", v)
		}
	}
	if len(a.Owner) > 200 {
		bad("owner", "longer than 200 bytes")
	}
	if len(a.Description) > 4000 {
		bad("description", "longer than 4000 bytes")
	}
	lon, lat := get("lon"), get("lat")
	switch {
	case lon == "" && lat == "":
	case lon == "" || lat == "":
		bad("lon", "lon and lat must be given together")
	default:
		x, err1 := strconv.ParseFloat(lon, 64)
		y, err2 := strconv.ParseFloat(lat, 64)
		switch {
		case err1 != nil || math.IsNaN(x) || x < -180 || x > 180:
			bad("lon", "%q is not a longitude", lon)
		case err2 != nil || math.IsNaN(y) || y < -90 || y > 90:
			bad("lat", "%q is not a latitude", lat)
		default:
			a.HasPoint, a.Lon, a.Lat = true, x, y
		}
	}
	if a.SpaceID != "" && a.StoreyID == "" {
		bad("space_id", "a space needs its storey_id")
	}
	if opts.Known != nil {
		for _, ref := range []struct{ what, col, id string }{
			{"site", "site_id", a.SiteID}, {"zone", "zone_id", a.ZoneID}, {"storey", "storey_id", a.StoreyID}, {"space", "space_id", a.SpaceID},
		} {
			if ref.id != "" && !opts.Known(ref.what, ref.id) {
				bad(ref.col, "no %s with id %q", ref.what, ref.id)
			}
		}
	}
	for _, c := range Columns {
		kind, ok := identColumns[c]
		if !ok {
			continue
		}
		for _, v := range splitMulti(get(c)) {
			n, ok := store.NormalizeIdentifier(kind, v)
			if !ok {
				bad(c, "malformed %s %q", kind, v)
				continue
			}
			a.Identifiers = append(a.Identifiers, store.Identifier{Kind: kind, Value: n})
		}
	}
	for _, t := range splitMulti(get("tags")) {
		if len(t) > 64 {
			bad("tags", "tag %q longer than 64 bytes", t)
		}
		a.Tags = append(a.Tags, t)
	}
	return a, errs
}

func splitMulti(v string) []string {
	if v == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(v, Sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Write writes assets with the Columns header. It writes nothing and
// returns an error if an asset cannot be represented exactly.
func Write(w io.Writer, as []store.Asset) error {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	if err := cw.Write(Columns); err != nil {
		return fmt.Errorf("assetcsv: write: %w", err)
	}
	rec := make([]string, len(Columns))
	for i, a := range as {
		byKind := map[store.IdentifierKind][]string{}
		for _, id := range a.Identifiers {
			if strings.Contains(id.Value, Sep) || strings.TrimSpace(id.Value) != id.Value {
				return fmt.Errorf("assetcsv: asset %d (%s): identifier %q contains %q or outer spaces", i, a.Name, id.Value, Sep)
			}
			byKind[id.Kind] = append(byKind[id.Kind], id.Value)
		}
		for _, t := range a.Tags {
			if strings.Contains(t, Sep) || strings.TrimSpace(t) != t {
				return fmt.Errorf("assetcsv: asset %d (%s): tag %q contains %q or outer spaces", i, a.Name, t, Sep)
			}
		}
		for j, c := range Columns {
			var v string
			switch c {
			case "id":
				v = a.ID
			case "name":
				v = a.Name
			case "type":
				v = string(a.Type)
			case "criticality":
				v = strconv.Itoa(a.Criticality)
			case "status":
				v = string(a.Status)
			case "owner":
				v = a.Owner
			case "site_id":
				v = a.SiteID
			case "lon", "lat":
				if a.HasPoint {
					f := a.Lon
					if c == "lat" {
						f = a.Lat
					}
					v = strconv.FormatFloat(f, 'f', -1, 64)
				}
			case "zone_id":
				v = a.ZoneID
			case "storey_id":
				v = a.StoreyID
			case "space_id":
				v = a.SpaceID
			case "tags":
				v = strings.Join(a.Tags, Sep)
			case "description":
				v = a.Description
			default:
				v = strings.Join(byKind[identColumns[c]], Sep)
			}
			rec[j] = v
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("assetcsv: write: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("assetcsv: write: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("assetcsv: write: %w", err)
	}
	return nil
}
