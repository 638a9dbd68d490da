package storetest

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// eventTests are the event-store and source-store subtests run by Run.
var eventTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"EventsInsert", testEventsInsert},
	{"EventsInvalid", testEventsInvalid},
	{"EventsSearch", testEventsSearch},
	{"EventsPaging", testEventsPaging},
	{"EventsRetention", testEventsRetention},
	{"EventsCascade", testEventsCascade},
	{"Sources", testSources},
	{"SourceScope", testSourceScope},
	{"SourceHealth", testSourceHealth},
	{"Retention", testRetention},
}

// base is a fixed observation time for the event tests.
var base = time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)

// newEvent builds an event as the pipeline delivers it: fields round-trip
// through JSON (numbers float64, lists []any).
func newEvent(t *testing.T, tenantID, sourceID, category string, at time.Time, raw string, fields map[string]any) event.Event {
	t.Helper()
	id, err := uuid.NewV7()
	must(t, "uuid", err)
	b, err := json.Marshal(fields)
	must(t, "marshal", err)
	var f map[string]any
	must(t, "unmarshal", json.Unmarshal(b, &f))
	return event.Event{ID: id.String(), TenantID: tenantID, SourceID: sourceID, Observed: ms(at),
		Received: ms(at.Add(time.Second)), Category: category, Fields: f, Raw: raw}
}

func insert(t *testing.T, s store.Store, evs ...event.Event) int {
	t.Helper()
	n, err := s.InsertEvents(t.Context(), evs)
	must(t, "InsertEvents", err)
	return n
}

func ids(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func testEventsInsert(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "ev-a", store.KindMunicipality)
	b := newTenant(t, s, "ev-b", store.KindPort)
	var evs []event.Event
	// More than one INSERT chunk, to cross the statement boundary.
	for i := range 1203 {
		evs = append(evs, newEvent(t, a.ID, "fw", event.CategoryNetwork, base.Add(time.Duration(i)*time.Second),
			fmt.Sprintf("deny tcp 10.0.0.%d -> 192.0.2.1:443", i%250),
			map[string]any{"source.ip": fmt.Sprintf("10.0.0.%d", i%250), "destination.port": 443, "message": "deny"}))
	}
	if n := insert(t, s, evs...); n != len(evs) {
		t.Errorf("first insert: %d new, want %d", n, len(evs))
	}
	if n := insert(t, s, evs...); n != 0 {
		t.Errorf("redelivered batch: %d new, want 0", n)
	}
	extra := newEvent(t, a.ID, "fw", event.CategoryNetwork, base, "x", nil)
	if n := insert(t, s, evs[5], extra, evs[7], extra); n != 1 {
		t.Errorf("overlapping batch with a duplicate inside: %d new, want 1", n)
	}
	if n, err := s.InsertEvents(ctx, nil); n != 0 || err != nil {
		t.Errorf("InsertEvents(nil) = %d, %v", n, err)
	}

	got, err := s.GetEvent(ctx, a.ID, evs[42].ID)
	must(t, "GetEvent", err)
	if diff := cmp.Diff(&evs[42], got); diff != "" {
		t.Errorf("GetEvent (-want +got):\n%s", diff)
	}
	got, err = s.GetEvent(ctx, a.ID, extra.ID)
	must(t, "GetEvent without fields", err)
	if len(got.Fields) != 0 || got.Raw != "x" {
		t.Errorf("event without fields came back as %+v", got)
	}
	_, err = s.GetEvent(ctx, b.ID, evs[42].ID)
	wantErr(t, "GetEvent from another tenant", err, store.ErrNotFound)
	_, err = s.GetEvent(ctx, a.ID, "missing")
	wantErr(t, "GetEvent of a missing id", err, store.ErrNotFound)

	// An id is global: another tenant cannot overwrite or shadow it.
	clash := evs[0]
	clash.TenantID, clash.Raw = b.ID, "spoof"
	if n := insert(t, s, clash); n != 0 {
		t.Errorf("event id of tenant A inserted for tenant B: %d new", n)
	}
	got, err = s.GetEvent(ctx, a.ID, evs[0].ID)
	must(t, "GetEvent", err)
	if got.Raw != evs[0].Raw {
		t.Errorf("tenant A's event overwritten: raw %q", got.Raw)
	}
	if res, err := s.SearchEvents(ctx, b.ID, store.EventQuery{}); err != nil || len(res) != 0 {
		t.Errorf("tenant B sees %d events, %v", len(res), err)
	}

	// A batch with an unknown tenant fails as a whole.
	good := newEvent(t, a.ID, "fw", event.CategorySystem, base, "good", nil)
	bad := newEvent(t, "no-such-tenant", "fw", event.CategorySystem, base, "bad", nil)
	_, err = s.InsertEvents(ctx, []event.Event{good, bad})
	wantErr(t, "InsertEvents with an unknown tenant", err, store.ErrNotFound)
	_, err = s.GetEvent(ctx, a.ID, good.ID)
	wantErr(t, "event of a failed batch", err, store.ErrNotFound)
}

func testEventsInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "inv", store.KindMunicipality)
	ok := newEvent(t, a.ID, "src", event.CategorySystem, base, "fine", nil)
	tests := []struct {
		name string
		mod  func(e *event.Event)
	}{
		{"no id", func(e *event.Event) { e.ID = "" }},
		{"no tenant", func(e *event.Event) { e.TenantID = "" }},
		{"raw not UTF-8", func(e *event.Event) { e.Raw = "bad \xff byte" }},
		{"raw with NUL", func(e *event.Event) { e.Raw = "nul \x00 byte" }},
		{"source with NUL", func(e *event.Event) { e.SourceID = "s\x00" }},
		{"unencodable field", func(e *event.Event) { e.Fields = map[string]any{"x": make(chan int)} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEvent(t, a.ID, "src", event.CategorySystem, base, "r", nil)
			tt.mod(&e)
			n, err := s.InsertEvents(ctx, []event.Event{ok, e})
			if n != 0 {
				t.Errorf("n = %d", n)
			}
			wantErr(t, "InsertEvents", err, store.ErrInvalid)
		})
	}
	if _, err := s.GetEvent(ctx, a.ID, ok.ID); err == nil {
		t.Errorf("the valid event of a refused batch was stored")
	}
	// Text that is not UTF-8 inside fields is made valid, not refused.
	e := newEvent(t, a.ID, "src", event.CategorySystem, base, "r", nil)
	e.Fields = map[string]any{"message": "caf\xe9"}
	insert(t, s, e)
	_, err := s.SearchEvents(ctx, a.ID, store.EventQuery{Text: "bad \xff"})
	wantErr(t, "SearchEvents with invalid UTF-8", err, store.ErrInvalid)
	_, err = s.SearchEvents(ctx, a.ID, store.EventQuery{Fields: map[string]string{"": "x"}})
	wantErr(t, "SearchEvents with an empty field name", err, store.ErrInvalid)
}

