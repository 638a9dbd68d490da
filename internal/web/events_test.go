package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// newTestEvent returns an event of the tenant observed at.
func newTestEvent(tenantID, sourceID string, at time.Time, raw string, fields map[string]any) event.Event {
	id, _ := uuid.NewV7()
	return event.Event{ID: id.String(), TenantID: tenantID, SourceID: sourceID, Observed: at.Truncate(time.Millisecond).UTC(),
		Received: at.Truncate(time.Millisecond).UTC(), Category: event.CategorySecurity, Fields: fields, Raw: raw}
}

// seedEventsB gives tenant B sources (one an HTTP source with a token),
// health, a retention policy and events, all carrying the marker, and
// adds their ids to the walker's wildcards.
func seedEventsB(t *testing.T, f *crossTenantFixture) {
	t.Helper()
	ctx := context.Background()
	st := f.e.st
	var ids []string
	for _, src := range []*store.Source{
		{TenantID: f.b.ID, Name: "Firewall " + marker, Kind: store.SourceSyslogUDP, Match: "192.0.2.99", Enabled: true, Config: `{"note":"` + marker + `"}`},
		{TenantID: f.b.ID, Name: "Hook " + marker, Kind: store.SourceHTTP, TokenPrefix: "vsp_" + marker[:4], TokenHash: "hash-" + marker, Enabled: true},
	} {
		if err := st.CreateSource(ctx, src); err != nil {
			t.Fatal(err)
		}
		if err := st.RecordSourceHealth(ctx, store.SourceHealth{SourceID: src.ID, Events: 5, Errors: 1, LastError: "bad line " + marker}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, src.ID)
	}
	if err := st.SetRetention(ctx, store.Retention{TenantID: f.b.ID, Category: event.CategoryWeb, Days: 11}); err != nil {
		t.Fatal(err)
	}
	var evs []event.Event
	for i := range 3 {
		evs = append(evs, newTestEvent(f.b.ID, ids[0], time.Now().Add(-time.Duration(i)*time.Minute),
			"Failed password for "+marker+" from 192.0.2.99", map[string]any{"user.name": marker, "source.ip": "192.0.2.99", "message": "login " + marker}))
	}
	if _, err := st.InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	f.wildcard["source"] = append(ids, "missing-source")
	f.wildcard["event"] = []string{evs[0].ID, evs[1].ID, "missing-event"}
}

// snapshotEventsB writes tenant B's sources, health, retention and events.
func snapshotEventsB(t *testing.T, f *crossTenantFixture, b *strings.Builder) {
	t.Helper()
	ctx := context.Background()
	srcs, err := f.e.st.ListSources(ctx, f.b.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		fmt.Fprintf(b, "source %+v\n", s)
	}
	hs, _ := f.e.st.ListSourceHealth(ctx, f.b.ID)
	fmt.Fprintf(b, "health %+v\n", hs)
	rs, _ := f.e.st.ListRetention(ctx, f.b.ID)
	fmt.Fprintf(b, "retention %+v\n", rs)
	evs, _ := f.e.st.SearchEvents(ctx, f.b.ID, store.EventQuery{Limit: store.MaxEventLimit})
	fmt.Fprintf(b, "events %d\n", len(evs))
}

