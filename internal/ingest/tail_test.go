package ingest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// runTailer runs a Tailer until the returned stop is called.
func runTailer(t *testing.T, e *env, stateDir string) (stop func()) {
	t.Helper()
	tl := e.in.Tailer(TailOptions{StateDir: stateDir, Poll: 20 * time.Millisecond, BatchSize: 64})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); tl.Run(ctx) }()
	var once bool
	stop = func() {
		if !once {
			once = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

func appendLines(t *testing.T, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := from; i < to; i++ {
		fmt.Fprintf(f, "<13>1 2026-11-24T08:00:00Z host app - - - line %05d\n", i)
	}
}

func wantLines(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("line %05d", i))
	}
	return out
}

// TestTailRotation: lines survive rename+create, copytruncate, a partial
// last line and a restart, each exactly once.
func TestTailRotation(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	state := filepath.Join(dir, "state")
	appendLines(t, path, 0, 100)
	e.addSource(store.Source{Kind: store.SourceFile, Match: path, Format: "syslog"})
	stop := runTailer(t, e, state)
	c.wait(t, 100)

	// Rename and create, with lines appended to the old file after the
	// rename (the writer still holds it) and to the new one.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path+".1", 100, 110)
	appendLines(t, path, 110, 150)
	c.wait(t, 150)

	// copytruncate: the content is copied away and the file emptied.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, 150, 160)
	c.wait(t, 160)

	// A partial line waits for its newline.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprint(f, "<13>1 2026-11-24T08:00:00Z host app - - - line 00160")
	f.Close()
	if n := len(c.settle()); n != 160 {
		t.Fatalf("%d events before the newline", n)
	}

	// Restart: stop the tailer, write more (and finish the line), start a
	// new one with the same state directory.
	stop()
	f, _ = os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprint(f, "\n")
	f.Close()
	appendLines(t, path, 161, 200)
	runTailer(t, e, state)
	evs := c.wait(t, 200)
	evs = append(evs[:0:0], c.settle()...)
	got := messages(evs)
	if diff := cmp.Diff(wantLines(0, 200), got); diff != "" {
		t.Fatalf("lines (-want +got):\n%s", diff)
	}
}

// TestTailWebAccessLogs tails the real Apache access log sample.
func TestTailWebAccessLogs(t *testing.T) {
	src := filepath.Join(testenv.SharedData(t, "web-access-logs/apache_logs"), "apache_logs")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			lines++
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	e.addSource(store.Source{Kind: store.SourceFile, Match: path, Format: "access"})
	runTailer(t, e, filepath.Join(dir, "state"))
	// Every line parses or is counted as an error; none is lost.
	eventually(t, "all lines read", func() bool {
		return int(e.counter("received", store.SourceFile)) == lines
	})
	bad := int(e.counter("errors", store.SourceFile, ReasonMalformed))
	evs := c.wait(t, lines-bad)
	if bad > lines/100 {
		t.Fatalf("%d of %d lines unparseable", bad, lines)
	}
	codes := map[string]int{}
	for _, ev := range evs {
		codes[ev.String("http.response.status_code")]++
	}
	keys := slices.Sorted(maps.Keys(codes))
	t.Logf("%d lines, %d events, %d errors, status codes %v", lines, len(evs), bad, keys)
	if codes["200"] == 0 {
		t.Fatalf("no 200 responses in %v", codes)
	}
}