func testEventsSearch(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "srch-a", store.KindMunicipality)
	b := newTenant(t, s, "srch-b", store.KindPort)
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }
	evA := []event.Event{
		0: newEvent(t, a.ID, "fw", event.CategoryNetwork, at(0), "DENY tcp from 198.51.100.7 port 22",
			map[string]any{"source.ip": "198.51.100.7", "event.action": "deny", "source.port": 22, "message": "Firewall blocked SSH"}),
		1: newEvent(t, a.ID, "fw", event.CategoryNetwork, at(1), "ALLOW tcp from 198.51.100.8",
			map[string]any{"source.ip": "198.51.100.8", "event.action": "allow", "custom.zone": "dmz"}),
		2: newEvent(t, a.ID, "web", event.CategoryWeb, at(2), `198.51.100.7 - - "GET /login HTTP/1.1" 401`,
			map[string]any{"source.ip": "198.51.100.7", "url.path": "/login", "http.response.status_code": 401}),
		3: newEvent(t, a.ID, "ad", event.CategorySecurity, at(3), "",
			map[string]any{"user.name": "mrossi", "event.outcome": "failure", "host.ip": []string{"192.0.2.10", "192.0.2.11"},
				"message": "Logon failure for user mrossi", "tags": []string{"brute", "ssh"}, "event.success": false}),
		4: newEvent(t, a.ID, "ad", event.CategorySecurity, at(4), "logon success mrossi workstation",
			map[string]any{"user.name": "mrossi", "event.outcome": "success"}),
	}
	insert(t, s, evA...)
	// Tenant B has look-alikes of everything; none may leak into A's results.
	var evB []event.Event
	for _, e := range evA {
		c := newEvent(t, b.ID, e.SourceID, e.Category, e.Observed, e.Raw, e.Fields)
		evB = append(evB, c)
	}
	insert(t, s, evB...)

	tests := []struct {
		name string
		q    store.EventQuery
		want []int // indexes into evA, newest first
	}{
		{"all", store.EventQuery{}, []int{4, 3, 2, 1, 0}},
		{"limit", store.EventQuery{Limit: 2}, []int{4, 3}},
		{"since", store.EventQuery{Since: at(2)}, []int{4, 3, 2}},
		{"until", store.EventQuery{Until: at(2)}, []int{1, 0}},
		{"since and until", store.EventQuery{Since: at(1), Until: at(3)}, []int{2, 1}},
		{"source", store.EventQuery{SourceIDs: []string{"fw"}}, []int{1, 0}},
		{"two sources", store.EventQuery{SourceIDs: []string{"web", "ad"}}, []int{4, 3, 2}},
		{"category", store.EventQuery{Categories: []string{event.CategorySecurity}}, []int{4, 3}},
		{"indexed field", store.EventQuery{Fields: map[string]string{"source.ip": "198.51.100.7"}}, []int{2, 0}},
		{"indexed field and time", store.EventQuery{Fields: map[string]string{"source.ip": "198.51.100.7"}, Since: at(1)}, []int{2}},
		{"two indexed fields", store.EventQuery{Fields: map[string]string{"user.name": "mrossi", "event.outcome": "failure"}}, []int{3}},
		{"indexed list element", store.EventQuery{Fields: map[string]string{"host.ip": "192.0.2.11"}}, []int{3}},
		{"indexed number", store.EventQuery{Fields: map[string]string{"http.response.status_code": "401"}}, []int{2}},
		{"field and source", store.EventQuery{Fields: map[string]string{"source.ip": "198.51.100.7"}, SourceIDs: []string{"web"}}, []int{2}},
		{"field no match", store.EventQuery{Fields: map[string]string{"source.ip": "198.51.100.9"}}, nil},
		{"field is case-sensitive", store.EventQuery{Fields: map[string]string{"user.name": "MRossi"}}, nil},
		{"other field", store.EventQuery{Fields: map[string]string{"custom.zone": "dmz"}}, []int{1}},
		{"other field number", store.EventQuery{Fields: map[string]string{"source.port": "22"}}, []int{0}},
		{"other field list", store.EventQuery{Fields: map[string]string{"tags": "ssh"}}, []int{3}},
		{"other field bool", store.EventQuery{Fields: map[string]string{"event.success": "false"}}, []int{3}},
		{"other and indexed field", store.EventQuery{Fields: map[string]string{"url.path": "/login", "source.ip": "198.51.100.7"}}, []int{2}},
		{"missing field", store.EventQuery{Fields: map[string]string{"nope": "x"}}, nil},
		{"text in raw", store.EventQuery{Text: "deny"}, []int{0}},
		{"text in message only", store.EventQuery{Text: "firewall"}, []int{0}},
		{"text in message without raw", store.EventQuery{Text: "LOGON failure"}, []int{3}},
		{"text every word", store.EventQuery{Text: "logon mrossi"}, []int{4, 3}},
		{"text every word must occur", store.EventQuery{Text: "logon ssh"}, nil},
		{"text and category", store.EventQuery{Text: "tcp", Categories: []string{event.CategoryNetwork}}, []int{1, 0}},
		{"text and field", store.EventQuery{Text: "mrossi", Fields: map[string]string{"event.outcome": "success"}}, []int{4}},
		{"text and token field", store.EventQuery{Text: "tcp", Fields: map[string]string{"source.ip": "198.51.100.7"}}, []int{0}},
		{"token and B-tree field", store.EventQuery{Fields: map[string]string{"source.ip": "198.51.100.7", "event.action": "deny"}}, []int{0}},
		{"token field list and other", store.EventQuery{Fields: map[string]string{"host.ip": "192.0.2.10", "user.name": "mrossi", "tags": "brute"}}, []int{3}},
		{"token field and text miss", store.EventQuery{Text: "allow", Fields: map[string]string{"source.ip": "198.51.100.7"}}, nil},
		{"text punctuation only", store.EventQuery{Text: `" -- *`}, []int{4, 3, 2, 1, 0}},
		{"text with quotes", store.EventQuery{Text: `"login`}, []int{2}},
		{"text no match", store.EventQuery{Text: "zzzunseen"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SearchEvents(ctx, a.ID, tt.q)
			must(t, "SearchEvents", err)
			var want []string
			for _, i := range tt.want {
				want = append(want, evA[i].ID)
			}
			if diff := cmp.Diff(want, ids(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// The same query for tenant B finds B's copies only.
			gotB, err := s.SearchEvents(ctx, b.ID, tt.q)
			must(t, "SearchEvents B", err)
			for _, e := range gotB {
				if e.TenantID != b.ID {
					t.Errorf("tenant B's search returned %s of tenant %s", e.ID, e.TenantID)
				}
			}
			if len(gotB) != len(want) {
				t.Errorf("tenant B: %d results, want %d", len(gotB), len(want))
			}
		})
	}
	got, err := s.SearchEvents(ctx, a.ID, store.EventQuery{Fields: map[string]string{"source.ip": "198.51.100.7"}})
	must(t, "SearchEvents", err)
	if len(got) == 2 {
		if diff := cmp.Diff(evA[2], got[0]); diff != "" {
			t.Errorf("searched event differs from inserted (-want +got):\n%s", diff)
		}
	}
}

func testEventsPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "page-a", store.KindMunicipality)
	b := newTenant(t, s, "page-b", store.KindPort)
	var evs []event.Event
	for i := range 23 {
		// Groups of three share an observation time, so paging must
		// break ties by id.
		evs = append(evs, newEvent(t, a.ID, "s", event.CategorySystem, base.Add(time.Duration(i/3)*time.Second),
			"line common", map[string]any{"event.action": "tick"}))
	}
	insert(t, s, evs...)
	other := newEvent(t, b.ID, "s", event.CategorySystem, base, "line common", nil)
	insert(t, s, other)
	want := append([]event.Event(nil), evs...)
	sort.Slice(want, func(i, j int) bool {
		if !want[i].Observed.Equal(want[j].Observed) {
			return want[i].Observed.After(want[j].Observed)
		}
		return want[i].ID > want[j].ID
	})
	for _, q := range []store.EventQuery{{}, {Text: "common"}, {Fields: map[string]string{"event.action": "tick"}}} {
		var got []string
		q.Limit = 5
		for range 10 {
			page, err := s.SearchEvents(ctx, a.ID, q)
			must(t, "SearchEvents", err)
			got = append(got, ids(page)...)
			if len(page) < q.Limit {
				break
			}
			q.Before = page[len(page)-1].ID
		}
		if diff := cmp.Diff(ids(want), got); diff != "" {
			t.Errorf("paging %+v (-want +got):\n%s", q, diff)
		}
	}
	_, err := s.SearchEvents(ctx, a.ID, store.EventQuery{Before: other.ID})
	wantErr(t, "cursor of another tenant's event", err, store.ErrNotFound)
	page, err := s.SearchEvents(ctx, a.ID, store.EventQuery{Limit: 5000})
	must(t, "SearchEvents", err)
	if len(page) != len(evs) {
		t.Errorf("large limit: %d events, want %d", len(page), len(evs))
	}
}

