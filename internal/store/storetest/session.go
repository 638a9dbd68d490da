package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/store"
)

func testSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := newUser(t, s, "sara")
	u2 := newUser(t, s, "teo")
	tn := newTenant(t, s, "comune-lecce", store.KindMunicipality)

	x := &store.Session{
		ID: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", UserID: u.ID,
		CSRFToken: "csrf-1", TOTPPending: true, ExpiresAt: ms(time.Now().Add(12 * time.Hour)),
		IP: "192.0.2.10", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
	}
	must(t, "CreateSession", s.CreateSession(ctx, x))
	checkRecent(t, "CreatedAt", x.CreatedAt)
	if !x.LastSeen.Equal(x.CreatedAt) {
		t.Errorf("LastSeen %v, want CreatedAt %v", x.LastSeen, x.CreatedAt)
	}
	got, err := s.GetSession(ctx, x.ID)
	must(t, "GetSession", err)
	if diff := cmp.Diff(x, got); diff != "" {
		t.Errorf("GetSession (-want +got):\n%s", diff)
	}

	// UpdateSession writes TenantID, TOTPPending, LastSeen and CSRFToken
	// only.
	upd := *x
	upd.TenantID, upd.TOTPPending, upd.LastSeen, upd.CSRFToken = tn.ID, false, ms(time.Now().Add(time.Minute)), "csrf-2"
	upd.IP, upd.UserAgent, upd.ExpiresAt, upd.UserID = "203.0.113.5", "curl/8", ms(time.Now().Add(48*time.Hour)), u2.ID
	must(t, "UpdateSession", s.UpdateSession(ctx, &upd))
	want := *x
	want.TenantID, want.TOTPPending, want.LastSeen, want.CSRFToken = upd.TenantID, upd.TOTPPending, upd.LastSeen, upd.CSRFToken
	got, err = s.GetSession(ctx, x.ID)
	must(t, "GetSession after update", err)
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("after UpdateSession (-want +got):\n%s", diff)
	}

	wantErr(t, "CreateSession with taken id", s.CreateSession(ctx, &store.Session{ID: x.ID, UserID: u.ID, ExpiresAt: x.ExpiresAt}), store.ErrConflict)
	wantErr(t, "CreateSession unknown user", s.CreateSession(ctx, &store.Session{ID: "s-ghost", UserID: "ghost", ExpiresAt: x.ExpiresAt}), store.ErrNotFound)
	for _, bad := range []store.Session{
		{UserID: u.ID, ExpiresAt: x.ExpiresAt},
		{ID: "s-no-user", ExpiresAt: x.ExpiresAt},
		{ID: "s-no-expiry", UserID: u.ID},
	} {
		wantErr(t, "CreateSession "+bad.ID, s.CreateSession(ctx, &bad), store.ErrInvalid)
	}
	wantErr(t, "UpdateSession missing", s.UpdateSession(ctx, &store.Session{ID: "missing"}), store.ErrNotFound)
	_, err = s.GetSession(ctx, "missing")
	wantErr(t, "GetSession missing", err, store.ErrNotFound)

	must(t, "DeleteSession", s.DeleteSession(ctx, x.ID))
	_, err = s.GetSession(ctx, x.ID)
	wantErr(t, "GetSession after delete", err, store.ErrNotFound)
	wantErr(t, "second DeleteSession", s.DeleteSession(ctx, x.ID), store.ErrNotFound)

	exp := ms(time.Now().Add(time.Hour))
	for _, id := range []string{"u-1", "u-2"} {
		must(t, "CreateSession", s.CreateSession(ctx, &store.Session{ID: id, UserID: u.ID, ExpiresAt: exp}))
	}
	must(t, "CreateSession", s.CreateSession(ctx, &store.Session{ID: "u2-1", UserID: u2.ID, ExpiresAt: exp}))
	must(t, "DeleteUserSessions", s.DeleteUserSessions(ctx, u.ID))
	for _, id := range []string{"u-1", "u-2"} {
		_, err := s.GetSession(ctx, id)
		wantErr(t, "GetSession "+id+" after DeleteUserSessions", err, store.ErrNotFound)
	}
	if _, err := s.GetSession(ctx, "u2-1"); err != nil {
		t.Errorf("DeleteUserSessions removed another user's session: %v", err)
	}
	must(t, "DeleteUserSessions with none", s.DeleteUserSessions(ctx, u.ID))
}

