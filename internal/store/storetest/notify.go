package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// runNotifyTests runs the NotifyStore part of the contract.
func runNotifyTests(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"NotifyChannels", testNotifyChannels},
		{"NotifyInvalid", testNotifyInvalid},
		{"NotifyDigestAndMarks", testNotifyDigest},
		{"NotifyTenantScope", testNotifyScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			tt.fn(t, s)
		})
	}
}

func newChannel(tenantID, name string) *store.NotifyChannel {
	return &store.NotifyChannel{TenantID: tenantID, Name: name, Kind: store.ChannelWebhook, Target: "https://hooks.example/" + name,
		Config: `{"secret":"s3cret"}`, MinSeverity: store.SeverityHigh, DigestSeverity: store.SeverityLow, DigestEvery: 30 * time.Minute,
		QuietFrom: 22 * 60, QuietTo: 7 * 60, Timezone: "Europe/Rome", Enabled: true}
}

func testNotifyChannels(t *testing.T, s store.Store) {
	ctx := t.Context()
	ten := newTenant(t, s, "porto", store.KindPort)
	c := newChannel(ten.ID, "soc")
	must(t, "create", s.CreateNotifyChannel(ctx, c))
	checkV7(t, c.ID)
	checkRecent(t, "created", c.CreatedAt)
	got, err := s.GetNotifyChannel(ctx, ten.ID, c.ID)
	must(t, "get", err)
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("get (-created +got):\n%s", diff)
	}
	mail := &store.NotifyChannel{TenantID: ten.ID, UserID: "u1", Name: "mine", Kind: store.ChannelEmail, Target: "a@b.example",
		MinSeverity: store.SeverityCritical, Enabled: false}
	must(t, "create e-mail", s.CreateNotifyChannel(ctx, mail))
	if mail.DigestEvery != time.Hour || mail.Config != "{}" {
		t.Errorf("defaults: every %v config %q", mail.DigestEvery, mail.Config)
	}
	list, err := s.ListNotifyChannels(ctx, ten.ID)
	must(t, "list", err)
	if len(list) != 2 || list[0].Name != "mine" || list[1].Name != "soc" {
		t.Errorf("list = %+v", list)
	}
	all, err := s.ListAllNotifyChannels(ctx)
	must(t, "list all", err)
	if len(all) != 1 || all[0].ID != c.ID {
		t.Errorf("list all (enabled only) = %+v", all)
	}

	c.Name, c.MinSeverity, c.QuietFrom, c.QuietTo, c.Enabled = "soc 24/7", store.SeverityMedium, 0, 0, false
	must(t, "update", s.UpdateNotifyChannel(ctx, c))
	got, err = s.GetNotifyChannel(ctx, ten.ID, c.ID)
	must(t, "get updated", err)
	if got.Name != "soc 24/7" || got.MinSeverity != store.SeverityMedium || got.Enabled || got.QuietFrom != 0 {
		t.Errorf("after update: %+v", got)
	}

	t1 := time.Now().Add(-time.Minute)
	must(t, "failure", s.RecordNotifyResult(ctx, ten.ID, c.ID, t1, "dial tcp: connection refused"))
	must(t, "failure 2", s.RecordNotifyResult(ctx, ten.ID, c.ID, t1.Add(time.Second), "timeout"))
	got, _ = s.GetNotifyChannel(ctx, ten.ID, c.ID)
	if got.Failures != 2 || got.LastError != "timeout" || !got.LastFailure.Equal(ms(t1.Add(time.Second))) || !got.LastSuccess.IsZero() {
		t.Errorf("after failures: %+v", got)
	}
	t2 := time.Now()
	must(t, "success", s.RecordNotifyResult(ctx, ten.ID, c.ID, t2, ""))
	got, _ = s.GetNotifyChannel(ctx, ten.ID, c.ID)
	if got.Failures != 0 || !got.LastSuccess.Equal(ms(t2)) || got.LastError != "timeout" {
		t.Errorf("after success: %+v (the last error stays for display)", got)
	}

	must(t, "delete", s.DeleteNotifyChannel(ctx, ten.ID, c.ID))
	_, err = s.GetNotifyChannel(ctx, ten.ID, c.ID)
	wantErr(t, "get deleted", err, store.ErrNotFound)
	wantErr(t, "delete again", s.DeleteNotifyChannel(ctx, ten.ID, c.ID), store.ErrNotFound)
}

func testNotifyInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	ten := newTenant(t, s, "porto", store.KindPort)
	tests := []struct {
		name string
		edit func(c *store.NotifyChannel)
	}{
		{"no tenant", func(c *store.NotifyChannel) { c.TenantID = "" }},
		{"unknown kind", func(c *store.NotifyChannel) { c.Kind = "pager" }},
		{"no name", func(c *store.NotifyChannel) { c.Name = "" }},
		{"no target", func(c *store.NotifyChannel) { c.Target = "" }},
		{"bad severity", func(c *store.NotifyChannel) { c.MinSeverity = "urgent" }},
		{"bad digest severity", func(c *store.NotifyChannel) { c.DigestSeverity = "meh" }},
		{"quiet hours out of range", func(c *store.NotifyChannel) { c.QuietTo = 24 * 60 }},
		{"config not an object", func(c *store.NotifyChannel) { c.Config = "[1]" }},
		{"negative period", func(c *store.NotifyChannel) { c.DigestEvery = -time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChannel(ten.ID, "x")
			tt.edit(c)
			wantErr(t, "create", s.CreateNotifyChannel(ctx, c), store.ErrInvalid)
		})
	}
	list, err := s.ListNotifyChannels(ctx, ten.ID)
	must(t, "list", err)
	if len(list) != 0 {
		t.Errorf("invalid channels stored: %+v", list)
	}
	wantErr(t, "queue with bad severity", s.QueueDigest(ctx, store.DigestItem{TenantID: ten.ID, ChannelID: "x", AlertID: "a", Severity: "bad"}), store.ErrInvalid)
}

