package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// schemaSet is a small JSON-schema checker for the STIX 2.1 schemas: it
// follows $ref (files and #/definitions), allOf, anyOf, oneOf, not, and
// checks type, enum, const, pattern, required, properties,
// patternProperties, additionalProperties, items, minItems, minProperties,
// minimum and maximum — the keywords those schemas use. if/then and format
// are ignored.
type schemaSet struct {
	dir   string
	files map[string]map[string]any
	re    map[string]*regexp.Regexp
}

func newSchemaSet(dir string) *schemaSet {
	return &schemaSet{dir: dir, files: map[string]map[string]any{}, re: map[string]*regexp.Regexp{}}
}

func (s *schemaSet) load(path string) (map[string]any, error) {
	path = filepath.Clean(path)
	if m, ok := s.files[path]; ok {
		return m, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.files[path] = m
	return m, nil
}

// resolve returns the schema a $ref names, relative to the file base.
func (s *schemaSet) resolve(base, ref string) (map[string]any, string, error) {
	file, frag, _ := strings.Cut(ref, "#")
	path := base
	if file != "" {
		path = filepath.Join(filepath.Dir(base), file)
	}
	m, err := s.load(path)
	if err != nil {
		return nil, "", err
	}
	if frag != "" {
		var cur any = m
		for _, p := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
			obj, _ := cur.(map[string]any)
			cur = obj[p]
		}
		sub, ok := cur.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("bad ref %s in %s", ref, base)
		}
		return sub, path, nil
	}
	return m, path, nil
}

func (s *schemaSet) validate(schema map[string]any, base string, v any, at string) []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	if ref, ok := schema["$ref"].(string); ok {
		sub, path, err := s.resolve(base, ref)
		if err != nil {
			return []string{at + ": " + err.Error()}
		}
		errs = append(errs, s.validate(sub, path, v, at)...)
	}
	for _, sub := range list(schema["allOf"]) {
		errs = append(errs, s.validate(sub, base, v, at)...)
	}
	if subs := list(schema["anyOf"]); subs != nil {
		ok := false
		for _, sub := range subs {
			if len(s.validate(sub, base, v, at)) == 0 {
				ok = true
				break
			}
		}
		if !ok {
			fail("matches none of anyOf")
		}
	}
	if subs := list(schema["oneOf"]); subs != nil {
		n := 0
		for _, sub := range subs {
			if len(s.validate(sub, base, v, at)) == 0 {
				n++
			}
		}
		if n != 1 {
			fail("matches %d of oneOf, want 1", n)
		}
	}
	if sub, ok := schema["not"].(map[string]any); ok {
		if len(s.validate(sub, base, v, at)) == 0 {
			fail("matches a not schema")
		}
	}
	if t, ok := schema["type"].(string); ok && !hasType(v, t) {
		fail("want type %s, got %T", t, v)
		return errs
	}
	if e, ok := schema["enum"].([]any); ok {
		found := false
		for _, x := range e {
			if fmt.Sprint(x) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			fail("%v not in enum %v", v, e)
		}
	}
	if c, ok := schema["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		fail("%v is not %v", v, c)
	}
	if p, ok := schema["pattern"].(string); ok {
		if str, ok := v.(string); ok {
			if re := s.regexp(p); re != nil && !re.MatchString(str) {
				fail("%q does not match %s", str, p)
			}
		}
	}
	if n, ok := v.(float64); ok {
		if min, ok := schema["minimum"].(float64); ok && n < min {
			fail("%v < minimum %v", n, min)
		}
		if max, ok := schema["maximum"].(float64); ok && n > max {
			fail("%v > maximum %v", n, max)
		}
	}
	if arr, ok := v.([]any); ok {
		if min, ok := schema["minItems"].(float64); ok && float64(len(arr)) < min {
			fail("%d items, want at least %v", len(arr), min)
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, x := range arr {
				errs = append(errs, s.validate(items, base, x, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	if obj, ok := v.(map[string]any); ok {
		req, _ := schema["required"].([]any)
		for _, r := range req {
			if _, ok := obj[r.(string)]; !ok {
				fail("missing required property %q", r)
			}
		}
		if min, ok := schema["minProperties"].(float64); ok && float64(len(obj)) < min {
			fail("%d properties, want at least %v", len(obj), min)
		}
		props, _ := schema["properties"].(map[string]any)
		pats, _ := schema["patternProperties"].(map[string]any)
		for k, x := range obj {
			matched := false
			if sub, ok := props[k].(map[string]any); ok {
				matched = true
				errs = append(errs, s.validate(sub, base, x, at+"."+k)...)
			}
			for p, sub := range pats {
				if re := s.regexp(p); re != nil && re.MatchString(k) {
					matched = true
					errs = append(errs, s.validate(sub.(map[string]any), base, x, at+"."+k)...)
				}
			}
			if !matched {
				switch ap := schema["additionalProperties"].(type) {
				case bool:
					if !ap {
						fail("property %q not allowed", k)
					}
				case map[string]any:
					errs = append(errs, s.validate(ap, base, x, at+"."+k)...)
				}
			}
		}
	}
	return errs
}

func (s *schemaSet) regexp(p string) *regexp.Regexp {
	if re, ok := s.re[p]; ok {
		return re
	}
	re, err := regexp.Compile(p)
	if err != nil {
		re = nil // an ECMA-only construct: skipped
	}
	s.re[p] = re
	return re
}

func list(v any) []map[string]any {
	arr, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]map[string]any, 0, len(arr))
	for _, x := range arr {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func hasType(v any, t string) bool {
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		n, ok := v.(float64)
		return ok && n == math.Trunc(n)
	case "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return true
}

// schemaFor returns the schema file for a STIX object type.
func schemaFor(dir, typ string) string {
	for _, sub := range []string{"sdos", "sros", "observables"} {
		p := filepath.Join(dir, sub, typ+".json")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if typ == "marking-definition" {
		return filepath.Join(dir, "common", "marking-definition.json")
	}
	return ""
}

// validateBundle checks a bundle and each of its objects against the
// schemas.
func validateBundle(t *testing.T, dir string, data []byte) {
	t.Helper()
	s := newSchemaSet(dir)
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "common", "bundle.json")
	sch, err := s.load(bundle)
	if err != nil {
		t.Fatal(err)
	}
	// bundle.json predates the incident SDO: it does not list incident,
	// and its fallback for custom objects (oneOf core, cyber-observable
	// core) matches an incident twice. So the envelope is checked without
	// the incident, which is checked below against sdos/incident.json.
	var rest []any
	for _, o := range v["objects"].([]any) {
		if o.(map[string]any)["type"] != "incident" {
			rest = append(rest, o)
		}
	}
	envelope := map[string]any{"type": v["type"], "id": v["id"], "objects": rest}
	for _, e := range s.validate(sch, bundle, envelope, "bundle") {
		t.Errorf("schema: %s", e)
	}
	for _, o := range v["objects"].([]any) {
		obj := o.(map[string]any)
		typ, _ := obj["type"].(string)
		path := schemaFor(dir, typ)
		if path == "" {
			t.Errorf("no schema for %s", typ)
			continue
		}
		sch, err := s.load(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range s.validate(sch, path, obj, obj["id"].(string)) {
			t.Errorf("schema: %s", e)
		}
	}
}