func testEventsRetention(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "ret-a", store.KindMunicipality)
	b := newTenant(t, s, "ret-b", store.KindPort)
	var old, recent, otherCat, otherTenant []event.Event
	for i := range 7 {
		old = append(old, newEvent(t, a.ID, "s", event.CategoryCamera, base.Add(time.Duration(i)*time.Minute),
			"plate AB123CD seen", map[string]any{"vehicle.plate": "AB123CD"}))
		otherCat = append(otherCat, newEvent(t, a.ID, "s", event.CategorySecurity, base.Add(time.Duration(i)*time.Minute),
			"plate AB123CD login", map[string]any{"vehicle.plate": "AB123CD"}))
		otherTenant = append(otherTenant, newEvent(t, b.ID, "s", event.CategoryCamera, base.Add(time.Duration(i)*time.Minute),
			"plate AB123CD seen", map[string]any{"vehicle.plate": "AB123CD"}))
	}
	recent = append(recent, newEvent(t, a.ID, "s", event.CategoryCamera, base.Add(time.Hour), "plate AB123CD seen",
		map[string]any{"vehicle.plate": "AB123CD"}))
	insert(t, s, old...)
	insert(t, s, otherCat...)
	insert(t, s, otherTenant...)
	insert(t, s, recent...)
	cut := base.Add(30 * time.Minute)

	n, err := s.DeleteEventsBefore(ctx, a.ID, event.CategoryCamera, cut, 3)
	must(t, "DeleteEventsBefore", err)
	if n != 3 {
		t.Errorf("first chunk deleted %d, want 3", n)
	}
	// The oldest go first.
	for _, e := range old[:3] {
		if _, err := s.GetEvent(ctx, a.ID, e.ID); err == nil {
			t.Errorf("event at %v survived the first chunk", e.Observed)
		}
	}
	n, err = s.DeleteEventsBefore(ctx, a.ID, event.CategoryCamera, cut, 0)
	must(t, "DeleteEventsBefore", err)
	if n != 4 {
		t.Errorf("second chunk deleted %d, want 4", n)
	}
	n, err = s.DeleteEventsBefore(ctx, a.ID, event.CategoryCamera, cut, 100)
	if n != 0 || err != nil {
		t.Errorf("third chunk = %d, %v; want 0", n, err)
	}
	check := func(tenant string, q store.EventQuery, want []event.Event) {
		t.Helper()
		got, err := s.SearchEvents(ctx, tenant, q)
		must(t, "SearchEvents", err)
		sort.Slice(want, func(i, j int) bool { return want[i].Observed.After(want[j].Observed) })
		if diff := cmp.Diff(ids(want), ids(got), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("after retention, %+v (-want +got):\n%s", q, diff)
		}
	}
	cam := []string{event.CategoryCamera}
	check(a.ID, store.EventQuery{Categories: cam}, recent)
	// The index entries went with the events.
	check(a.ID, store.EventQuery{Categories: cam, Text: "AB123CD"}, recent)
	check(a.ID, store.EventQuery{Categories: cam, Fields: map[string]string{"vehicle.plate": "AB123CD"}}, recent)
	check(a.ID, store.EventQuery{Categories: []string{event.CategorySecurity}, Text: "ab123cd"}, otherCat)
	check(b.ID, store.EventQuery{Fields: map[string]string{"vehicle.plate": "AB123CD"}}, otherTenant)
	// A deleted event redelivered by the bus is stored again.
	if n := insert(t, s, old[0]); n != 1 {
		t.Errorf("re-insert after delete: %d new, want 1", n)
	}
	check(a.ID, store.EventQuery{Categories: cam, Text: "seen"}, []event.Event{recent[0], old[0]})
}

