package app

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/config"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// TestEventsReachTheStore is the ingestion path end to end: NDJSON posted
// to the HTTP receiver with a source's token goes through the embedded bus
// and the event writer into the store, where a search finds it.
func TestEventsReachTheStore(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h := auth.TestHasher()
	ctx := context.Background()
	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), Options{Hasher: &h})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tn := &store.Tenant{Slug: "lerici", Name: "Lerici", Kind: store.KindMunicipality}
	if err := a.Store.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	secret := "vsp_pipeline-test-token-0123456789abcdefghijkl"
	src := &store.Source{TenantID: tn.ID, Name: "doors", Kind: store.SourceHTTP, Format: "json",
		Config:      `{"field_map":{"msg":"message","who":"user.name"},"category":"physical"}`,
		TokenPrefix: secret[:12], TokenHash: auth.HashToken(secret), Enabled: true, KeepRaw: true}
	if err := a.Store.CreateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.Handler())
	defer ts.Close()
	body := `{"msg":"badge 1234 opened door north","who":"mrossi"}` + "\n" +
		`{"msg":"badge 9876 refused at door north","who":"gverdi"}` + "\n"
	req := httptest.NewRequest("POST", ts.URL+"/api/v1/events", strings.NewReader(body))
	req.RequestURI = ""
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("POST /api/v1/events: %d %s", resp.StatusCode, answer)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		evs, err := a.Store.SearchEvents(ctx, tn.ID, store.EventQuery{Text: "door north", Fields: map[string]string{"user.name": "gverdi"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 1 {
			if evs[0].SourceID != src.ID || evs[0].TenantID != tn.ID {
				t.Errorf("stored event %+v", evs[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events found after 30 s, want 1", len(evs))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
