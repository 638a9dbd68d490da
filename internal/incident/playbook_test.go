package incident

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const minimal = `name: test
category: other
title: {it: Prova, en: Test}
steps:
  - id: one
    title: {it: Uno, en: One}
    actions:
      - id: blk
        kind: block_ip
        title: {it: Blocca, en: Block}
        expiry: 2h
`

func TestParsePlaybook(t *testing.T) {
	p, err := ParsePlaybook([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	a := p.Action("blk")
	if a == nil || a.Expiry != 2*time.Hour || a.Kind != ActionBlockIP {
		t.Errorf("action = %+v", a)
	}
	if got := p.Steps[0].Title.In("en"); got != "One" {
		t.Errorf("In(en) = %q", got)
	}
	if got := p.Steps[0].Title.In("it-IT"); got != "Uno" {
		t.Errorf("In(it) = %q", got)
	}
}

func TestParsePlaybookMalformed(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty document"},
		{"syntax", "name: [x\n", "line"},
		{"not a mapping", "- a\n- b\n", "line 1: expected a mapping"},
		{"unknown field", minimal + "colour: red\n", "line 12: unknown field \"colour\""},
		{"repeated field", "name: a\nname: b\n", "line 2: field \"name\" repeated"},
		{"missing english", strings.Replace(minimal, "title: {it: Uno, en: One}", "title: {it: Uno}", 1), "line 6: text needs both it and en"},
		{"bad category", strings.Replace(minimal, "category: other", "category: alien", 1), "unknown category"},
		{"bad kind", strings.Replace(minimal, "kind: block_ip", "kind: launch_missiles", 1), "line 8: unknown action kind"},
		{"bad expiry", strings.Replace(minimal, "expiry: 2h", "expiry: forever", 1), "line 8: expiry \"forever\""},
		{"negative expiry", strings.Replace(minimal, "expiry: 2h", "expiry: -2h", 1), "expiry"},
		{"no steps", "name: a\ncategory: other\ntitle: {it: a, en: a}\n", "at least one step"},
		{"bad name", strings.Replace(minimal, "name: test", "name: ../etc", 1), "name must be"},
		{"duplicate id", strings.Replace(minimal, "id: blk", "id: one", 1), "used twice"},
		{"email without to", strings.Replace(minimal, "kind: block_ip", "kind: email", 1), "line 8: email action blk needs recipients"},
		{"expiry on chat", strings.Replace(minimal, "kind: block_ip", "kind: chat", 1), "expiry applies only"},
		{"bad address", "name: a\ncategory: other\ntitle: {it: a, en: a}\nsteps:\n  - id: s\n    title: {it: a, en: a}\n    actions:\n      - {id: m, kind: email, title: {it: a, en: a}, to: [\"x y@z\"]}\n", "line 8: bad e-mail"},
		{"alias", "name: &n a\ncategory: other\ntitle: {it: a, en: a}\nsteps:\n  - id: *n\n", "aliases are not allowed"},
		{"null text", strings.Replace(minimal, "{it: Prova, en: Test}", "{it: ~, en: Test}", 1), "line 3: expected a string"},
		{"list where text", strings.Replace(minimal, "{it: Prova, en: Test}", "[a, b]", 1), "line 3: expected a mapping"},
		{"not utf8", "name: \xff\n", "not UTF-8"},
		{"too large", strings.Repeat("#", MaxPlaybookSize+1), "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePlaybook([]byte(tt.in))
			if err == nil {
				t.Fatalf("accepted: %+v", p)
			}
			if p != nil {
				t.Errorf("returned a half-parsed playbook with the error")
			}
			if !errors.Is(err, ErrPlaybook) {
				t.Errorf("err %v does not wrap ErrPlaybook", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	d, err := Defaults()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"account-compromise", "ddos", "defacement", "phishing", "physical-intrusion-port", "ransomware"}
	if got := PlaybookNames(d); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("defaults = %v, want %v", got, want)
	}
	for name, p := range d {
		for _, s := range p.Steps {
			if s.Instructions.IT == "" || s.Instructions.EN == "" {
				t.Errorf("%s/%s: instructions missing a language", name, s.ID)
			}
		}
	}
	if PlaybookFor(d, "ransomware") != "ransomware" || PlaybookFor(d, "physical_intrusion") != "physical-intrusion-port" {
		t.Error("PlaybookFor does not find the category's playbook")
	}
	if d["ransomware"].Action("block-c2") == nil {
		t.Error("ransomware playbook lacks its block action")
	}
}

func FuzzParsePlaybook(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(DefaultYAML("ransomware")))
	f.Add([]byte("name: &a [*a]\n"))
	f.Add([]byte("steps: [{actions: [{expiry: 1ns}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePlaybook(data)
		if err != nil {
			if p != nil || !errors.Is(err, ErrPlaybook) {
				t.Fatalf("error %v with playbook %v", err, p)
			}
			return
		}
		if p.Name == "" || len(p.Steps) == 0 || !p.Category.Valid() {
			t.Fatalf("accepted an invalid playbook: %+v", p)
		}
	})
}
