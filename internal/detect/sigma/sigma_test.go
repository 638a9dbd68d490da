package sigma

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// ruleText wraps a detection block in a minimal valid rule.
func ruleText(detection string) string {
	return "title: t\nid: 11111111-1111-4111-8111-111111111111\nlogsource:\n    product: test\ndetection:\n" + detection
}

// matchRule compiles one rule and reports whether it matches ev, checking
// that the indexed path agrees with brute-force evaluation.
func matchRule(t *testing.T, text string, cfg *Config, ev Map) bool {
	t.Helper()
	rules, err := Parse([]byte(text), "test.yml", cfg)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	rs, err := NewRuleset(rules, cfg)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	m := rs.NewMatcher()
	got := len(m.Match(ev, AllSources)) == 1
	routed := len(m.Match(ev, Source{Product: "test"})) == 1
	brute := len(bruteMatch(m, ev)) == 1
	if got != brute || routed != got {
		t.Fatalf("indexed %v, routed %v, brute force %v", got, routed, brute)
	}
	return got
}

func TestModifiers(t *testing.T) {
	placeholders := &Config{Placeholders: map[string][]string{"admins": {"alice", "bob*"}}}
	tests := []struct {
		name   string
		det    string
		ev     Map
		want   bool
		config *Config
	}{
		{"plain is case-insensitive", `sel: {Image: 'C:\Windows\cmd.exe'}`, Map{"Image": `c:\windows\CMD.EXE`}, true, nil},
		{"plain is whole value", `sel: {Image: 'cmd.exe'}`, Map{"Image": `c:\cmd.exe`}, false, nil},
		{"star wildcard", `sel: {Image: '*\cmd.exe'}`, Map{"Image": `C:\x\Cmd.exe`}, true, nil},
		{"question wildcard", `sel: {Image: 'c?d'}`, Map{"Image": "cmd"}, true, nil},
		{"question needs one char", `sel: {Image: 'c?d'}`, Map{"Image": "cd"}, false, nil},
		{"question is one rune", `sel: {Image: 'c?d'}`, Map{"Image": "cäd"}, true, nil},
		{"inner wildcards", `sel: {CommandLine: '*a*b?c*'}`, Map{"CommandLine": "xxaYYbZcQQ"}, true, nil},
		{"inner wildcards miss", `sel: {CommandLine: '*a*b?c*'}`, Map{"CommandLine": "xxaYYbcQQ"}, false, nil},
		{"escaped star", `sel: {F: 'a\*b'}`, Map{"F": "a*b"}, true, nil},
		{"escaped star is literal", `sel: {F: 'a\*b'}`, Map{"F": "axb"}, false, nil},
		{"escaped backslash then wildcard", `sel: {F: 'a\\*'}`, Map{"F": `a\zz`}, true, nil},
		{"escaped question", `sel: {F: 'a\?'}`, Map{"F": "a?"}, true, nil},
		{"lone backslash literal", `sel: {F: 'C:\Temp\'}`, Map{"F": `c:\temp\`}, true, nil},
		{"empty value", `sel: {F: ''}`, Map{"F": ""}, true, nil},
		{"empty value absent field", `sel: {F: ''}`, Map{}, false, nil},
		{"contains", `sel: {F|contains: 'mimi'}`, Map{"F": "xxMIMIkatz"}, true, nil},
		{"startswith", `sel: {F|startswith: 'abc'}`, Map{"F": "ABCdef"}, true, nil},
		{"startswith miss", `sel: {F|startswith: 'abc'}`, Map{"F": "xabc"}, false, nil},
		{"endswith", `sel: {F|endswith: '.exe'}`, Map{"F": "a.EXE"}, true, nil},
		{"value list is or", `sel: {F: [a, b]}`, Map{"F": "b"}, true, nil},
		{"contains all", `sel: {F|contains|all: [a, b]}`, Map{"F": "xaxbx"}, true, nil},
		{"contains all miss", `sel: {F|contains|all: [a, b]}`, Map{"F": "xax"}, false, nil},
		{"long contains list", `sel: {F|contains: [a1, b2, c3, d4, e5, f6, g7, h8, '*x?z']}`, Map{"F": "--XYZ--"}, true, nil},
		{"long contains list miss", `sel: {F|contains: [a1, b2, c3, d4, e5, f6, g7, h8, i9]}`, Map{"F": "--xyz--"}, false, nil},
		{"long exact list", `sel: {F: [a1, b2, c3, d4, e5, f6, g7, h8, i9]}`, Map{"F": "H8"}, true, nil},
		{"cased", `sel: {F|cased: 'Abc'}`, Map{"F": "abc"}, false, nil},
		{"cased hit", `sel: {F|contains|cased: 'Abc'}`, Map{"F": "xAbcx"}, true, nil},
		{"re is case-sensitive", `sel: {F|re: 'ab+c'}`, Map{"F": "xABBC"}, false, nil},
		{"re hit", `sel: {F|re: '^ab+c$'}`, Map{"F": "abbbc"}, true, nil},
		{"re i", `sel: {F|re|i: 'ab+c'}`, Map{"F": "xABBC"}, true, nil},
		{"re m", `sel: {F|re|m: '^b$'}`, Map{"F": "a\nb\nc"}, true, nil},
		{"re without m", `sel: {F|re: '^b$'}`, Map{"F": "a\nb\nc"}, false, nil},
		{"re s", `sel: {F|re|s: 'a.c'}`, Map{"F": "a\nc"}, true, nil},
		{"re without s", `sel: {F|re: 'a.c'}`, Map{"F": "a\nc"}, false, nil},
		{"re alternation prefilter", `sel: {F|re: '(foo|bar)baz'}`, Map{"F": "xbarbaz"}, true, nil},
		{"cidr v4", `sel: {IP|cidr: 10.0.0.0/8}`, Map{"IP": "10.2.3.4"}, true, nil},
		{"cidr v4 miss", `sel: {IP|cidr: 10.0.0.0/8}`, Map{"IP": "11.2.3.4"}, false, nil},
		{"cidr v6", `sel: {IP|cidr: 'fe80::/10'}`, Map{"IP": "fe80::1"}, true, nil},
		{"cidr list", `sel: {IP|cidr: [192.168.0.0/16, 172.16.0.0/12]}`, Map{"IP": "172.20.0.1"}, true, nil},
		{"cidr not an ip", `sel: {IP|cidr: 10.0.0.0/8}`, Map{"IP": "host"}, false, nil},
		{"base64", `sel: {F|base64: 'abc'}`, Map{"F": "YWJj"}, true, nil},
		{"base64 contains", `sel: {F|base64|contains: 'abc'}`, Map{"F": "xxYWJjxx"}, true, nil},
		{"base64offset 0", `sel: {F|base64offset|contains: 'http://'}`, Map{"F": "aHR0cDovL2V4YW1wbGU="}, true, nil},
		{"base64offset 1", `sel: {F|base64offset|contains: 'http://'}`, Map{"F": "eGh0dHA6Ly9leGFtcGxl"}, true, nil},
		{"base64offset 2", `sel: {F|base64offset|contains: 'http://'}`, Map{"F": "eHhodHRwOi8vZXhhbXBsZQ=="}, true, nil},
		{"wide base64offset", `sel: {F|wide|base64offset|contains: 'ping'}`, Map{"F": "cABpAG4AZwA="}, true, nil},
		{"utf16le base64", `sel: {F|utf16le|base64: 'cmd'}`, Map{"F": "YwBtAGQA"}, true, nil},
		{"utf16be base64", `sel: {F|utf16be|base64: 'cmd'}`, Map{"F": "AGMAbQBk"}, true, nil},
		{"utf16 bom base64", `sel: {F|utf16|base64: 'cmd'}`, Map{"F": "//5jAG0AZAA="}, true, nil},
		{"windash slash", `sel: {F|contains|windash: ' -exec'}`, Map{"F": "x /exec y"}, true, nil},
		{"windash en dash", `sel: {F|contains|windash: ' -exec'}`, Map{"F": "x –exec y"}, true, nil},
		{"windash horizontal bar", `sel: {F|windash|contains: '-exec'}`, Map{"F": "x ―exec y"}, true, nil},
		{"windash inner hyphen untouched", `sel: {F|windash: 'a-b'}`, Map{"F": "a/b"}, false, nil},
		{"windash two flags", `sel: {F|windash: '-a -b'}`, Map{"F": "/a –b"}, true, nil},
		{"exists true", `sel: {F|exists: true}`, Map{"F": ""}, true, nil},
		{"exists true absent", `sel: {F|exists: true}`, Map{}, false, nil},
		{"exists false", `sel: {F|exists: false}`, Map{"G": "x"}, true, nil},
		{"exists counts null", `sel: {F|exists: true}`, Map{"F": nil}, true, nil},
		{"null absent", `sel: {F: null}`, Map{}, true, nil},
		{"null json null", `sel: {F: null}`, Map{"F": nil}, true, nil},
		{"null present", `sel: {F: null}`, Map{"F": "x"}, false, nil},
		{"null empty string is not null", `sel: {F: null}`, Map{"F": ""}, false, nil},
		{"fieldref", `sel: {A|fieldref: B}`, Map{"A": "X", "B": "x"}, true, nil},
		{"fieldref miss", `sel: {A|fieldref: B}`, Map{"A": "x", "B": "y"}, false, nil},
		{"fieldref absent", `sel: {A|fieldref: B}`, Map{"A": "x"}, false, nil},
		{"fieldref contains", `sel: {A|fieldref|contains: B}`, Map{"A": "xxyy", "B": "XY"}, true, nil},
		{"fieldref endswith", `sel: {A|endswith|fieldref: B}`, Map{"A": `c:\a.exe`, "B": "a.exe"}, true, nil},
		{"fieldref neq", `sel: {A|fieldref|neq: B}`, Map{"A": "x", "B": "y"}, true, nil},
		{"expand", `sel: {U|expand: '%admins%'}`, Map{"U": "BOB2"}, true, placeholders},
		{"expand miss", `sel: {U|expand: '%admins%'}`, Map{"U": "carol"}, false, placeholders},
		{"expand inside text", `sel: {U|expand|startswith: 'dom\%admins%'}`, Map{"U": `DOM\alice.x`}, true, placeholders},
		{"gt", `sel: {N|gt: 10}`, Map{"N": 11.0}, true, nil},
		{"gt equal", `sel: {N|gt: 10}`, Map{"N": int64(10)}, false, nil},
		{"gte", `sel: {N|gte: 10}`, Map{"N": "10"}, true, nil},
		{"lt", `sel: {N|lt: 1.5}`, Map{"N": "1.25"}, true, nil},
		{"lte hex", `sel: {N|lte: 16}`, Map{"N": "0x10"}, true, nil},
		{"lt not a number", `sel: {N|lt: 5}`, Map{"N": "abc"}, false, nil},
		{"neq", `sel: {F|neq: a}`, Map{"F": "b"}, true, nil},
		{"neq equal", `sel: {F|neq: a}`, Map{"F": "A"}, false, nil},
		{"neq list", `sel: {F|neq: [a, b]}`, Map{"F": "b"}, false, nil},
		{"neq absent", `sel: {F|neq: a}`, Map{}, false, nil},
		{"hour", `sel: {T|hour: 23}`, Map{"T": "2024-05-01T23:10:00Z"}, true, nil},
		{"hour gte", `sel: {T|hour|gte: 20}`, Map{"T": "2024-05-01 21:10:00.123"}, true, nil},
		{"minute", `sel: {T|minute: 10}`, Map{"T": "2024-05-01T23:10:00Z"}, true, nil},
		{"day", `sel: {T|day: 1}`, Map{"T": "2024-05-01T23:10:00Z"}, true, nil},
		{"week", `sel: {T|week: 18}`, Map{"T": "2024-05-01T23:10:00Z"}, true, nil},
		{"month", `sel: {T|month: 5}`, Map{"T": "2024-05-01T23:10:00Z"}, true, nil},
		{"year lt", `sel: {T|year|lt: 2025}`, Map{"T": "2024-05-01T23:10:00Z"}, true, nil},
		{"number rule value", `sel: {EventID: 4688}`, Map{"EventID": 4688.0}, true, nil},
		{"number as string", `sel: {EventID: 4688}`, Map{"EventID": "4688"}, true, nil},
		{"number int64", `sel: {EventID: [1, 4688]}`, Map{"EventID": int64(4688)}, true, nil},
		{"number not prefix", `sel: {EventID: 46}`, Map{"EventID": 4688.0}, false, nil},
		{"bool value", `sel: {Signed: false}`, Map{"Signed": "false"}, true, nil},
		{"list field any element", `sel: {Tags|contains: evil}`, Map{"Tags": []any{"good", "EVIL"}}, true, nil},
		{"string list field", `sel: {Tags: b}`, Map{"Tags": []string{"a", "b"}}, true, nil},
		{"map is and", `sel: {A: x, B: y}`, Map{"A": "x", "B": "z"}, false, nil},
		{"list of maps is or", "sel:\n    - A: x\n    - B: y", Map{"B": "y"}, true, nil},
		{"keywords", "kw:\n    - 'mimikatz'\n    - 'lsadump'", Map{"Message": "ran LSADUMP::sam"}, true, nil},
		{"keywords miss", "kw:\n    - 'mimikatz'", Map{"Message": "nothing"}, false, nil},
		{"keywords all", "kw:\n    '|all':\n        - a1\n        - b2", Map{"X": "a1", "Y": "b2"}, true, nil},
		{"keywords all miss", "kw:\n    '|all':\n        - a1\n        - b2", Map{"X": "a1"}, false, nil},
		{"keyword single scalar", "kw: 'evil'", Map{"X": "very evil"}, true, nil},
		{"nested field lookup", `sel: {process.name: sshd}`, Map{"process": map[string]any{"name": "sshd"}}, true, nil},
		{"unicode fold", `sel: {F: 'ÄBC'}`, Map{"F": "äbc"}, true, nil},
		{"kelvin sign folds like k", `sel: {F|re|i: 'k'}`, Map{"F": "\u212a"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := ruleText("    " + strings.ReplaceAll(tt.det, "\n", "\n    ") + "\n    condition: 1 of them\n")
			if got := matchRule(t, text, tt.config, tt.ev); got != tt.want {
				t.Errorf("match = %v, want %v\n%s", got, tt.want, text)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	det := `
    a: {A: '1'}
    b: {B: '1'}
    c: {C: '1'}
    sel_x: {X: '1'}
    sel_y: {Y: '1'}
    _hidden: {H: '1'}
`
	tests := []struct {
		cond string
		ev   Map
		want bool
	}{
		{"a", Map{"A": "1"}, true},
		{"a and b", Map{"A": "1"}, false},
		{"a and b", Map{"A": "1", "B": "1"}, true},
		{"a or b", Map{"B": "1"}, true},
		{"not a", Map{}, true},
		{"not a", Map{"A": "1"}, false},
		{"a or b and c", Map{"A": "1"}, true},    // and binds tighter
		{"(a or b) and c", Map{"A": "1"}, false}, // parentheses
		{"not a and b", Map{"B": "1"}, true},     // not binds tighter than and
		{"not (a and b)", Map{"A": "1"}, true},   // negated group
		{"not not a", Map{"A": "1"}, true},       // double negation
		{"a AND NOT b", Map{"A": "1"}, true},     // operators ignore case
		{"1 of sel_*", Map{"Y": "1"}, true},      // pattern, any
		{"all of sel_*", Map{"Y": "1"}, false},   // pattern, all
		{"all of sel_*", Map{"X": "1", "Y": "1"}, true},
		{"1 of them", Map{"C": "1"}, true},
		{"1 of them", Map{"H": "1"}, false}, // them skips _ selections
		{"all of them", Map{"A": "1", "B": "1", "C": "1", "X": "1", "Y": "1"}, true},
		{"_hidden", Map{"H": "1"}, true}, // named directly it works
		{"1 of _*", Map{"H": "1"}, true},
		{"2 of sel_*", Map{"X": "1"}, false},
		{"2 of sel_*", Map{"X": "1", "Y": "1"}, true},
		{"a and not 1 of sel_*", Map{"A": "1", "X": "1"}, false},
		{"any of sel_*", Map{"X": "1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			text := ruleText(det + "    condition: " + tt.cond + "\n")
			if got := matchRule(t, text, nil, tt.ev); got != tt.want {
				t.Errorf("%q on %v = %v, want %v", tt.cond, tt.ev, got, tt.want)
			}
		})
	}
	t.Run("list of conditions is or", func(t *testing.T) {
		text := ruleText(det + "    condition:\n        - a\n        - b\n")
		if !matchRule(t, text, nil, Map{"B": "1"}) {
			t.Error("second condition did not match")
		}
	})
}

func TestParseErrors(t *testing.T) {
	valid := ruleText("    sel: {A: x}\n    condition: sel\n")
	tests := []struct {
		name     string
		text     string
		sentinel error
		line     int
		contains string
	}{
		{"yaml syntax", "title: t\ndetection: [\n", ErrInvalidRule, 3, "yaml"},
		{"not a mapping", "- a\n- b\n", ErrInvalidRule, 1, "mapping"},
		{"missing title", strings.Replace(valid, "title: t\n", "", 1), ErrInvalidRule, 1, "title"},
		{"missing logsource", "title: t\ndetection:\n    sel: {A: x}\n    condition: sel\n", ErrInvalidRule, 1, "logsource"},
		{"missing detection", "title: t\nlogsource: {product: x}\n", ErrInvalidRule, 1, "detection"},
		{"missing condition", ruleText("    sel: {A: x}\n"), ErrInvalidRule, 6, "condition"},
		{"no selection", ruleText("    condition: sel\n"), ErrInvalidRule, 6, "selection"},
		{"unknown selection", ruleText("    sel: {A: x}\n    condition: sel and other\n"), ErrCondition, 7, "unknown selection"},
		{"dangling and", ruleText("    sel: {A: x}\n    condition: sel and\n"), ErrCondition, 7, "end of condition"},
		{"unbalanced paren", ruleText("    sel: {A: x}\n    condition: (sel\n"), ErrCondition, 7, "missing )"},
		{"extra paren", ruleText("    sel: {A: x}\n    condition: sel)\n"), ErrCondition, 7, "unexpected"},
		{"v1 aggregation", ruleText("    sel: {A: x}\n    condition: sel | count() > 5\n"), ErrCondition, 7, "aggregation"},
		{"pattern matches nothing", ruleText("    sel: {A: x}\n    condition: 1 of foo*\n"), ErrCondition, 7, "matches no selection"},
		{"bad quantifier", ruleText("    sel: {A: x}\n    condition: none of sel\n"), ErrCondition, 7, "quantifier"},
		{"of without target", ruleText("    sel: {A: x}\n    condition: 1 of\n"), ErrCondition, 7, "needs"},
		{"unknown modifier", ruleText("    sel: {A|sortof: x}\n    condition: sel\n"), ErrUnknownModifier, 6, "sortof"},
		{"empty modifier", ruleText("    sel: {A||contains: x}\n    condition: sel\n"), ErrInvalidRule, 6, "empty modifier"},
		{"all on one value", ruleText("    sel: {A|contains|all: x}\n    condition: sel\n"), ErrInvalidRule, 6, "list"},
		{"bad regex", ruleText("    sel: {A|re: '(?<=x)y'}\n    condition: sel\n"), ErrUnsupported, 6, "regular expression"},
		{"flag without re", ruleText("    sel: {A|i: x}\n    condition: sel\n"), ErrInvalidRule, 6, "follow re"},
		{"bad cidr", ruleText("    sel: {A|cidr: 10.0.0.0/33}\n    condition: sel\n"), ErrInvalidRule, 6, "cidr"},
		{"lt not number", ruleText("    sel: {A|lt: abc}\n    condition: sel\n"), ErrInvalidRule, 6, "not a number"},
		{"two comparisons", ruleText("    sel: {A|lt|gt: 1}\n    condition: sel\n"), ErrInvalidRule, 6, "comparison"},
		{"exists not bool", ruleText("    sel: {A|exists: maybe}\n    condition: sel\n"), ErrInvalidRule, 6, "true or false"},
		{"exists with contains", ruleText("    sel: {A|exists|contains: true}\n    condition: sel\n"), ErrInvalidRule, 6, "incompatible"},
		{"re with contains", ruleText("    sel: {A|re|contains: x}\n    condition: sel\n"), ErrInvalidRule, 6, "incompatible"},
		{"base64 wildcard", ruleText("    sel: {A|base64: 'x*'}\n    condition: sel\n"), ErrInvalidRule, 6, "wildcards"},
		{"null with contains", ruleText("    sel: {A|contains: null}\n    condition: sel\n"), ErrInvalidRule, 6, "null"},
		{"unresolved placeholder", ruleText("    sel: {A|expand: '%nope%'}\n    condition: sel\n"), ErrUnresolvedPlaceholder, 6, "%nope%"},
		{"nested map value", ruleText("    sel: {A: {B: c}}\n    condition: sel\n"), ErrInvalidRule, 6, "scalars"},
		{"empty value list", ruleText("    sel: {A: []}\n    condition: sel\n"), ErrInvalidRule, 6, "empty value list"},
		{"empty selection", ruleText("    sel:\n    condition: sel\n"), ErrInvalidRule, 6, "empty"},
		{"duplicate key", ruleText("    sel: {A: x}\n    sel: {B: y}\n    condition: sel\n"), ErrInvalidRule, 7, "duplicate key"},
		{"bad level", strings.Replace(valid, "title: t\n", "title: t\nlevel: severe\n", 1), ErrInvalidRule, 2, "level"},
		{"bad status", strings.Replace(valid, "title: t\n", "title: t\nstatus: done\n", 1), ErrInvalidRule, 2, "status"},
		{"bad related", strings.Replace(valid, "title: t\n", "title: t\nrelated:\n    - id: x\n      type: cousin\n", 1), ErrInvalidRule, 4, "related type"},
		{"tags not strings", strings.Replace(valid, "title: t\n", "title: t\ntags: {a: b}\n", 1), ErrInvalidRule, 2, "tags"},
		{"empty file", "", ErrInvalidRule, 0, "no YAML document"},
		{"filter without rules", "title: f\nlogsource: {product: x}\nfilter:\n    selection: {A: x}\n    condition: selection\n", ErrInvalidRule, 4, "filter needs rules"},
		{"filter bad condition", "title: f\nlogsource: {product: x}\nfilter:\n    rules: [r]\n    selection: {A: x}\n    condition: nope\n", ErrCondition, 6, "unknown selection"},
		{"second document bad", valid + "---\ntitle: u\n", ErrInvalidRule, 9, "logsource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := Parse([]byte(tt.text), "bad.yml", nil)
			if err == nil {
				t.Fatalf("no error; parsed %d rules", len(rules))
			}
			if rules != nil {
				t.Errorf("rules returned with an error")
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("error %v does not wrap %v", err, tt.sentinel)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.File != "bad.yml" || pe.Line != tt.line {
				t.Errorf("location %s:%d, want bad.yml:%d (%v)", pe.File, pe.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.contains) || !strings.HasPrefix(err.Error(), "sigma: bad.yml") {
				t.Errorf("error %q lacks %q or the file prefix", err, tt.contains)
			}
		})
	}
}

func TestParseMetadata(t *testing.T) {
	text := `title: Meta
id: 929a690e-bef0-4204-a928-ef5e620d6fcc
name: meta_rule
status: test
description: d
references: [https://example.org]
author: a
date: 2024-01-02
modified: 2024-02-03
tags: [attack.t1059, tlp.amber]
related:
    - id: 00000000-0000-4000-8000-000000000000
      type: derived
logsource: {category: process_creation, product: Windows, service: sysmon, definition: x}
detection:
    sel: {A: x}
    condition: sel
fields: [A]
falsepositives: [none]
level: high
custom_attribute: kept out
`
	rules, err := Parse([]byte(text), "meta.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	r := rules[0]
	got := []string{r.Title, r.ID, r.Name, r.Status, r.Date, r.Modified, r.Level, r.Logsource.Category, r.Logsource.Product, r.Logsource.Service, r.Related[0].Type}
	want := []string{"Meta", "929a690e-bef0-4204-a928-ef5e620d6fcc", "meta_rule", "test", "2024-01-02", "2024-02-03", "high", "process_creation", "Windows", "sysmon", "derived"}
	if !slices.Equal(got, want) || !slices.Equal(r.Tags, []string{"attack.t1059", "tlp.amber"}) {
		t.Errorf("metadata %v, tags %v", got, r.Tags)
	}
	// Logsource values route case-insensitively.
	rs, _ := NewRuleset(rules, nil)
	m := rs.NewMatcher()
	if n := len(m.Match(Map{"A": "x"}, Source{Product: "windows", Services: []string{"sysmon"}, Categories: []string{"process_creation"}})); n != 1 {
		t.Errorf("routed matches = %d, want 1", n)
	}
	if n := len(m.Match(Map{"A": "x"}, Source{Product: "windows", Categories: []string{"process_creation"}})); n != 0 {
		t.Errorf("rule with a service matched an event without it")
	}
}

func TestMatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector (sync.Pool drops items)")
	}
	text := ruleText(`    sel:
        Image|endswith: ['\cmd.exe', '\powershell.exe']
        CommandLine|contains|windash: [' -enc ', ' -nop ']
    filter:
        User|re|i: 'admin.*'
        Count|gt: 5
        IP|cidr: 10.0.0.0/8
    condition: sel and not filter
`)
	rules, err := Parse([]byte(text), "a.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := NewRuleset(rules, nil)
	m := rs.NewMatcher()
	ev := Map{"Image": `C:\Windows\System32\CMD.exe`, "CommandLine": "cmd /nop x", "User": "bob", "Count": 7.0, "IP": "10.1.1.1", "EventID": 1.0}
	if len(m.Match(ev, AllSources)) != 1 {
		t.Fatal("rule did not match")
	}
	allocs := testing.AllocsPerRun(1000, func() {
		m.Match(ev, AllSources)
		m.Match(ev, RouteWindows(ev))
	})
	if allocs != 0 {
		t.Errorf("Match allocates %.1f times per run, want 0", allocs)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(ruleText("    sel: {A|contains: x}\n    condition: sel\n")))
	f.Add([]byte(ruleText("    sel: {A|re|i: '^a.*b$', B|cidr: 10.0.0.0/8}\n    kw: [evil]\n    condition: sel or 1 of kw*\n")))
	f.Add([]byte(ruleText("    s1: {A|windash|contains: ' -x'}\n    s2: {B|base64offset|contains: abc, C|gt: 3}\n    condition: all of s* and not (s1 or s2)\n")))
	f.Add([]byte("title: c\ncorrelation:\n    type: event_count\n    rules: [a]\n    timespan: 5m\n    condition: {gte: 2}\n"))
	f.Add([]byte("title: t\ndetection: [\n"))
	f.Add([]byte(ruleText("    sel: {A|expand: '%x%', B: null, C|exists: true, D|fieldref: A}\n    condition: sel\n")))
	ev := Map{"A": "xabc", "B": "10.1.2.3", "C": 4.0, "D": "xabc"}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := Parse(data, "fuzz.yml", &Config{Placeholders: map[string][]string{"x": {"a*"}}})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || rules != nil {
				t.Fatalf("bad error contract: %v %v", err, rules)
			}
			return
		}
		rs, err := NewRuleset(rules, nil)
		if err != nil {
			return // dangling correlation references are legitimate here
		}
		m := rs.NewMatcher()
		if got, want := indexes(m.Match(ev, AllSources)), bruteMatch(m, ev); !slices.Equal(got, want) {
			t.Fatalf("indexed %v != brute force %v", got, want)
		}
	})
}