func TestParseEventQuery(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		query   string
		want    store.EventQuery
		wantErr string // i18n key
	}{
		{"default is the last 24 hours", "", store.EventQuery{Since: now.Add(-24 * time.Hour), Limit: 50}, ""},
		{"range", "range=1h", store.EventQuery{Since: now.Add(-time.Hour), Limit: 50}, ""},
		{"range all", "range=all", store.EventQuery{Limit: 50}, ""},
		{"since and until", "since=2026-03-01T08:00&until=2026-03-02T00:00:00Z",
			store.EventQuery{Since: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), Until: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Limit: 50}, ""},
		{"until only", "until=2026-03-02", store.EventQuery{Until: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Limit: 50}, ""},
		{"everything", "range=7d&source=s1&source=s2&category=web&f=source.ip%3D192.0.2.7&f=&f=user.name+%3D+mrossi&q=+failed+login+&before=abc&limit=200",
			store.EventQuery{Since: now.Add(-7 * 24 * time.Hour), SourceIDs: []string{"s1", "s2"}, Categories: []string{"web"},
				Fields: map[string]string{"source.ip": "192.0.2.7", "user.name": "mrossi"}, Text: "failed login", Before: "abc", Limit: 200}, ""},
		{"value with equals", "range=all&f=url.query%3Da%3Db", store.EventQuery{Fields: map[string]string{"url.query": "a=b"}, Limit: 50}, ""},
		{"bad range", "range=2w", store.EventQuery{}, "events.bad_range"},
		{"since after until", "since=2026-03-02T00:00&until=2026-03-01T00:00", store.EventQuery{}, "events.bad_range"},
		{"bad time", "since=yesterday", store.EventQuery{}, "events.bad_time"},
		{"field without equals", "f=source.ip", store.EventQuery{}, "events.bad_field"},
		{"field without value", "f=source.ip%3D", store.EventQuery{}, "events.bad_field"},
		{"field bad name", "f=source+ip%3Dx", store.EventQuery{}, "events.bad_field"},
		{"field name injection", "f=a'%29--%3Dx", store.EventQuery{}, "events.bad_field"},
		{"field twice", "f=a%3D1&f=a%3D2", store.EventQuery{}, "events.bad_field"},
		{"field value too long", "f=a%3D" + strings.Repeat("x", 513), store.EventQuery{}, "events.bad_field"},
		{"too many fields", "f=a%3D1&f=b%3D1&f=c%3D1&f=d%3D1&f=e%3D1&f=g%3D1&f=h%3D1&f=i%3D1&f=j%3D1&f=k%3D1&f=l%3D1", store.EventQuery{}, "events.too_many_fields"},
		{"text too long", "q=" + strings.Repeat("a", 501), store.EventQuery{}, "events.bad_text"},
		{"text not UTF-8", "q=%ff", store.EventQuery{}, "events.bad_text"},
		{"NUL", "q=a%00b", store.EventQuery{}, "events.bad_text"},
		{"bad category", "category=we+b", store.EventQuery{}, "events.bad_category"},
		{"limit zero", "limit=0", store.EventQuery{}, "events.bad_limit"},
		{"limit too big", "limit=1001", store.EventQuery{}, "events.bad_limit"},
		{"limit not a number", "limit=ten", store.EventQuery{}, "events.bad_limit"},
		{"long source", "source=" + strings.Repeat("s", 65), store.EventQuery{}, "events.bad_source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := parseEventQuery(v, now, 50)
			if tt.wantErr != "" {
				var le *i18n.Error
				if !asErr(err, &le) || le.Key != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseEventQuery: any query string is refused or gives a bounded,
// valid query.
func FuzzParseEventQuery(f *testing.F) {
	for _, s := range []string{"", "range=1h", "f=source.ip%3D1.2.3.4&q=x", "since=2026-01-01&until=2025-01-01", "limit=-1",
		"f=%3D", "q=%ff%fe", "category=web&category=", "before=" + strings.Repeat("a", 70), "f=a%3Db&f=a%3Dc"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, _, err := parseEventQuery(v, now, 50)
		if err != nil {
			var le *i18n.Error
			var he *httpError
			if !asErr(err, &le) && !asErr(err, &he) {
				t.Fatalf("unlocalised error %v", err)
			}
			return
		}
		if q.Limit < 1 || q.Limit > store.MaxEventLimit || len(q.Fields) > maxFieldFilters || len(q.Text) > maxTextQuery || len(q.Before) > 64 {
			t.Fatalf("unbounded query %+v", q)
		}
		for k, val := range q.Fields {
			if !validFieldName(k) || val == "" {
				t.Fatalf("bad field %q=%q accepted", k, val)
			}
		}
		if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
			t.Fatalf("empty range accepted: %+v", q)
		}
	})
}

