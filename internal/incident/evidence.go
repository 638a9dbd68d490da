package incident

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// ErrTooLarge reports an evidence file over the size limit.
var ErrTooLarge = errors.New("incident: evidence file too large")

// DefaultMaxEvidence is the default size limit of one evidence file.
const DefaultMaxEvidence = 100 << 20

// Evidence keeps evidence files under a directory opened as an os.Root,
// so no stored path can escape it, and records every access in the chain
// of custody.
type Evidence struct {
	Root    *os.Root
	Store   store.CaseStore
	MaxSize int64 // 0 = DefaultMaxEvidence
}

// OpenEvidence opens (creating it) the evidence directory dir.
func OpenEvidence(dir string, st store.CaseStore, maxSize int64) (*Evidence, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("incident: evidence dir: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("incident: evidence dir: %w", err)
	}
	return &Evidence{Root: root, Store: st, MaxSize: maxSize}, nil
}

// Close closes the directory.
func (e *Evidence) Close() error { return e.Root.Close() }

// Accessor is who touches an evidence file, for the chain of custody.
type Accessor struct {
	ID, Name, IP string
}

// Upload stores a file for a case: it computes the SHA-256 while writing,
// refuses files over the limit (leaving nothing behind), and records the
// upload in the chain of custody and on the timeline.
func (e *Evidence) Upload(ctx context.Context, tenantID, caseID, name, mediaType string, personal bool, r io.Reader, who Accessor) (*store.Evidence, error) {
	name = cleanName(name)
	if _, err := e.Store.GetCase(ctx, tenantID, caseID); err != nil {
		return nil, fmt.Errorf("incident: upload: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("incident: upload: %w", err)
	}
	if _, err := uuid.Parse(tenantID); err != nil {
		return nil, fmt.Errorf("incident: upload: bad tenant id")
	}
	dir := tenantID
	if err := e.Root.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("incident: upload: %w", err)
	}
	rel := path.Join(dir, id.String())
	f, err := e.Root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("incident: upload: %w", err)
	}
	max := e.MaxSize
	if max <= 0 {
		max = DefaultMaxEvidence
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, max+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > max {
		err = ErrTooLarge
	}
	if err != nil {
		_ = e.Root.Remove(rel)
		if errors.Is(err, ErrTooLarge) {
			return nil, err
		}
		return nil, fmt.Errorf("incident: upload: %w", err)
	}
	ev := &store.Evidence{ID: id.String(), TenantID: tenantID, CaseID: caseID, Name: name, MediaType: mediaType, Size: n,
		SHA256: hex.EncodeToString(h.Sum(nil)), Path: rel, Personal: personal, UploadedBy: who.Name}
	if err := e.Store.AddEvidence(ctx, ev); err != nil {
		_ = e.Root.Remove(rel)
		return nil, fmt.Errorf("incident: upload: %w", err)
	}
	if err := e.custody(ctx, ev, "upload", who, "sha256="+ev.SHA256); err != nil {
		return ev, err
	}
	if err := e.Store.AddTimeline(ctx, &store.TimelineEntry{TenantID: tenantID, CaseID: caseID, Kind: store.TimelineEvidence,
		ActorName: who.Name, Text: name + " (SHA-256 " + ev.SHA256[:16] + "…)", Ref: "evidence:" + ev.ID}); err != nil {
		return ev, fmt.Errorf("incident: upload: %w", err)
	}
	return ev, nil
}

func cleanName(n string) string {
	n = path.Base(strings.ReplaceAll(n, "\\", "/"))
	if !utf8.ValidString(n) {
		n = strings.ToValidUTF8(n, "_")
	}
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, n)
	if n == "" || n == "." || n == "/" {
		n = "evidence"
	}
	if len(n) > 200 {
		n = n[:200]
	}
	return strings.ToValidUTF8(n, "")
}

func (e *Evidence) custody(ctx context.Context, ev *store.Evidence, action string, who Accessor, detail string) error {
	if err := e.Store.AddCustody(ctx, &store.CustodyRecord{TenantID: ev.TenantID, EvidenceID: ev.ID, ActorID: who.ID,
		ActorName: who.Name, Action: action, IP: who.IP, Detail: detail}); err != nil {
		return fmt.Errorf("incident: custody: %w", err)
	}
	return nil
}

// Open returns an evidence file's content for download or view, after
// recording the access (action "download" or "view"). The caller closes
// the file.
func (e *Evidence) Open(ctx context.Context, tenantID, id, action string, who Accessor) (*store.Evidence, *os.File, error) {
	ev, err := e.Store.GetEvidence(ctx, tenantID, id)
	if err != nil {
		return nil, nil, fmt.Errorf("incident: evidence: %w", err)
	}
	if err := e.custody(ctx, ev, action, who, ""); err != nil {
		return nil, nil, err
	}
	f, err := e.Root.Open(ev.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("incident: evidence: %w", err)
	}
	return ev, f, nil
}

// Verify recomputes the SHA-256 of an evidence file, records the check
// and reports whether it still matches.
func (e *Evidence) Verify(ctx context.Context, tenantID, id string, who Accessor) (bool, error) {
	ev, err := e.Store.GetEvidence(ctx, tenantID, id)
	if err != nil {
		return false, fmt.Errorf("incident: evidence: %w", err)
	}
	f, err := e.Root.Open(ev.Path)
	if err != nil {
		return false, fmt.Errorf("incident: evidence: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, fmt.Errorf("incident: evidence: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	ok := sum == ev.SHA256
	detail := "intact"
	if !ok {
		detail = "MISMATCH sha256=" + sum
	}
	return ok, e.custody(ctx, ev, "verify", who, detail)
}
