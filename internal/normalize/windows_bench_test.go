package normalize

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// w4Events returns the Windows events of about 1 KB (800 to 1,200 bytes) of
// the PurpleSharp capture of Security-Datasets: the input of workload W4.
func w4Events(tb testing.TB) [][]byte {
	tb.Helper()
	dir := testenv.SharedData(tb, "security-datasets/extracted")
	data, err := os.ReadFile(filepath.Join(dir, "purplesharp_ad_playbook_I_2020-10-22042947.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for l := range bytes.SplitSeq(data, []byte{'\n'}) {
		if n := len(l); n >= 800 && n <= 1200 {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		tb.Fatal("no Windows events of about 1 KB")
	}
	return out
}

// BenchmarkWindowsW4 parses the real ~1 KB events of workload W4 in turn,
// one per op, into a reused event as the HTTP receiver does.
func BenchmarkWindowsW4(b *testing.B) {
	lines := w4Events(b)
	p, _ := New("windows", Options{})
	var ev event.Event
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	b.SetBytes(int64(size / len(lines)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := p.Parse(lines[i], &ev); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(lines) {
			i = 0
		}
	}
}

// TestWindowsW4Allocs pins the allocations per Parse of the W4 events (29
// on average when measured): the boxing of the values stored in
// event.Fields, the copy of the record and a few numbers made text.
func TestWindowsW4Allocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("coverage and race instrumentation change allocations")
	}
	lines := w4Events(t)
	p, _ := New("windows", Options{})
	var ev event.Event
	i := 0
	got := testing.AllocsPerRun(2*len(lines), func() {
		if err := p.Parse(lines[i%len(lines)], &ev); err != nil {
			t.Fatal(err)
		}
		i++
	})
	const budget = 32
	t.Logf("%.1f allocs per Parse (budget %d)", got, budget)
	if got > budget {
		t.Errorf("%.1f allocs per Parse of a W4 event, budget %d", got, budget)
	}
}