func TestEventPages(t *testing.T) {
	e := newTestEnv(t)
	ten := e.tenant("lerici", store.KindMunicipality)
	e.user("anna", false, ten.ID, store.RoleAdmin)
	e.user("otto", false, ten.ID, store.RoleOperator)
	ctx := context.Background()
	src := &store.Source{TenantID: ten.ID, Name: "Perimeter firewall", Kind: store.SourceSyslogUDP, Enabled: true}
	if err := e.st.CreateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	evs := []event.Event{
		newTestEvent(ten.ID, src.ID, now.Add(-time.Minute), "Failed password for mrossi from 198.51.100.7",
			map[string]any{"user.name": "mrossi", "source.ip": "198.51.100.7", "event.outcome": "failure"}),
		newTestEvent(ten.ID, src.ID, now.Add(-2*time.Minute), "Accepted password for gverdi from 198.51.100.8",
			map[string]any{"user.name": "gverdi", "source.ip": "198.51.100.8", "event.outcome": "success"}),
		newTestEvent(ten.ID, src.ID, now.Add(-48*time.Hour), "Failed password for old from 198.51.100.9",
			map[string]any{"user.name": "old", "event.outcome": "failure"}),
	}
	if _, err := e.st.InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("anna")

	t.Run("search", func(t *testing.T) {
		tests := []struct {
			query      string
			want, not  []string
			wantStatus int
		}{
			{"", []string{"mrossi", "gverdi", "Perimeter firewall"}, []string{"for old"}, 200},
			{"range=all", []string{"mrossi", "gverdi", "for old"}, nil, 200},
			{"q=failed", []string{"mrossi"}, []string{"gverdi"}, 200},
			{"f=event.outcome%3Dsuccess", []string{"gverdi"}, []string{"mrossi"}, 200},
			{"range=all&f=event.outcome%3Dfailure&limit=1", []string{"mrossi", "Older events", "before=" + evs[0].ID}, []string{"for old"}, 200},
			{"f=nonsense", []string{"must be name=value"}, nil, 400},
		}
		for _, tt := range tests {
			resp, body := b.do("GET", "/events?"+tt.query, nil, map[string]string{"Accept-Language": "en"})
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("%s: status %d, want %d", tt.query, resp.StatusCode, tt.wantStatus)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s: page lacks %q", tt.query, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, n) {
					t.Errorf("%s: page shows %q", tt.query, n)
				}
			}
		}
		au, err := e.st.ListAudit(ctx, store.AuditFilter{TenantIDs: []string{ten.ID}, Action: "personal_data.read"})
		if err != nil || len(au) < 5 {
			t.Errorf("%d personal_data.read audit entries, want one per search: %v", len(au), err)
		}
	})

	t.Run("operator sees no personal data", func(t *testing.T) {
		ob := e.browser()
		ob.login("otto")
		resp, body := ob.get("/events")
		if resp.StatusCode != 200 || strings.Contains(body, "mrossi") || strings.Contains(body, "198.51.100.7") || !strings.Contains(body, "failure") {
			t.Errorf("operator's events page: status %d, redaction wrong:\n%s", resp.StatusCode, body)
		}
		if resp, _ := ob.get("/events?q=mrossi"); resp.StatusCode != 400 {
			t.Errorf("operator's text search: status %d, want 400", resp.StatusCode)
		}
		if resp, _ := ob.get("/sources/" + src.ID); resp.StatusCode != http.StatusForbidden {
			t.Errorf("operator editing a source: status %d, want 403", resp.StatusCode)
		}
	})

	t.Run("sources", func(t *testing.T) {
		resp, body := b.post("/sources", url.Values{"name": {"Door controller"}, "kind": {"http"}, "format": {"json"},
			"config": {`{"map":{"ts":"@timestamp"}}`}, "expected_interval": {"15m"}, "enabled": {"on"}, "keep_raw": {"on"}})
		if resp.StatusCode != 200 || !strings.Contains(body, "vsp_") {
			t.Fatalf("create HTTP source: status %d; the token is not shown", resp.StatusCode)
		}
		list, err := e.st.ListSources(ctx, ten.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("ListSources = %v, %v", list, err)
		}
		door := list[0]
		if door.Name != "Door controller" || door.ExpectedInterval != 15*time.Minute || door.TokenHash == "" {
			t.Errorf("stored source %+v", door)
		}
		// The token shown works with the receivers' lookup.
		secret := body[strings.Index(body, "vsp_"):]
		secret = secret[:strings.IndexByte(secret, '<')]
		if got, err := e.st.GetSourceByTokenHash(ctx, auth.HashToken(secret)); err != nil || got.ID != door.ID {
			t.Errorf("token lookup = %v, %v", got, err)
		}
		resp, body = b.post("/sources", url.Values{"name": {"Door controller"}, "kind": {"syslog_udp"}})
		if resp.StatusCode != 400 || !strings.Contains(body, "name") {
			t.Errorf("duplicate name: status %d", resp.StatusCode)
		}
		resp, _ = b.post("/sources/"+door.ID, url.Values{"name": {"Doors"}, "kind": {"http"}, "expected_interval": {"1h"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("update: status %d", resp.StatusCode)
		}
		got, _ := e.st.GetSource(ctx, ten.ID, door.ID)
		if got.Name != "Doors" || got.Enabled || got.TokenHash != door.TokenHash {
			t.Errorf("after update: %+v", got)
		}
		resp, body = b.get("/sources")
		if resp.StatusCode != 200 || !strings.Contains(body, "Doors") || !strings.Contains(body, "Perimeter firewall") {
			t.Errorf("sources page: %d", resp.StatusCode)
		}
		if resp, _ := b.post("/sources/"+door.ID+"/delete", url.Values{}); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("delete: status %d", resp.StatusCode)
		}
		if _, err := e.st.GetSource(ctx, ten.ID, door.ID); err == nil {
			t.Errorf("source not deleted")
		}
	})

	t.Run("retention", func(t *testing.T) {
		resp, body := b.get("/settings/retention")
		if resp.StatusCode != 200 || !strings.Contains(body, `name="days_camera" inputmode="numeric" value="7"`) {
			t.Fatalf("retention page: %d", resp.StatusCode)
		}
		form := url.Values{}
		for _, c := range store.RetentionKinds {
			form.Set("days_"+c, fmt.Sprint(store.DefaultRetention[c]))
		}
		form.Set("days_camera", "3")
		form.Set("days_alerts", "200")
		if resp, _ := b.post("/settings/retention", form); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("save: status %d", resp.StatusCode)
		}
		pols, _ := e.st.ListRetention(ctx, ten.ID)
		for _, p := range pols {
			want := store.DefaultRetention[p.Category]
			switch p.Category {
			case event.CategoryCamera:
				want = 3
			case store.RetentionAlerts:
				want = 200
			}
			if p.Days != want {
				t.Errorf("%s kept %d days, want %d", p.Category, p.Days, want)
			}
		}
		form.Set("days_web", "0")
		if resp, _ := b.post("/settings/retention", form); resp.StatusCode != 400 {
			t.Errorf("0 days: status %d, want 400", resp.StatusCode)
		}
	})
}