func testEventsCascade(t *testing.T, s store.Store) {
	ctx := t.Context()
	gone := newTenant(t, s, "ev-gone", store.KindMunicipality)
	kept := newTenant(t, s, "ev-kept", store.KindMunicipality)
	e := newEvent(t, gone.ID, "s", event.CategorySystem, base, "bye", map[string]any{"host.name": "h"})
	k := newEvent(t, kept.ID, "s", event.CategorySystem, base, "stay", map[string]any{"host.name": "h"})
	insert(t, s, e, k)
	src := &store.Source{TenantID: gone.ID, Name: "fw", Kind: store.SourceSyslogUDP, Enabled: true}
	must(t, "CreateSource", s.CreateSource(ctx, src))
	must(t, "SetRetention", s.SetRetention(ctx, store.Retention{TenantID: gone.ID, Category: "web", Days: 5}))
	must(t, "DeleteTenant", s.DeleteTenant(ctx, gone.ID))
	_, err := s.GetEvent(ctx, gone.ID, e.ID)
	wantErr(t, "event of a deleted tenant", err, store.ErrNotFound)
	if all, err := s.ListAllSources(ctx); err != nil || len(all) != 0 {
		t.Errorf("sources after DeleteTenant: %v, %v", all, err)
	}
	// The same id can come back (e.g. a restored backup) without clashing
	// with leftover index rows.
	e.TenantID = kept.ID
	if n := insert(t, s, e); n != 1 {
		t.Errorf("re-insert: %d new", n)
	}
	got, err := s.SearchEvents(ctx, kept.ID, store.EventQuery{Fields: map[string]string{"host.name": "h"}})
	must(t, "SearchEvents", err)
	if len(got) != 2 {
		t.Errorf("field search after cascade: %d events, want 2", len(got))
	}
}