func testSessionExpiry(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := newUser(t, s, "vito")
	now := ms(time.Now())
	const idle = 30 * time.Minute
	sessions := []store.Session{
		{ID: "expired", ExpiresAt: now.Add(-time.Millisecond), LastSeen: now.Add(-time.Minute)},
		{ID: "expires-now", ExpiresAt: now, LastSeen: now},
		{ID: "idle-over", ExpiresAt: now.Add(time.Hour), LastSeen: now.Add(-idle - time.Millisecond)},
		{ID: "idle-exact", ExpiresAt: now.Add(time.Hour), LastSeen: now.Add(-idle)},
		{ID: "active", ExpiresAt: now.Add(time.Hour), LastSeen: now.Add(-idle + time.Millisecond)},
	}
	for i := range sessions {
		sessions[i].UserID = u.ID
		sessions[i].CreatedAt = now.Add(-2 * time.Hour)
		must(t, "CreateSession", s.CreateSession(ctx, &sessions[i]))
	}
	alive := func() []string {
		var ids []string
		for _, x := range sessions {
			if _, err := s.GetSession(ctx, x.ID); err == nil {
				ids = append(ids, x.ID)
			}
		}
		return ids
	}

	steps := []struct {
		name  string
		idle  time.Duration
		n     int
		alive []string
	}{
		{"absolute only", 0, 2, []string{"idle-over", "idle-exact", "active"}},
		{"idle", idle, 2, []string{"active"}},
		{"nothing left to expire", idle, 0, []string{"active"}},
	}
	for _, st := range steps {
		n, err := s.DeleteExpiredSessions(ctx, now, st.idle)
		must(t, st.name, err)
		if n != st.n {
			t.Errorf("%s: DeleteExpiredSessions = %d, want %d", st.name, n, st.n)
		}
		if diff := cmp.Diff(st.alive, alive()); diff != "" {
			t.Errorf("%s: sessions left (-want +got):\n%s", st.name, diff)
		}
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "porto-bari", store.KindPort)
	admin := newUser(t, s, "root")
	base := ms(time.Now().Add(-time.Hour))

	t1 := &store.APIToken{TenantID: a.ID, Name: "siem export", Role: store.RoleAnalyst, Prefix: "vdt_ab12",
		Hash: "4a44dc15364204a80fe80e9039455cc1608281820fe2b24f1e5233ade6af1dd5", CreatedBy: admin.ID, CreatedAt: base}
	t2 := &store.APIToken{TenantID: a.ID, Name: "dashboard", Role: store.RoleViewer, Prefix: "vdt_cd34",
		Hash: "4fc82b26aecb47d2868c4efbe3581732a3e7cbcc6c2efb32062c08170a05eeb8", CreatedBy: admin.ID,
		ExpiresAt: ms(time.Now().Add(90 * 24 * time.Hour))}
	for _, tok := range []*store.APIToken{t1, t2} {
		must(t, "CreateToken", s.CreateToken(ctx, tok))
		checkV7(t, tok.ID)
	}
	checkRecent(t, "CreatedAt", t2.CreatedAt)
	if !t1.CreatedAt.Equal(base) {
		t.Errorf("CreateToken replaced CreatedAt: %v, want %v", t1.CreatedAt, base)
	}
	for _, tok := range []*store.APIToken{t1, t2} {
		got, err := s.GetTokenByHash(ctx, tok.Hash)
		must(t, "GetTokenByHash", err)
		if diff := cmp.Diff(tok, got); diff != "" {
			t.Errorf("GetTokenByHash (-want +got):\n%s", diff)
		}
	}
	list, err := s.ListTokens(ctx, a.ID)
	must(t, "ListTokens", err)
	if diff := cmp.Diff([]store.APIToken{*t1, *t2}, list); diff != "" {
		t.Errorf("ListTokens, by creation (-want +got):\n%s", diff)
	}

	revoked := ms(time.Now())
	must(t, "RevokeToken", s.RevokeToken(ctx, a.ID, t1.ID, revoked))
	must(t, "RevokeToken again", s.RevokeToken(ctx, a.ID, t1.ID, revoked.Add(time.Hour)))
	used := ms(time.Now().Add(time.Second))
	must(t, "TouchToken", s.TouchToken(ctx, t2.ID, used))
	got, err := s.GetTokenByHash(ctx, t1.Hash)
	must(t, "GetTokenByHash", err)
	if !got.RevokedAt.Equal(revoked) {
		t.Errorf("RevokedAt = %v, want the first revocation %v", got.RevokedAt, revoked)
	}
	got, err = s.GetTokenByHash(ctx, t2.Hash)
	must(t, "GetTokenByHash", err)
	want := *t2
	want.LastUsedAt = used
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("after TouchToken (-want +got):\n%s", diff)
	}

	wantErr(t, "RevokeToken missing", s.RevokeToken(ctx, a.ID, "missing", revoked), store.ErrNotFound)
	wantErr(t, "TouchToken missing", s.TouchToken(ctx, "missing", used), store.ErrNotFound)
	_, err = s.GetTokenByHash(ctx, "no-such-hash")
	wantErr(t, "GetTokenByHash missing", err, store.ErrNotFound)
	wantErr(t, "CreateToken with taken hash", s.CreateToken(ctx,
		&store.APIToken{TenantID: a.ID, Name: "dup", Role: store.RoleViewer, Hash: t1.Hash}), store.ErrConflict)
	wantErr(t, "CreateToken unknown tenant", s.CreateToken(ctx,
		&store.APIToken{TenantID: "ghost", Name: "x", Role: store.RoleViewer, Hash: "h-ghost"}), store.ErrNotFound)
	for _, bad := range []store.APIToken{
		{Name: "no tenant", Role: store.RoleViewer, Hash: "h1"},
		{TenantID: a.ID, Name: "bad role", Role: "god", Hash: "h2"},
		{TenantID: a.ID, Name: "no hash", Role: store.RoleViewer},
	} {
		wantErr(t, "CreateToken "+bad.Name, s.CreateToken(ctx, &bad), store.ErrInvalid)
	}
	list, err = s.ListTokens(ctx, a.ID)
	must(t, "ListTokens", err)
	if len(list) != 2 {
		t.Errorf("refused CreateToken calls stored tokens: %d in list, want 2", len(list))
	}
}

