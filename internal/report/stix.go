// Package report builds what a case sends to a police centre: a STIX 2.1
// bundle (incident with the Incident Core extension, identity of the
// reporting entity, observed data with its cyber observables, indicators,
// sightings and the TLP 2.0 marking definitions it references) and a
// readable PDF with the content NIS2 asks for at that stage. ParseBundle
// reads such bundles back, checking what the receiving side relies on.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gowebpki/jcs"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// ErrBundle reports a STIX bundle that ParseBundle refuses.
var ErrBundle = errors.New("report: bad STIX bundle")

// IncidentCoreExt is the id of the Incident Core extension definition.
const IncidentCoreExt = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"

// TLP2Ext is the id of the TLP 2.0 marking extension definition.
const TLP2Ext = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// scoNamespace is the UUIDv5 namespace of deterministic SCO ids.
var scoNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")

// identityNamespace makes a tenant's identity id stable across reports.
var identityNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://vedetta.invalid/identity"))

// TLPMarkings maps TLP 2.0 levels to their marking-definition ids.
var TLPMarkings = map[string]string{
	"clear":        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	"green":        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	"amber":        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	"amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	"red":          "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// Object is one STIX object, kept as its JSON properties.
type Object map[string]any

// Type returns the object's type.
func (o Object) Type() string { s, _ := o["type"].(string); return s }

// ID returns the object's id.
func (o Object) ID() string { s, _ := o["id"].(string); return s }

// Bundle is a STIX 2.1 bundle.
type Bundle struct {
	Type    string   `json:"type"`
	ID      string   `json:"id"`
	Objects []Object `json:"objects"`
}

// Input is what a report is built from.
type Input struct {
	Case        store.Case
	Reporter    store.Tenant
	Observables []store.Observable
	Stage       string
	// Pseudonym replaces a personal observable's value; nil sends personal
	// data in clear (the caller audits that choice).
	Pseudonym func(kind, value string) string
	Now       time.Time
	// NewID returns fresh UUIDv4s; nil uses uuid.New. Tests fix it.
	NewID func() uuid.UUID
}

// Scrub replaces, in free text, every personal observable's value by its
// pseudonym, so descriptions and timeline lines do not carry in clear what
// the observables hide. It returns text unchanged when personal data is
// sent in clear. Longer values are replaced first.
func (in Input) Scrub(text string) string {
	if in.Pseudonym == nil {
		return text
	}
	var vals []store.Observable
	for _, o := range in.Observables {
		if o.Personal && strings.TrimSpace(o.Value) != "" {
			vals = append(vals, o)
		}
	}
	sort.Slice(vals, func(i, j int) bool { return len(vals[i].Value) > len(vals[j].Value) })
	for _, o := range vals {
		text = strings.ReplaceAll(text, o.Value, in.Pseudonym(o.Type, o.Value))
	}
	return text
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// SCOID returns the deterministic id of a cyber observable: UUIDv5 in the
// STIX namespace over the RFC 8785 canonical JSON of its id-contributing
// properties.
func SCOID(typ string, contributing map[string]any) (string, error) {
	b, err := json.Marshal(contributing)
	if err != nil {
		return "", fmt.Errorf("report: sco id: %w", err)
	}
	c, err := jcs.Transform(b)
	if err != nil {
		return "", fmt.Errorf("report: sco id: %w", err)
	}
	return typ + "--" + uuid.NewSHA1(scoNamespace, c).String(), nil
}

// sco converts an observable to a STIX cyber observable, with its
// indicator pattern ("" when it makes no indicator). ok is false for
// observables STIX has no object for (vessels).
func sco(o store.Observable, value string, pseudonymised bool) (obj Object, pattern string, ok bool, err error) {
	esc := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace
	var typ string
	props := map[string]any{}
	switch o.Type {
	case "ip":
		a, perr := netip.ParseAddr(value)
		switch {
		case perr != nil:
			return nil, "", false, nil
		case a.Is4():
			typ = "ipv4-addr"
		default:
			typ = "ipv6-addr"
		}
		props["value"] = a.String()
	case "domain", "host":
		typ, props["value"] = "domain-name", strings.ToLower(value)
	case "url":
		typ, props["value"] = "url", value
	case "email":
		typ, props["value"] = "email-addr", value
	case "user":
		typ, props["user_id"] = "user-account", value
	case "hash":
		typ = "file"
		alg := map[int]string{32: "MD5", 40: "SHA-1", 64: "SHA-256", 128: "SHA-512"}[len(value)]
		if alg == "" || strings.Trim(strings.ToLower(value), "0123456789abcdef") != "" {
			return nil, "", false, nil
		}
		props["hashes"] = map[string]any{alg: strings.ToLower(value)}
		pattern = fmt.Sprintf("[file:hashes.'%s' = '%s']", alg, strings.ToLower(value))
	default:
		return nil, "", false, nil
	}
	id, err := SCOID(typ, props)
	if err != nil {
		return nil, "", false, err
	}
	obj = Object{"type": typ, "spec_version": "2.1", "id": id}
	for k, v := range props {
		obj[k] = v
	}
	if pattern == "" && !pseudonymised && !o.Personal {
		switch typ {
		case "ipv4-addr", "ipv6-addr", "domain-name", "url":
			pattern = fmt.Sprintf("[%s:value = '%s']", typ, esc(props["value"].(string)))
		}
	}
	return obj, pattern, true, nil
}

var severityCriticality = map[string]int{"low": 25, "medium": 50, "high": 75, "critical": 100}

func investigationStatus(s store.CaseStatus) string {
	switch s {
	case store.CaseNew:
		return "new"
	case store.CaseClosed:
		return "closed"
	}
	return "open"
}

// Build returns the STIX bundle of a report.
func Build(in Input) (*Bundle, error) {
	newID := in.NewID
	if newID == nil {
		newID = uuid.New
	}
	now := stamp(in.Now)
	c := in.Case
	tlp := c.TLP
	if _, ok := TLPMarkings[tlp]; !ok {
		tlp = "amber"
	}
	marking := TLPMarkings[tlp]
	refs := []any{marking}
	ident := "identity--" + uuid.NewSHA1(identityNamespace, []byte(in.Reporter.ID)).String()
	sector := "government-local"
	if in.Reporter.Kind == store.KindPort {
		sector = "transportation"
	}
	objs := []Object{
		{"type": "marking-definition", "spec_version": "2.1", "id": marking, "created": "2022-10-01T00:00:00.000Z",
			"name": "TLP:" + strings.ToUpper(tlp), "extensions": map[string]any{TLP2Ext: map[string]any{"extension_type": "property-extension", "tlp_2_0": tlp}}},
		{"type": "identity", "spec_version": "2.1", "id": ident, "created": now, "modified": now, "name": in.Reporter.Name,
			"identity_class": "organization", "sectors": []any{sector}, "object_marking_refs": refs},
	}
	var scos []Object
	var scoIDs []any
	var pseudonyms []string
	type ind struct{ pattern, name string }
	var inds []ind
	seen := map[string]bool{}
	for _, o := range in.Observables {
		value, pseud := o.Value, false
		if o.Personal && in.Pseudonym != nil {
			value, pseud = in.Pseudonym(o.Type, o.Value), true
			pseudonyms = append(pseudonyms, o.Type+" "+value)
			if o.Type != "user" {
				continue // a pseudonym is no valid address: listed in the description instead
			}
		}
		obj, pattern, ok, err := sco(o, value, pseud)
		if err != nil {
			return nil, err
		}
		if !ok || seen[obj.ID()] {
			continue
		}
		seen[obj.ID()] = true
		scos = append(scos, obj)
		scoIDs = append(scoIDs, obj.ID())
		if pattern != "" {
			inds = append(inds, ind{pattern, o.Type + " " + value})
		}
	}
	desc := in.Scrub(c.Description)
	if len(pseudonyms) > 0 {
		sort.Strings(pseudonyms)
		desc = strings.TrimSpace(desc + "\n\nPseudonymised personal data: " + strings.Join(pseudonyms, ", "))
	}
	determination := "suspected"
	if c.Status != store.CaseNew {
		determination = "confirmed"
	}
	ext := map[string]any{"extension_type": "property-extension", "determination": determination,
		"investigation_status": investigationStatus(c.Status), "criticality": severityCriticality[c.Severity]}
	if len(scoIDs) > 0 {
		ext["observable_refs"] = scoIDs
	}
	incident := Object{"type": "incident", "spec_version": "2.1", "id": "incident--" + newID().String(), "created": stamp(c.CreatedAt),
		"modified": now, "name": in.Scrub(c.Title), "created_by_ref": ident, "labels": []any{string(c.Category), "stage:" + in.Stage},
		"object_marking_refs": refs, "extensions": map[string]any{IncidentCoreExt: ext}}
	if stamp(c.CreatedAt) > now {
		incident["created"] = now
	}
	if desc != "" {
		incident["description"] = desc
	}
	objs = append(objs, incident)
	if len(scos) > 0 {
		first := c.AwarenessAt
		if first.IsZero() {
			first = c.CreatedAt
		}
		if first.After(in.Now) {
			first = in.Now
		}
		od := Object{"type": "observed-data", "spec_version": "2.1", "id": "observed-data--" + newID().String(), "created": now,
			"modified": now, "created_by_ref": ident, "first_observed": stamp(first), "last_observed": now,
			"number_observed": 1, "object_refs": scoIDs, "object_marking_refs": refs}
		objs = append(objs, od)
		for _, x := range inds {
			iid := "indicator--" + newID().String()
			objs = append(objs,
				Object{"type": "indicator", "spec_version": "2.1", "id": iid, "created": now, "modified": now, "created_by_ref": ident,
					"name": x.name, "indicator_types": []any{"malicious-activity"}, "pattern": x.pattern, "pattern_type": "stix",
					"valid_from": now, "object_marking_refs": refs},
				Object{"type": "sighting", "spec_version": "2.1", "id": "sighting--" + newID().String(), "created": now, "modified": now,
					"created_by_ref": ident, "sighting_of_ref": iid, "observed_data_refs": []any{od.ID()},
					"where_sighted_refs": []any{ident}, "first_seen": stamp(first), "last_seen": now, "count": 1, "object_marking_refs": refs})
		}
		objs = append(objs, scos...)
	}
	return &Bundle{Type: "bundle", ID: "bundle--" + newID().String(), Objects: objs}, nil
}

// Marshal encodes a bundle.
func (b *Bundle) Marshal() ([]byte, error) {
	out, err := json.MarshalIndent(b, "", " ")
	if err != nil {
		return nil, fmt.Errorf("report: marshal bundle: %w", err)
	}
	return out, nil
}

// Incident returns the bundle's incident object, or nil.
func (b *Bundle) Incident() Object {
	for _, o := range b.Objects {
		if o.Type() == "incident" {
			return o
		}
	}
	return nil
}

var idRe = regexp.MustCompile(`^[a-z][a-z0-9-]+[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)

// MaxBundleSize bounds the bundles ParseBundle reads.
const MaxBundleSize = 16 << 20

// ParseBundle reads a STIX 2.1 bundle: it must be a JSON object of type
// bundle (no spec_version) whose objects each have a type and a well-formed
// id of that type, SDOs and SROs a spec_version of 2.1 and millisecond
// created/modified timestamps with modified ≥ created, and every *_ref and
// *_refs inside the bundle must point at an object of the bundle or a
// marking definition or extension definition.
func ParseBundle(data []byte) (*Bundle, error) {
	if len(data) > MaxBundleSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBundle, MaxBundleSize)
	}
	var b Bundle
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the bundle", ErrBundle)
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(data, &raw)
	if _, ok := raw["spec_version"]; ok {
		return nil, fmt.Errorf("%w: a 2.1 bundle has no spec_version", ErrBundle)
	}
	if b.Type != "bundle" || !idRe.MatchString(b.ID) || !strings.HasPrefix(b.ID, "bundle--") {
		return nil, fmt.Errorf("%w: not a bundle", ErrBundle)
	}
	ids := map[string]bool{}
	for i, o := range b.Objects {
		if o == nil {
			return nil, fmt.Errorf("%w: object %d is null", ErrBundle, i)
		}
		t, id := o.Type(), o.ID()
		if t == "" || !idRe.MatchString(id) || !strings.HasPrefix(id, t+"--") {
			return nil, fmt.Errorf("%w: object %d: bad type or id %q", ErrBundle, i, id)
		}
		ids[id] = true
		if isSCO(t) {
			continue
		}
		if v, _ := o["spec_version"].(string); v != "2.1" {
			return nil, fmt.Errorf("%w: %s: spec_version must be 2.1", ErrBundle, id)
		}
		cr, ok := o["created"].(string)
		if !ok || !msRe.MatchString(cr) {
			return nil, fmt.Errorf("%w: %s: created must be an RFC 3339 UTC timestamp with milliseconds", ErrBundle, id)
		}
		if md, ok := o["modified"]; ok {
			m, _ := md.(string)
			if !msRe.MatchString(m) || m < cr {
				return nil, fmt.Errorf("%w: %s: modified must be a timestamp not before created", ErrBundle, id)
			}
		}
	}
	for _, o := range b.Objects {
		for k, v := range o {
			var refs []any
			switch {
			case strings.HasSuffix(k, "_refs"):
				refs, _ = v.([]any)
			case strings.HasSuffix(k, "_ref"):
				refs = []any{v}
			default:
				continue
			}
			for _, r := range refs {
				s, _ := r.(string)
				if !idRe.MatchString(s) {
					return nil, fmt.Errorf("%w: %s.%s: bad reference", ErrBundle, o.ID(), k)
				}
				if !ids[s] && !strings.HasPrefix(s, "identity--") && !strings.HasPrefix(s, "marking-definition--") {
					return nil, fmt.Errorf("%w: %s.%s: %s is not in the bundle", ErrBundle, o.ID(), k, s)
				}
			}
		}
	}
	return &b, nil
}

var msRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,}Z$`)

func isSCO(t string) bool {
	switch t {
	case "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file", "ipv4-addr",
		"ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url", "user-account",
		"windows-registry-key", "x509-certificate":
		return true
	}
	return false
}
