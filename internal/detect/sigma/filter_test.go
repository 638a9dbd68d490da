package sigma

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/testenv"
)

const filteredRules = `title: Data Compressed - rar.exe
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
logsource: {category: process_creation, product: windows}
detection:
    selection: {Image|endswith: '\rar.exe'}
    condition: selection
---
title: Login on jump host
id: df0841c0-9846-4e9f-ad8a-7df91571771b
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4624, Computer|startswith: 'JUMP'}
    condition: selection
`

func TestFilters(t *testing.T) {
	dir := testenv.SharedData(t, "sigma-specification/tests/schema/filter")
	filterText, err := os.ReadFile(filepath.Join(dir, "filter_1.yml"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := Parse([]byte(filteredRules), "rules.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	filters, err := Parse(filterText, "filter_1.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if filters[0].Filter == nil || len(filters[0].Filter.Rules) != 2 {
		t.Fatalf("filter not parsed: %+v", filters[0])
	}
	plain, err := NewRuleset(rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	filtered, err := NewRuleset(append(append([]*Rule(nil), rules...), filters...), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := filtered.Stats().Filters; got != 1 {
		t.Errorf("Stats().Filters = %d", got)
	}
	tests := []struct {
		name         string
		ev           Map
		plain, after int
	}{
		{"admin rar", Map{"Image": `C:\x\rar.exe`, "User": "adm_bob"}, 1, 0},
		{"user rar", Map{"Image": `C:\x\rar.exe`, "User": "bob"}, 1, 1},
		{"admin logon", Map{"EventID": 4624.0, "Computer": "JUMP1", "User": "ADM_x"}, 1, 0},
		{"logon without user", Map{"EventID": 4624.0, "Computer": "JUMP1"}, 1, 1},
	}
	mp, mf := plain.NewMatcher(), filtered.NewMatcher()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(mp.Match(tt.ev, AllSources)); got != tt.plain {
				t.Errorf("unfiltered matches %d, want %d", got, tt.plain)
			}
			if got := len(mf.Match(tt.ev, AllSources)); got != tt.after {
				t.Errorf("filtered matches %d, want %d", got, tt.after)
			}
		})
	}
	// Compiling with the filter did not change the parsed rules.
	again, _ := NewRuleset(rules, nil)
	if got := len(again.NewMatcher().Match(Map{"Image": `C:\x\rar.exe`, "User": "adm_bob"}, AllSources)); got != 1 {
		t.Errorf("parsed rule was modified by an earlier compile")
	}
	// A filter naming an absent rule is an error.
	if _, err := NewRuleset(filters, nil); !errors.Is(err, ErrInvalidRule) {
		t.Errorf("dangling filter: %v", err)
	}
	fsDir := t.TempDir()
	os.WriteFile(filepath.Join(fsDir, "mf_filter.yml"), filterText, 0o644)
	rs, errs := LoadDir(fsDir, nil)
	if len(errs) != 1 || len(rs.Filters()) != 0 {
		t.Errorf("LoadDir with a dangling filter: %v, %d filters", errs, len(rs.Filters()))
	}
}