func testSources(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "src-a", store.KindMunicipality)
	b := newTenant(t, s, "src-b", store.KindPort)
	fw := &store.Source{TenantID: a.ID, Name: "Firewall", Kind: store.SourceSyslogUDP, Format: "cef", Match: "192.0.2.1",
		KeepRaw: true, ExpectedInterval: 10 * time.Minute, RateLimit: 500, Enabled: true}
	must(t, "CreateSource", s.CreateSource(ctx, fw))
	checkV7(t, fw.ID)
	checkRecent(t, "CreatedAt", fw.CreatedAt)
	if fw.Config != "{}" {
		t.Errorf("empty config stored as %q, want {}", fw.Config)
	}
	hook := &store.Source{TenantID: a.ID, Name: "Access control", Kind: store.SourceHTTP, Format: "json",
		Config: `{"map":{"ts":"@timestamp"}}`, TokenPrefix: "vsp_abcd", TokenHash: "hash-a", Enabled: true}
	must(t, "CreateSource", s.CreateSource(ctx, hook))
	got, err := s.GetSource(ctx, a.ID, fw.ID)
	must(t, "GetSource", err)
	if diff := cmp.Diff(fw, got); diff != "" {
		t.Errorf("GetSource (-want +got):\n%s", diff)
	}
	list, err := s.ListSources(ctx, a.ID)
	must(t, "ListSources", err)
	if diff := cmp.Diff([]store.Source{*hook, *fw}, list); diff != "" {
		t.Errorf("ListSources by name (-want +got):\n%s", diff)
	}
	byTok, err := s.GetSourceByTokenHash(ctx, "hash-a")
	must(t, "GetSourceByTokenHash", err)
	if byTok.ID != hook.ID {
		t.Errorf("GetSourceByTokenHash = %s, want %s", byTok.ID, hook.ID)
	}
	_, err = s.GetSourceByTokenHash(ctx, "")
	wantErr(t, "GetSourceByTokenHash(\"\")", err, store.ErrNotFound)

	// Conflicts: name within a tenant, token hash globally.
	err = s.CreateSource(ctx, &store.Source{TenantID: a.ID, Name: "Firewall", Kind: store.SourceSyslogTCP})
	wantErr(t, "duplicate name", err, store.ErrConflict)
	must(t, "same name in another tenant", s.CreateSource(ctx, &store.Source{TenantID: b.ID, Name: "Firewall", Kind: store.SourceSyslogTCP}))
	err = s.CreateSource(ctx, &store.Source{TenantID: b.ID, Name: "Hook", Kind: store.SourceHTTP, TokenHash: "hash-a"})
	wantErr(t, "duplicate token hash", err, store.ErrConflict)
	err = s.CreateSource(ctx, &store.Source{TenantID: "nope", Name: "x", Kind: store.SourceFile})
	wantErr(t, "unknown tenant", err, store.ErrNotFound)
	for _, bad := range []store.Source{
		{TenantID: a.ID, Name: "", Kind: store.SourceFile},
		{TenantID: a.ID, Name: "k", Kind: "carrier-pigeon"},
		{TenantID: "", Name: "k", Kind: store.SourceFile},
		{TenantID: a.ID, Name: "k", Kind: store.SourceFile, Config: "[1]"},
		{TenantID: a.ID, Name: "k", Kind: store.SourceFile, Config: "{"},
		{TenantID: a.ID, Name: "k", Kind: store.SourceFile, ExpectedInterval: -time.Second},
		{TenantID: a.ID, Name: "k\x00", Kind: store.SourceFile},
	} {
		err := s.CreateSource(ctx, &bad)
		wantErr(t, fmt.Sprintf("CreateSource(%+v)", bad), err, store.ErrInvalid)
	}

	// Disabled or non-HTTP sources are not found by token.
	hook.Enabled = false
	must(t, "UpdateSource", s.UpdateSource(ctx, hook))
	_, err = s.GetSourceByTokenHash(ctx, "hash-a")
	wantErr(t, "token of a disabled source", err, store.ErrNotFound)
	hook.Enabled, hook.Kind = true, store.SourceMQTT
	must(t, "UpdateSource", s.UpdateSource(ctx, hook))
	_, err = s.GetSourceByTokenHash(ctx, "hash-a")
	wantErr(t, "token of a non-HTTP source", err, store.ErrNotFound)

	fw.Name, fw.Format, fw.Match, fw.KeepRaw, fw.Enabled = "Perimeter firewall", "syslog", "192.0.2.0/24", false, false
	fw.ExpectedInterval, fw.RateLimit, fw.Config = time.Hour, 0, `{"tz":"Europe/Rome"}`
	must(t, "UpdateSource", s.UpdateSource(ctx, fw))
	got, err = s.GetSource(ctx, a.ID, fw.ID)
	must(t, "GetSource", err)
	if diff := cmp.Diff(fw, got); diff != "" {
		t.Errorf("after UpdateSource (-want +got):\n%s", diff)
	}
	err = s.UpdateSource(ctx, &store.Source{ID: fw.ID, TenantID: a.ID, Name: "Access control", Kind: store.SourceFile})
	wantErr(t, "rename onto a taken name", err, store.ErrConflict)

	all, err := s.ListAllSources(ctx)
	must(t, "ListAllSources", err)
	if len(all) != 3 {
		t.Errorf("ListAllSources: %d sources, want 3", len(all))
	}
	must(t, "DeleteSource", s.DeleteSource(ctx, a.ID, fw.ID))
	_, err = s.GetSource(ctx, a.ID, fw.ID)
	wantErr(t, "GetSource after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteSource twice", s.DeleteSource(ctx, a.ID, fw.ID), store.ErrNotFound)
}

