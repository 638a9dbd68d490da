package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/normalize"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// Tailer follows the files of the enabled file sources (Source.Match is
// the path) on the Vedetta host.
//
// Rotation: when the path names a new file (rename and create, as
// logrotate does by default), the old file is read to its end first, then
// the new one from its start; when the file shrinks below the offset
// (copytruncate), it is read again from its start.
//
// Offsets are written to StateDir after each batch is durable on the bus,
// so a restart resumes where it stopped: no line is lost, but a crash
// between the bus acknowledgement and the offset write sends that batch
// again (at least once; it gets new event ids). Lines appended to a file
// that is rotated away while Vedetta is down are not read (the state names
// the old inode; the new file is read from its start). A line without its
// final newline is not read until the newline arrives.
type Tailer struct {
	in    *Ingester
	log   *slog.Logger
	dir   string
	poll  time.Duration
	batch int

	mu    sync.Mutex
	tails map[string]*tailRun
	wg    sync.WaitGroup
}

type tailRun struct {
	path   string
	cancel context.CancelFunc
	done   chan struct{}
}

// TailOptions configures a Tailer.
type TailOptions struct {
	StateDir  string        // where offsets are kept; required
	Poll      time.Duration // how often a file at its end is checked (default 250ms)
	BatchSize int           // lines per bus batch (default 512)
}

// Tailer returns the file receiver of in.
func (in *Ingester) Tailer(opts TailOptions) *Tailer {
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 512
	}
	return &Tailer{in: in, log: in.log.With("receiver", "file"), dir: opts.StateDir, poll: opts.Poll,
		batch: opts.BatchSize, tails: make(map[string]*tailRun)}
}

// Run tails the file sources, following source changes, until ctx ends.
func (t *Tailer) Run(ctx context.Context) error {
	if err := os.MkdirAll(t.dir, 0o750); err != nil {
		return fmt.Errorf("ingest: tail state: %w", err)
	}
	tick := time.NewTicker(t.in.opts.ReloadInterval)
	defer tick.Stop()
	for {
		t.sync(ctx)
		select {
		case <-ctx.Done():
			t.mu.Lock()
			for id, r := range t.tails {
				r.cancel()
				delete(t.tails, id)
			}
			t.mu.Unlock()
			t.wg.Wait()
			return nil
		case <-tick.C:
		}
	}
}

func (t *Tailer) sync(ctx context.Context) {
	want := make(map[string]*entry)
	for _, e := range t.in.reg.list(store.SourceFile) {
		if e.src.Enabled && e.src.Match != "" {
			want[e.src.ID] = e
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, r := range t.tails {
		if e, ok := want[id]; !ok || e.src.Match != r.path {
			r.cancel()
			<-r.done
			delete(t.tails, id)
		}
	}
	for id, e := range want {
		if _, ok := t.tails[id]; ok {
			continue
		}
		rctx, cancel := context.WithCancel(ctx)
		r := &tailRun{path: e.src.Match, cancel: cancel, done: make(chan struct{})}
		t.tails[id] = r
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			defer close(r.done)
			if err := t.follow(rctx, id, r.path); err != nil && rctx.Err() == nil {
				t.log.Warn("file tail stopped", "source", id, "path", r.path, "err", err)
			}
		}()
	}
}

// tailState is the persisted position in a file.
type tailState struct {
	Path   string `json:"path"`
	Dev    uint64 `json:"dev"`
	Ino    uint64 `json:"ino"`
	Offset int64  `json:"offset"`
}

func fileID(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino
	}
	return 0, 0
}

func (t *Tailer) statePath(id string) string {
	return filepath.Join(t.dir, EscapeFileName(id)+".json")
}

const hexDigits = "0123456789abcdef"

// EscapeFileName makes an id safe as a file name.
func EscapeFileName(id string) string {
	var b []byte
	for i := 0; i < len(id); i++ {
		c := id[i]
		if plainByteFile(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&0xf])
		}
	}
	return string(b)
}

func plainByteFile(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func (t *Tailer) loadState(id string) (tailState, bool) {
	var st tailState
	b, err := os.ReadFile(t.statePath(id))
	if err != nil || json.Unmarshal(b, &st) != nil {
		return st, false
	}
	return st, true
}

func (t *Tailer) saveState(id string, st tailState) error {
	b, _ := json.Marshal(st)
	tmp := t.statePath(id) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o640); err != nil {
		return fmt.Errorf("ingest: tail state: %w", err)
	}
	if err := os.Rename(tmp, t.statePath(id)); err != nil {
		return fmt.Errorf("ingest: tail state: %w", err)
	}
	return nil
}

// tailFile is the open file being read.
type tailFile struct {
	f        *os.File
	dev, ino uint64
	off      int64  // offset of the first byte of pending
	pending  []byte // read but not yet consumed (an incomplete line)
	skipping bool   // inside an over-long line being skipped
	rotated  bool   // the path names another file; finishing this one
}

