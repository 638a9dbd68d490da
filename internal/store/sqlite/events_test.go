package sqlite_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/store/storetest"
)

func BenchmarkInsertEvents(b *testing.B) {
	storetest.BenchInsertEvents(b, openAt(b, filepath.Join(b.TempDir(), "vedetta.db")), 500)
}

// BenchmarkInsertEventsBatch compares transaction sizes: the event writer
// keeps its transactions short so that alert writes are not held up.
func BenchmarkInsertEventsBatch(b *testing.B) {
	for _, n := range []int{250, 1000, 4000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			storetest.BenchInsertEvents(b, openAt(b, filepath.Join(b.TempDir(), "vedetta.db")), n)
		})
	}
}

// BenchmarkSearchEvents loads $VEDETTA_BENCH_EVENTS events first.
func BenchmarkSearchEvents(b *testing.B) {
	storetest.BenchSearchEvents(b, openAt(b, filepath.Join(b.TempDir(), "vedetta.db")), nil)
}

// TestRetentionLeavesNoIndexRows checks that the events_delete trigger
// finds every field row and full-text entry of a deleted event again,
// lists and numbers included.
func TestRetentionLeavesNoIndexRows(t *testing.T) {
	s, path := migrated(t)
	n := storetest.LoadIndexedEvents(t, s)
	db := rawDB(t, path)
	var fields, docs int
	if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM event_fields), (SELECT COUNT(*) FROM events_fts_docsize)`).Scan(&fields, &docs); err != nil {
		t.Fatal(err)
	}
	if fields == 0 || docs != n {
		t.Fatalf("before: %d field rows, %d text entries for %d events", fields, docs, n)
	}
	storetest.DeleteAllEvents(t, s)
	if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM event_fields), (SELECT COUNT(*) FROM events_fts_docsize)`).Scan(&fields, &docs); err != nil {
		t.Fatal(err)
	}
	if fields != 0 || docs != 0 {
		t.Errorf("after deleting every event: %d field rows and %d text entries left", fields, docs)
	}
}

// TestTextSearchBothPlans checks that a text search returns the same
// events whether the word is rare (driven from the text index) or common
// (checked while walking the time index): more than 5000 matches.
func TestTextSearchBothPlans(t *testing.T) {
	if raceEnabled {
		t.Skip("5000 inserts take 20 s under the race detector; nothing here is concurrent")
	}
	s, _ := migrated(t)
	ctx := t.Context()
	tn := &store.Tenant{Slug: "plans", Name: "Plans", Kind: store.KindMunicipality}
	if err := s.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	var evs []event.Event
	for i := range 5100 {
		raw := "common line"
		if i%1000 == 0 {
			raw = "common rare line"
		}
		evs = append(evs, event.Event{ID: uuid.Must(uuid.NewV7()).String(), TenantID: tn.ID, SourceID: "s",
			Observed: base.Add(time.Duration(i%977) * time.Second), Category: "system", Raw: raw})
	}
	if _, err := s.InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text string
		want int
	}{{"rare", 6}, {"common", 5100}, {"common rare", 6}} {
		var got []event.Event
		q := store.EventQuery{Text: tt.text, Limit: store.MaxEventLimit}
		for {
			page, err := s.SearchEvents(ctx, tn.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page...)
			if len(page) < q.Limit {
				break
			}
			q.Before = page[len(page)-1].ID
		}
		if len(got) != tt.want {
			t.Errorf("%q: %d events, want %d", tt.text, len(got), tt.want)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Observed.After(got[i-1].Observed) {
				t.Errorf("%q: not newest first at %d", tt.text, i)
				break
			}
		}
	}
}