func testSourceScope(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "scope-a", store.KindMunicipality)
	b := newTenant(t, s, "scope-b", store.KindPort)
	src := &store.Source{TenantID: a.ID, Name: "fw", Kind: store.SourceSyslogUDP, Enabled: true}
	must(t, "CreateSource", s.CreateSource(ctx, src))
	_, err := s.GetSource(ctx, b.ID, src.ID)
	wantErr(t, "GetSource from another tenant", err, store.ErrNotFound)
	steal := *src
	steal.TenantID, steal.Name = b.ID, "stolen"
	wantErr(t, "UpdateSource from another tenant", s.UpdateSource(ctx, &steal), store.ErrNotFound)
	wantErr(t, "DeleteSource from another tenant", s.DeleteSource(ctx, b.ID, src.ID), store.ErrNotFound)
	got, err := s.GetSource(ctx, a.ID, src.ID)
	must(t, "GetSource", err)
	if got.Name != "fw" || got.TenantID != a.ID {
		t.Errorf("source changed by another tenant: %+v", got)
	}
	if l, err := s.ListSources(ctx, b.ID); err != nil || len(l) != 0 {
		t.Errorf("ListSources(B) = %v, %v", l, err)
	}
	must(t, "RecordSourceHealth", s.RecordSourceHealth(ctx, store.SourceHealth{SourceID: src.ID, Events: 3}))
	if h, err := s.ListSourceHealth(ctx, b.ID); err != nil || len(h) != 0 {
		t.Errorf("ListSourceHealth(B) = %v, %v", h, err)
	}
}

func testSourceHealth(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "health", store.KindMunicipality)
	src := &store.Source{TenantID: a.ID, Name: "fw", Kind: store.SourceSyslogUDP, Enabled: true}
	must(t, "CreateSource", s.CreateSource(ctx, src))
	other := &store.Source{TenantID: a.ID, Name: "cam", Kind: store.SourceMQTT, Enabled: true}
	must(t, "CreateSource", s.CreateSource(ctx, other))
	t0 := time.Date(2026, 3, 10, 8, 0, 30, 0, time.UTC)
	rec := func(h store.SourceHealth) {
		t.Helper()
		must(t, "RecordSourceHealth", s.RecordSourceHealth(ctx, h))
	}
	rec(store.SourceHealth{SourceID: src.ID, LastEvent: t0, Events: 10, UpdatedAt: t0})
	rec(store.SourceHealth{SourceID: src.ID, LastEvent: t0.Add(-time.Hour), Events: 5, Errors: 2, LastError: "bad PRI", UpdatedAt: t0.Add(10 * time.Second)})
	rec(store.SourceHealth{SourceID: src.ID, Events: 20, UpdatedAt: t0.Add(40 * time.Second)}) // next minute
	rec(store.SourceHealth{SourceID: other.ID, Errors: 1, LastError: "refused", UpdatedAt: t0})
	got, err := s.ListSourceHealth(ctx, a.ID)
	must(t, "ListSourceHealth", err)
	want := map[string]store.SourceHealth{
		src.ID: {SourceID: src.ID, TenantID: a.ID, LastEvent: t0, Events: 35, Errors: 2, LastError: "bad PRI",
			UpdatedAt: t0.Add(40 * time.Second), WindowStart: time.Date(2026, 3, 10, 8, 1, 0, 0, time.UTC), WindowEvents: 20, PrevEvents: 15},
		other.ID: {SourceID: other.ID, TenantID: a.ID, Errors: 1, LastError: "refused", UpdatedAt: t0,
			WindowStart: time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)},
	}
	if len(got) != 2 {
		t.Fatalf("ListSourceHealth: %d entries, want 2", len(got))
	}
	for _, h := range got {
		if diff := cmp.Diff(want[h.SourceID], h); diff != "" {
			t.Errorf("health of %s (-want +got):\n%s", h.SourceID, diff)
		}
	}
	// Rate at 08:01:30: 35 events over the 90 s since 08:00.
	if r := got[0].Rate(t0.Add(time.Minute)); got[0].SourceID == src.ID && (r < 0.38 || r > 0.39) {
		t.Errorf("Rate = %v, want 35/90", r)
	}
	// A gap of more than a minute resets the previous window.
	rec(store.SourceHealth{SourceID: src.ID, Events: 1, UpdatedAt: t0.Add(5 * time.Minute)})
	got, err = s.ListSourceHealth(ctx, a.ID)
	must(t, "ListSourceHealth", err)
	for _, h := range got {
		if h.SourceID == src.ID && (h.WindowEvents != 1 || h.PrevEvents != 0 || h.Events != 36) {
			t.Errorf("after a gap: %+v", h)
		}
	}
	err = s.RecordSourceHealth(ctx, store.SourceHealth{SourceID: "missing", Events: 1})
	wantErr(t, "RecordSourceHealth of an unknown source", err, store.ErrNotFound)
	err = s.RecordSourceHealth(ctx, store.SourceHealth{SourceID: src.ID, Events: -1})
	wantErr(t, "negative counter", err, store.ErrInvalid)
	must(t, "DeleteSource", s.DeleteSource(ctx, a.ID, src.ID))
	got, err = s.ListSourceHealth(ctx, a.ID)
	must(t, "ListSourceHealth", err)
	if len(got) != 1 {
		t.Errorf("health of a deleted source kept: %v", got)
	}
}