func (t *Tailer) open(path string, st tailState, resume bool) (*tailFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	tf := &tailFile{f: f}
	tf.dev, tf.ino = fileID(fi)
	if resume && st.Dev == tf.dev && st.Ino == tf.ino && st.Offset <= fi.Size() {
		tf.off = st.Offset
	}
	if _, err := f.Seek(tf.off, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return tf, nil
}

// follow tails one file until ctx ends.
func (t *Tailer) follow(ctx context.Context, id, path string) error {
	const kind = store.SourceFile
	st, resume := t.loadState(id)
	resume = resume && st.Path == path
	var tf *tailFile
	defer func() {
		if tf != nil {
			tf.f.Close()
		}
	}()
	buf := make([]byte, 256<<10)
	evs := make([]event.Event, t.batch)
	for ctx.Err() == nil {
		if tf == nil {
			var err error
			tf, err = t.open(path, st, resume)
			if err != nil {
				if !errors.Is(err, os.ErrNotExist) {
					t.in.health.fail(id, err.Error())
				}
				if !sleepCtx(ctx, t.poll*4) {
					return nil
				}
				continue
			}
			resume = false
		}
		e := t.in.reg.get(id)
		if e == nil {
			return nil
		}
		n, err := tf.f.Read(buf)
		if n > 0 {
			tf.pending = append(tf.pending, buf[:n]...)
			if err := t.drain(ctx, kind, e, tf, evs, path); err != nil {
				return err
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("ingest: tail %s: %w", path, err)
		}
		// At the end: rotated or truncated?
		fi, serr := os.Stat(path)
		cur, cerr := tf.f.Stat()
		switch {
		case serr == nil:
			dev, ino := fileID(fi)
			if dev != tf.dev || ino != tf.ino {
				// Rename and create: read the old file to its end once
				// more (a writer may have appended since), then the new
				// one from its start.
				if !tf.rotated {
					tf.rotated = true
					continue
				}
				t.log.Info("file rotated", "source", id, "path", path)
				tf.f.Close()
				tf = nil
				st = tailState{}
				if err := t.saveState(id, tailState{Path: path}); err != nil {
					return err
				}
				continue
			}
			if cerr == nil && cur.Size() < tf.off+int64(len(tf.pending)) {
				t.log.Info("file truncated", "source", id, "path", path)
				if _, err := tf.f.Seek(0, io.SeekStart); err != nil {
					return fmt.Errorf("ingest: tail %s: %w", path, err)
				}
				tf.off, tf.pending, tf.skipping = 0, tf.pending[:0], false
				if err := t.saveState(id, tailState{Path: path, Dev: tf.dev, Ino: tf.ino}); err != nil {
					return err
				}
				continue
			}
		}
		if !sleepCtx(ctx, t.poll) {
			return nil
		}
	}
	return nil
}

// drain parses and publishes the complete lines of tf.pending, batch by
// batch, saving the offset after each durable batch.
func (t *Tailer) drain(ctx context.Context, kind string, e *entry, tf *tailFile, evs []event.Event, path string) error {
	p, err := e.parser()
	if err != nil {
		t.in.parseError(kind, &e.src, err)
		return err
	}
	defer e.release(p)
	limit := t.in.maxBatch(&e.src, len(evs))
	for {
		n, used := 0, 0
		rest := tf.pending
		for n < limit {
			i := bytes.IndexByte(rest, '\n')
			if i < 0 {
				break
			}
			line := rest[:i]
			rest = rest[i+1:]
			used += i + 1
			if tf.skipping {
				tf.skipping = false
				continue
			}
			line = bytes.TrimSuffix(line, []byte{'\r'})
			if len(line) == 0 {
				continue
			}
			t.in.received(kind, 1)
			if len(line) > normalize.MaxLineBytes {
				t.in.refuse(kind, ReasonTooLarge, 1)
				continue
			}
			evs[n].ID = "" // a reused slot: Submit gives it a new id
			if perr := p.Parse(line, &evs[n]); perr != nil {
				if !errors.Is(perr, normalize.ErrNoEvent) {
					t.in.parseError(kind, &e.src, perr)
				}
				continue
			}
			n++
		}
		if used == 0 {
			if len(tf.pending) > normalize.MaxLineBytes {
				// An over-long line: drop what we have, skip to its end.
				t.in.received(kind, 1)
				t.in.refuse(kind, ReasonTooLarge, 1)
				tf.off += int64(len(tf.pending))
				tf.pending, tf.skipping = tf.pending[:0], true
			}
			return nil
		}
		if n > 0 {
			if err := t.in.submitRetrying(ctx, kind, &e.src, evs[:n]); err != nil {
				return err
			}
		}
		tf.off += int64(used)
		tf.pending = append(tf.pending[:0], tf.pending[used:]...)
		if err := t.saveState(e.src.ID, tailState{Path: path, Dev: tf.dev, Ino: tf.ino, Offset: tf.off}); err != nil {
			return err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}