func TestEventAPI(t *testing.T) {
	e := newTestEnv(t)
	ten := e.tenant("porto", store.KindPort)
	_, admin := e.token(ten.ID, store.RoleAnalyst, "siem")
	_, viewer := e.token(ten.ID, store.RoleViewer, "wall")
	ctx := context.Background()
	src := &store.Source{TenantID: ten.ID, Name: "AIS", Kind: store.SourceMQTT, Enabled: true}
	if err := e.st.CreateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	var evs []event.Event
	for i := range 5 {
		evs = append(evs, newTestEvent(ten.ID, src.ID, time.Now().Add(-time.Duration(i)*time.Minute), fmt.Sprintf("vessel %d", i),
			map[string]any{"vessel.mmsi": fmt.Sprint(247000000 + i), "event.action": "position"}))
	}
	if _, err := e.st.InsertEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	type page struct {
		Events []struct {
			ID     string         `json:"id"`
			Raw    string         `json:"raw"`
			Fields map[string]any `json:"fields"`
		} `json:"events"`
		Next string `json:"next_before"`
	}
	var all []string
	q := "/api/v1/events?limit=2"
	for range 5 {
		resp, body := apiDo(t, e, "GET", q, admin, "")
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", q, resp.StatusCode, body)
		}
		var p page
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		for _, ev := range p.Events {
			all = append(all, ev.ID)
		}
		if p.Next == "" {
			break
		}
		q = "/api/v1/events?limit=2&before=" + p.Next
	}
	var want []string
	for _, ev := range evs {
		want = append(want, ev.ID)
	}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("paged ids (-want +got):\n%s", diff)
	}
	resp, body := apiDo(t, e, "GET", "/api/v1/events?f=vessel.mmsi%3D247000003", admin, "")
	if resp.StatusCode != 200 || !strings.Contains(body, evs[3].ID) || strings.Contains(body, evs[2].ID) {
		t.Errorf("field search: %d %s", resp.StatusCode, body)
	}
	resp, body = apiDo(t, e, "GET", "/api/v1/events/"+evs[1].ID, viewer, "")
	if resp.StatusCode != 200 || strings.Contains(body, "vessel 1") || strings.Contains(body, "247000001") || !strings.Contains(body, "position") {
		t.Errorf("viewer's GET event is not redacted: %d %s", resp.StatusCode, body)
	}
	if resp, _ := apiDo(t, e, "GET", "/api/v1/events?limit=5000", admin, ""); resp.StatusCode != 400 {
		t.Errorf("limit 5000: status %d", resp.StatusCode)
	}

	resp, body = apiDo(t, e, "POST", "/api/v1/sources", admin, `{"name":"x","kind":"http"}`)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst creating a source: %d %s", resp.StatusCode, body)
	}
	_, root := e.token(ten.ID, store.RoleAdmin, "ops")
	resp, body = apiDo(t, e, "POST", "/api/v1/sources", root, `{"name":"Gate","kind":"http","format":"json","expected_interval":"10m"}`)
	var created struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil || resp.StatusCode != 201 || !strings.HasPrefix(created.Token, "vsp_") {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	resp, body = apiDo(t, e, "PUT", "/api/v1/sources/"+created.ID, root, `{"name":"Gate 2","kind":"http","enabled":false}`)
	if resp.StatusCode != 200 || strings.Contains(body, `"token"`) || !strings.Contains(body, "Gate 2") {
		t.Errorf("update: %d %s", resp.StatusCode, body)
	}
	resp, body = apiDo(t, e, "GET", "/api/v1/sources", viewer, "")
	if resp.StatusCode != 200 || !strings.Contains(body, "Gate 2") || !strings.Contains(body, "events_per_second") || strings.Contains(body, "hash") {
		t.Errorf("list: %d %s", resp.StatusCode, body)
	}
	if resp, body := apiDo(t, e, "PUT", "/api/v1/sources/"+created.ID, root, `{"name":"","kind":"http"}`); resp.StatusCode != 400 {
		t.Errorf("empty name: %d %s", resp.StatusCode, body)
	}
	if resp, _ := apiDo(t, e, "DELETE", "/api/v1/sources/"+created.ID, root, ""); resp.StatusCode != 204 {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if resp, _ := apiDo(t, e, "GET", "/api/v1/sources/"+created.ID, root, ""); resp.StatusCode != 404 {
		t.Errorf("get deleted: %d", resp.StatusCode)
	}
}
