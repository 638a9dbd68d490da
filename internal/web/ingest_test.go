package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/bus/natsbus"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/ingest"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/sqlite"
)

// ingestSources is an in-memory ingest.Sources for the web tests.
type ingestSources struct{ srcs []store.Source }

func (f *ingestSources) GetSourceByTokenHash(_ context.Context, hash string) (*store.Source, error) {
	for _, s := range f.srcs {
		if s.TokenHash == hash && s.Kind == store.SourceHTTP && s.Enabled {
			return &s, nil
		}
	}
	return nil, store.ErrNotFound
}
func (f *ingestSources) ListAllSources(context.Context) ([]store.Source, error)       { return f.srcs, nil }
func (f *ingestSources) RecordSourceHealth(context.Context, store.SourceHealth) error { return nil }

// TestIngestTokenTenantIsolation: POST /api/v1/events is not an s.route
// (the cross-tenant walker does not see it), so this checks its isolation
// directly: a source token of tenant A writes only into tenant A's source,
// whatever tenant, source or id the body names, and user API tokens or
// session cookies are no source tokens.
func TestIngestTokenTenantIsolation(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := natsbus.OpenEmbedded(ctx, natsbus.Options{StoreDir: t.TempDir(), Streams: []bus.StreamConfig{{
		Name: bus.StreamEvents, Subjects: []string{bus.AllEvents}, Durables: []bus.DurableConfig{{Name: "t"}}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	secretA, secretB := "vt_source_a_secret", "vt_source_b_secret"
	srcs := &ingestSources{srcs: []store.Source{
		{ID: "src-a", TenantID: "tenant-a", Kind: store.SourceHTTP, Format: "json", Enabled: true, TokenHash: auth.HashToken(secretA),
			Config: `{"field_map":{"msg":"message","tenant_id":"labels.tenant"}}`},
		{ID: "src-b", TenantID: "tenant-b", Kind: store.SourceHTTP, Format: "json", Enabled: true, TokenHash: auth.HashToken(secretB),
			Config: `{"field_map":{"msg":"message"}}`},
	}}
	in, err := ingest.New(ingest.Options{Bus: b, Sources: srcs})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Store: st, Logger: slog.New(slog.DiscardHandler), Hasher: auth.TestHasher(), Ingest: in.HTTPHandler(ingest.HTTPOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range srv.Routes() {
		if rt.Pattern == "/api/v1/events" && rt.Method == http.MethodPost {
			t.Fatal("POST /api/v1/events registered as an s.route: the walker would test it with API tokens")
		}
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	// A real user API token of tenant B.
	tb := &store.Tenant{Slug: "tb", Name: "B", Kind: store.KindPort, Country: "IT", Locale: "it"}
	if err := st.CreateTenant(ctx, tb); err != nil {
		t.Fatal(err)
	}
	apiSecret, prefix, hash := auth.NewAPIToken()
	if err := st.CreateToken(ctx, &store.APIToken{TenantID: tb.ID, Name: "x", Role: store.RoleAdmin, Prefix: prefix, Hash: hash,
		CreatedBy: "test", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	post := func(token, body string) int {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/v1/events", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("content type %q", ct)
		}
		return res.StatusCode
	}
	spoof := `{"msg":"hello","tenant_id":"tenant-b","source_id":"src-b","id":"00000000-0000-7000-8000-000000000000"}`
	if got := post(secretA, spoof); got != http.StatusAccepted {
		t.Fatalf("source token A: status %d", got)
	}
	for name, tok := range map[string]string{"no token": "", "user API token": apiSecret, "unknown": "vt_nope"} {
		if got := post(tok, spoof); got != http.StatusUnauthorized {
			t.Fatalf("%s: status %d, want 401", name, got)
		}
	}

	var mu sync.Mutex
	var got []event.Event
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Consume(cctx, bus.StreamEvents, "t", nil, func(_ context.Context, batch []bus.Delivery) error {
			mu.Lock()
			defer mu.Unlock()
			for _, d := range batch {
				evs, err := ingest.DecodeMessage(nil, d.Data)
				if err != nil {
					return err
				}
				tenant, source, _ := bus.ParseEventSubject(d.Subject)
				for _, ev := range evs {
					if tenant != ev.TenantID || source != ev.SourceID {
						t.Errorf("subject %s carries %s/%s", d.Subject, ev.TenantID, ev.SourceID)
					}
					got = append(got, ev)
				}
			}
			return nil
		}, bus.ConsumeOptions{})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done
	if len(got) != 1 {
		t.Fatalf("%d events stored, want 1", len(got))
	}
	ev := got[0]
	if ev.TenantID != "tenant-a" || ev.SourceID != "src-a" || ev.ID == "00000000-0000-7000-8000-000000000000" {
		raw, _ := json.Marshal(ev)
		t.Fatalf("event not confined to the token's tenant and source: %s", raw)
	}
}
