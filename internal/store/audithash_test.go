package store_test

import (
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// The want hashes were computed independently (Python hashlib over the
// documented encoding), so a change of encoding fails here.
func TestAuditHashGolden(t *testing.T) {
	when := time.Date(2026, 11, 24, 12, 0, 0, 123456789, time.UTC)
	first := &store.AuditEntry{
		Seq: 1, Time: when, ActorID: "0190-user", ActorName: "Anna Rossi", TenantID: "t1",
		Action: "user.create", Object: "user:0190-x", Detail: `{"role":"admin"}`, IP: "192.0.2.7",
	}
	const want1 = "0c1bec3ac5b969f1712d3b349552c5d8502fea6e0d42f344fc7a91ebd1c0cee2"
	if got := store.AuditHash("", first); got != want1 {
		t.Errorf("first hash = %s, want %s", got, want1)
	}
	second := &store.AuditEntry{Seq: 2, Time: when.In(time.FixedZone("CET", 3600)), ActorID: "system", Action: "session.sweep"}
	const want2 = "b65c0c96d6873ec603e85bf45c0d2a2381dcee98289373ed8efa4168d6c801f1"
	if got := store.AuditHash(want1, second); got != want2 {
		t.Errorf("second hash = %s, want %s (the time zone must not matter)", got, want2)
	}
	// PrevHash and Hash fields are not inputs.
	second.PrevHash, second.Hash = "x", "y"
	if got := store.AuditHash(want1, second); got != want2 {
		t.Errorf("hash read e.PrevHash or e.Hash: %s", got)
	}
}

func TestAuditHashSensitivity(t *testing.T) {
	base := store.AuditEntry{
		Seq: 7, Time: time.Unix(0, 1795521600123456789), ActorID: "ab", ActorName: "c", TenantID: "t",
		Action: "a.b", Object: "o", Detail: "{}", IP: "::1",
	}
	tests := []struct {
		name   string
		prev   string
		change func(e *store.AuditEntry)
	}{
		{"prev hash", "00", func(*store.AuditEntry) {}},
		{"seq", "", func(e *store.AuditEntry) { e.Seq++ }},
		{"time by 1ns", "", func(e *store.AuditEntry) { e.Time = e.Time.Add(time.Nanosecond) }},
		{"actor id", "", func(e *store.AuditEntry) { e.ActorID = "ax" }},
		{"actor name", "", func(e *store.AuditEntry) { e.ActorName = "C" }},
		{"tenant", "", func(e *store.AuditEntry) { e.TenantID = "" }},
		{"action", "", func(e *store.AuditEntry) { e.Action = "a.c" }},
		{"object", "", func(e *store.AuditEntry) { e.Object = "o2" }},
		{"detail", "", func(e *store.AuditEntry) { e.Detail = `{"a":1}` }},
		{"ip", "", func(e *store.AuditEntry) { e.IP = "::2" }},
		// Moving bytes across a field boundary must change the hash:
		// without length prefixes "ab"+"c" and "a"+"bc" would collide.
		{"boundary shift", "", func(e *store.AuditEntry) { e.ActorID, e.ActorName = "a", "bc" }},
		{"boundary into prev", "a", func(e *store.AuditEntry) { e.ActorID = "b" }},
	}
	orig := store.AuditHash("", &base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base
			tt.change(&e)
			if got := store.AuditHash(tt.prev, &e); got == orig {
				t.Errorf("hash unchanged: %s", got)
			}
		})
	}
}

func BenchmarkAuditHash(b *testing.B) {
	e := &store.AuditEntry{
		Seq: 1, Time: time.Now(), ActorID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", ActorName: "Anna Rossi",
		TenantID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", Action: "user.create", Object: "user:0190",
		Detail: `{"role":"admin","username":"anna"}`, IP: "192.0.2.7",
	}
	b.ReportAllocs()
	for b.Loop() {
		store.AuditHash("0c1bec3ac5b969f1712d3b349552c5d8502fea6e0d42f344fc7a91ebd1c0cee2", e)
	}
}
