package detect

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/store"
)

func TestParseIndicators(t *testing.T) {
	csvOK := "type,value,source,confidence,tlp,valid_until,tags,description\n" +
		"ipv4,203.0.113.9,police,80,TLP:AMBER,2026-12-31,c2;botnet,C2 server\n" +
		"# a comment\n" +
		"domain,Evil.Example.,,,,,,\n"
	want := []store.Indicator{
		{TenantID: "t", Type: "ipv4", Value: "203.0.113.9", Source: "police", Confidence: 80, TLP: "amber",
			ValidUntil: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Tags: []string{"c2", "botnet"}, Description: "C2 server"},
		{TenantID: "t", Type: "domain", Value: "evil.example", Source: "upload", Confidence: 50},
	}
	got, err := ParseIndicators([]byte(csvOK), "csv", "t", "upload")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
	jsonOK := `{"indicators":[{"type":"ipv4","value":"203.0.113.9","source":"police","confidence":80,"tlp":"amber","valid_until":"2026-12-31T00:00:00Z","tags":["c2","botnet"],"description":"C2 server"},{"type":"domain","value":"Evil.Example."}]}`
	got, err = ParseIndicators([]byte(jsonOK), "json", "t", "upload")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}

	bad := []struct {
		name, format, data, wantIn string
	}{
		{"unknown format", "xml", "<x/>", "unknown format"},
		{"empty csv", "csv", "", "header"},
		{"header only", "csv", "type,value\n", "no indicators"},
		{"no value column", "csv", "type,source\nipv4,x\n", "no value column"},
		{"unknown column", "csv", "type,value,colour\nipv4,1.2.3.4,red\n", "unknown column"},
		{"short row", "csv", "type,value,source\nipv4,1.2.3.4\n", "line 2"},
		{"bad ip on line 3", "csv", "type,value\nipv4,1.2.3.4\nipv4,1.2.3.400\n", "line 3"},
		{"bad type", "csv", "type,value\nmutex,abc\n", "line 2"},
		{"bad confidence", "csv", "type,value,confidence\nipv4,1.2.3.4,high\n", "confidence"},
		{"confidence range", "csv", "type,value,confidence\nipv4,1.2.3.4,101\n", "outside"},
		{"bad tlp", "csv", "type,value,tlp\nipv4,1.2.3.4,purple\n", "line 2"},
		{"bad date", "csv", "type,value,valid_from\nipv4,1.2.3.4,yesterday\n", "valid_from"},
		{"until before from", "csv", "type,value,valid_from,valid_until\nipv4,1.2.3.4,2026-02-01,2026-01-01\n", "before"},
		{"unquoted quote", "csv", "type,value\nipv4,\"1.2.3.4\n", "ErrImport"},
		{"json not array", "json", `"x"`, "cannot unmarshal"},
		{"json unknown key", "json", `[{"type":"ipv4","value":"1.2.3.4","colour":"red"}]`, "unknown field"},
		{"json trailing", "json", `[{"type":"ipv4","value":"1.2.3.4"}] []`, "after"},
		{"json second bad", "json", `[{"type":"ipv4","value":"1.2.3.4"},{"type":"md5","value":"abc"}]`, "indicator 2"},
		{"json empty", "json", `[]`, "no indicators"},
		{"NUL in description", "json", `[{"type":"ipv4","value":"1.2.3.4","description":"a\u0000b"}]`, "NUL"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIndicators([]byte(tt.data), tt.format, "t", "upload")
			if !errors.Is(err, ErrImport) || got != nil {
				t.Fatalf("got %v, %v; want nil and ErrImport", got, err)
			}
			if tt.wantIn != "ErrImport" && !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("error %q does not mention %q", err, tt.wantIn)
			}
		})
	}
}

func FuzzParseIndicators(f *testing.F) {
	f.Add([]byte("type,value\nipv4,1.2.3.4\n"), true)
	f.Add([]byte("type,value,source,confidence,tlp,valid_from,valid_until,tags,description\nurl,http://a.example/x,p,1,red,2026-01-01,,a;b,d\n"), true)
	f.Add([]byte(`[{"type":"domain","value":"a.example","confidence":3}]`), false)
	f.Add([]byte(`{"indicators":[{"type":"sha256","value":"`+strings.Repeat("a", 64)+`"}]}`), false)
	f.Add([]byte("\ufefftype,value\n\"cidr\",\"10.0.0.0/8\"\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, isCSV bool) {
		format := "json"
		if isCSV {
			format = "csv"
		}
		inds, err := ParseIndicators(data, format, "t", "s")
		if err != nil {
			if inds != nil {
				t.Fatal("indicators returned with an error")
			}
			return
		}
		for _, in := range inds {
			if in.Type == "" || in.Value == "" || in.Confidence < 0 || in.Confidence > 100 {
				t.Fatalf("accepted %+v", in)
			}
			if _, err := ToIOC(in); err != nil {
				t.Fatalf("accepted indicator the matcher refuses: %+v: %v", in, err)
			}
		}
	})
}