func testRetention(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "retp-a", store.KindMunicipality)
	b := newTenant(t, s, "retp-b", store.KindPort)
	defaults := func(tenant string) []store.Retention {
		var out []store.Retention
		for _, c := range store.RetentionKinds {
			out = append(out, store.Retention{TenantID: tenant, Category: c, Days: store.DefaultRetention[c]})
		}
		return out
	}
	got, err := s.ListRetention(ctx, a.ID)
	must(t, "ListRetention", err)
	if diff := cmp.Diff(defaults(a.ID), got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	must(t, "SetRetention", s.SetRetention(ctx, store.Retention{TenantID: a.ID, Category: event.CategoryCamera, Days: 3}))
	must(t, "SetRetention", s.SetRetention(ctx, store.Retention{TenantID: a.ID, Category: event.CategoryCamera, Days: 4}))
	must(t, "SetRetention", s.SetRetention(ctx, store.Retention{TenantID: a.ID, Category: "ot_scada", Days: 700}))
	want := defaults(a.ID)
	for i := range want {
		if want[i].Category == event.CategoryCamera {
			want[i].Days = 4
		}
	}
	want = append(want, store.Retention{TenantID: a.ID, Category: "ot_scada", Days: 700})
	got, err = s.ListRetention(ctx, a.ID)
	must(t, "ListRetention", err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after SetRetention (-want +got):\n%s", diff)
	}
	got, err = s.ListRetention(ctx, b.ID)
	must(t, "ListRetention(B)", err)
	if diff := cmp.Diff(defaults(b.ID), got); diff != "" {
		t.Errorf("tenant B sees A's policy (-want +got):\n%s", diff)
	}
	must(t, "SetRetention 0", s.SetRetention(ctx, store.Retention{TenantID: a.ID, Category: event.CategoryCamera, Days: 0}))
	must(t, "SetRetention 0", s.SetRetention(ctx, store.Retention{TenantID: a.ID, Category: "ot_scada", Days: 0}))
	got, err = s.ListRetention(ctx, a.ID)
	must(t, "ListRetention", err)
	if diff := cmp.Diff(defaults(a.ID), got); diff != "" {
		t.Errorf("after reset (-want +got):\n%s", diff)
	}
	for _, bad := range []store.Retention{
		{TenantID: a.ID, Category: "web", Days: -1},
		{TenantID: a.ID, Category: "web", Days: store.MaxRetentionDays + 1},
		{TenantID: a.ID, Category: "", Days: 5},
		{TenantID: a.ID, Category: "Web Logs", Days: 5},
		{TenantID: "", Category: "web", Days: 5},
	} {
		wantErr(t, fmt.Sprintf("SetRetention(%+v)", bad), s.SetRetention(ctx, bad), store.ErrInvalid)
	}
	wantErr(t, "SetRetention for an unknown tenant",
		s.SetRetention(ctx, store.Retention{TenantID: "nope", Category: "web", Days: 5}), store.ErrNotFound)
}
