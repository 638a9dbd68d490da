package postgres_test

import (
	"database/sql"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/store/storetest"
)

func BenchmarkInsertEvents(b *testing.B) {
	storetest.BenchInsertEvents(b, openAt(b, freshDB(b)), 500)
}

// BenchmarkSearchEvents loads $VEDETTA_BENCH_EVENTS events first, then
// analyzes the tables as autovacuum would soon after such a load.
func BenchmarkSearchEvents(b *testing.B) {
	dsn := freshDB(b)
	storetest.BenchSearchEvents(b, openAt(b, dsn), func(b *testing.B) {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(b.Context(), `ANALYZE events; ANALYZE event_fields`); err != nil {
			b.Fatal(err)
		}
	})
}

// TestRetentionLeavesNoIndexRows checks that the events_delete trigger
// finds every field row of a deleted event again, lists and numbers
// included.
func TestRetentionLeavesNoIndexRows(t *testing.T) {
	s, dsn := migrated(t)
	storetest.LoadIndexedEvents(t, s)
	db := rawDB(t, dsn)
	var fields int
	if err := db.QueryRow(`SELECT COUNT(*) FROM event_fields`).Scan(&fields); err != nil || fields == 0 {
		t.Fatalf("before: %d field rows, %v", fields, err)
	}
	storetest.DeleteAllEvents(t, s)
	if err := db.QueryRow(`SELECT COUNT(*) FROM event_fields`).Scan(&fields); err != nil || fields != 0 {
		t.Errorf("after deleting every event: %d field rows left, %v", fields, err)
	}
}