// testTokenScope checks that a tenant can neither list nor revoke another
// tenant's tokens.
func testTokenScope(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "tenant-a", store.KindMunicipality)
	b := newTenant(t, s, "tenant-b", store.KindMunicipality)
	empty := newTenant(t, s, "tenant-empty", store.KindMunicipality)
	ta := &store.APIToken{TenantID: a.ID, Name: "a", Role: store.RoleAdmin, Prefix: "vdt_a", Hash: "hash-a"}
	tb := &store.APIToken{TenantID: b.ID, Name: "b", Role: store.RoleAdmin, Prefix: "vdt_b", Hash: "hash-b"}
	must(t, "CreateToken", s.CreateToken(ctx, ta))
	must(t, "CreateToken", s.CreateToken(ctx, tb))

	for _, tt := range []struct {
		tenant *store.Tenant
		want   []store.APIToken
	}{
		{a, []store.APIToken{*ta}},
		{b, []store.APIToken{*tb}},
		{empty, nil},
	} {
		got, err := s.ListTokens(ctx, tt.tenant.ID)
		must(t, "ListTokens", err)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ListTokens(%s) (-want +got):\n%s", tt.tenant.Slug, diff)
		}
	}

	wantErr(t, "RevokeToken of b's token as a", s.RevokeToken(ctx, a.ID, tb.ID, time.Now()), store.ErrNotFound)
	wantErr(t, "RevokeToken of b's token with no tenant", s.RevokeToken(ctx, "", tb.ID, time.Now()), store.ErrNotFound)
	got, err := s.GetTokenByHash(ctx, tb.Hash)
	must(t, "GetTokenByHash", err)
	if !got.RevokedAt.IsZero() {
		t.Errorf("another tenant revoked b's token: RevokedAt = %v", got.RevokedAt)
	}
	must(t, "RevokeToken as b", s.RevokeToken(ctx, b.ID, tb.ID, time.Time{}))
	got, err = s.GetTokenByHash(ctx, tb.Hash)
	must(t, "GetTokenByHash", err)
	checkRecent(t, "RevokedAt for a zero time", got.RevokedAt)
	got, err = s.GetTokenByHash(ctx, ta.Hash)
	must(t, "GetTokenByHash", err)
	if !got.RevokedAt.IsZero() {
		t.Errorf("revoking b's token touched a's: %v", got.RevokedAt)
	}
}