func testNotifyDigest(t *testing.T, s store.Store) {
	ctx := t.Context()
	ten := newTenant(t, s, "porto", store.KindPort)
	c := newChannel(ten.ID, "soc")
	must(t, "create", s.CreateNotifyChannel(ctx, c))
	now := time.Now()
	items := []store.DigestItem{
		{TenantID: ten.ID, ChannelID: c.ID, AlertID: "a2", Severity: store.SeverityLow, Title: "second", At: now},
		{TenantID: ten.ID, ChannelID: c.ID, AlertID: "a1", Severity: store.SeverityMedium, Title: "first", At: now.Add(-time.Minute)},
		{TenantID: ten.ID, ChannelID: c.ID, AlertID: "a1", Severity: store.SeverityMedium, Title: "first again", At: now},
	}
	for _, it := range items {
		must(t, "queue", s.QueueDigest(ctx, it))
	}
	got, err := s.TakeDigest(ctx, ten.ID, c.ID, now)
	must(t, "take", err)
	want := []store.DigestItem{
		{TenantID: ten.ID, ChannelID: c.ID, AlertID: "a1", Severity: store.SeverityMedium, Title: "first", At: ms(now.Add(-time.Minute))},
		{TenantID: ten.ID, ChannelID: c.ID, AlertID: "a2", Severity: store.SeverityLow, Title: "second", At: ms(now)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("digest (-want +got):\n%s", diff)
	}
	again, err := s.TakeDigest(ctx, ten.ID, c.ID, now)
	must(t, "take again", err)
	if len(again) != 0 {
		t.Errorf("taken twice: %+v", again)
	}
	ch, _ := s.GetNotifyChannel(ctx, ten.ID, c.ID)
	if !ch.LastDigest.Equal(ms(now)) {
		t.Errorf("LastDigest = %v", ch.LastDigest)
	}

	first, err := s.MarkNotified(ctx, ten.ID, c.ID, "a1", now.Add(-48*time.Hour))
	must(t, "mark", err)
	second, err := s.MarkNotified(ctx, ten.ID, c.ID, "a1", now)
	must(t, "mark again", err)
	if !first || second {
		t.Errorf("MarkNotified = %v then %v, want true then false", first, second)
	}
	n, err := s.PruneNotified(ctx, now.Add(-24*time.Hour))
	must(t, "prune", err)
	if n != 1 {
		t.Errorf("pruned %d, want 1", n)
	}
	if again, _ := s.MarkNotified(ctx, ten.ID, c.ID, "a1", now); !again {
		t.Error("a pruned mark still counts")
	}
}

func testNotifyScope(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "a", store.KindPort)
	b := newTenant(t, s, "b", store.KindPort)
	cb := newChannel(b.ID, "b's")
	must(t, "create", s.CreateNotifyChannel(ctx, cb))
	_, err := s.GetNotifyChannel(ctx, a.ID, cb.ID)
	wantErr(t, "get across tenants", err, store.ErrNotFound)
	if l, _ := s.ListNotifyChannels(ctx, a.ID); len(l) != 0 {
		t.Errorf("A lists B's channels: %+v", l)
	}
	hostile := *cb
	hostile.TenantID, hostile.Name = a.ID, "stolen"
	wantErr(t, "update across tenants", s.UpdateNotifyChannel(ctx, &hostile), store.ErrNotFound)
	wantErr(t, "delete across tenants", s.DeleteNotifyChannel(ctx, a.ID, cb.ID), store.ErrNotFound)
	wantErr(t, "result across tenants", s.RecordNotifyResult(ctx, a.ID, cb.ID, time.Now(), "x"), store.ErrNotFound)
	_, err = s.MarkNotified(ctx, a.ID, cb.ID, "x", time.Now())
	wantErr(t, "mark across tenants", err, store.ErrNotFound)
	wantErr(t, "queue across tenants", s.QueueDigest(ctx, store.DigestItem{TenantID: a.ID, ChannelID: cb.ID, AlertID: "x", Severity: store.SeverityLow}), store.ErrNotFound)
	_, err = s.TakeDigest(ctx, a.ID, cb.ID, time.Now())
	wantErr(t, "take across tenants", err, store.ErrNotFound)
	got, err := s.GetNotifyChannel(ctx, b.ID, cb.ID)
	must(t, "get", err)
	if got.Name != "b's" || got.Failures != 0 {
		t.Errorf("B's channel changed: %+v", got)
	}
}
