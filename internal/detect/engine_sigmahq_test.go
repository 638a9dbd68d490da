package detect

import (
	"bufio"
	"os"
	"testing"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/normalize"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// TestSigmaHQRulesOnIngestedEvents loads SigmaHQ's Windows rules from a
// directory, as an installation configures them, and runs the PsExec
// capture of Security-Datasets through the Windows parser and the engine:
// SigmaHQ rules must raise alerts on normalised events, among them the
// remote named pipe of PsExec.
func TestSigmaHQRulesOnIngestedEvents(t *testing.T) {
	rules := testenv.SharedData(t, "sigma/rules/windows")
	capture := testenv.SharedData(t, "security-datasets/extracted/cmd_psexec_lsa_secrets_dump_2020-10-1903305471.json")
	e, err := New(Config{RulesDirs: []string{rules}}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.LoadErrors()); n*100 > len(e.Rules().Rules()) {
		t.Errorf("%d SigmaHQ rules failed to load", n)
	}
	f, err := os.Open(capture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := normalize.New("windows", normalize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	byRule := map[string]int{}
	events := 0
	for sc.Scan() {
		ev := &event.Event{}
		if p.Parse(sc.Bytes(), ev) != nil {
			continue
		}
		events++
		ev.ID, ev.TenantID = uuid.Must(uuid.NewV7()).String(), "t"
		res, err := e.Process(t.Context(), ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.Alerts {
			if a.Kind == store.AlertSigma {
				byRule[a.RuleTitle]++
			}
		}
	}
	t.Logf("%d events, %d rules loaded, sigma alerts by rule: %v", events, len(e.Rules().Rules()), byRule)
	if byRule["First Time Seen Remote Named Pipe"] == 0 {
		t.Errorf("the PsExec named pipe did not raise the SigmaHQ rule")
	}
}
