package storetest

import (
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vedetta-sec/vedetta/internal/store"
)

func testTenants(t *testing.T, s store.Store) {
	ctx := t.Context()
	bari := &store.Tenant{Slug: "comune-bari", Name: "Comune di Bari", Kind: store.KindMunicipality, Country: "IT", Locale: "it"}
	must(t, "CreateTenant", s.CreateTenant(ctx, bari))
	checkV7(t, bari.ID)
	checkRecent(t, "CreatedAt", bari.CreatedAt)

	durres := &store.Tenant{Slug: "porti-durres", Name: "Porti i Durrësit", Kind: store.KindPort, Country: "AL", Locale: "sq"}
	must(t, "CreateTenant", s.CreateTenant(ctx, durres))
	fixed := &store.Tenant{
		ID: "0190c0de-0000-7000-8000-000000000001", Slug: "posta-bar", Name: "Pošta Bar",
		Kind: store.KindPostOffice, Country: "ME", Locale: "sr-ME",
		CreatedAt: ms(time.Date(2025, 3, 1, 8, 30, 0, 0, time.UTC)),
	}
	want := *fixed
	must(t, "CreateTenant with id", s.CreateTenant(ctx, fixed))
	if diff := cmp.Diff(&want, fixed); diff != "" {
		t.Errorf("CreateTenant changed a given ID or CreatedAt (-want +got):\n%s", diff)
	}

	for _, tn := range []*store.Tenant{bari, durres, fixed} {
		got, err := s.GetTenant(ctx, tn.ID)
		must(t, "GetTenant", err)
		if diff := cmp.Diff(tn, got); diff != "" {
			t.Errorf("GetTenant(%s) (-want +got):\n%s", tn.Slug, diff)
		}
		got, err = s.GetTenantBySlug(ctx, tn.Slug)
		must(t, "GetTenantBySlug", err)
		if diff := cmp.Diff(tn, got); diff != "" {
			t.Errorf("GetTenantBySlug(%s) (-want +got):\n%s", tn.Slug, diff)
		}
	}

	list, err := s.ListTenants(ctx)
	must(t, "ListTenants", err)
	if diff := cmp.Diff([]store.Tenant{*bari, *durres, *fixed}, list); diff != "" {
		t.Errorf("ListTenants, by name (-want +got):\n%s", diff)
	}

	bari.Slug, bari.Name, bari.Kind, bari.Country, bari.Locale = "citta-bari", "Città di Bari", store.KindConsortium, "XK", "en"
	must(t, "UpdateTenant", s.UpdateTenant(ctx, bari))
	got, err := s.GetTenant(ctx, bari.ID)
	must(t, "GetTenant after update", err)
	if diff := cmp.Diff(bari, got); diff != "" {
		t.Errorf("after UpdateTenant (-want +got):\n%s", diff)
	}
	if _, err := s.GetTenantBySlug(ctx, "comune-bari"); err == nil {
		t.Error("old slug still resolves after UpdateTenant")
	}

	must(t, "DeleteTenant", s.DeleteTenant(ctx, durres.ID))
	_, err = s.GetTenant(ctx, durres.ID)
	wantErr(t, "GetTenant after delete", err, store.ErrNotFound)
	wantErr(t, "second DeleteTenant", s.DeleteTenant(ctx, durres.ID), store.ErrNotFound)
	list, err = s.ListTenants(ctx)
	must(t, "ListTenants", err)
	if len(list) != 2 {
		t.Errorf("ListTenants after delete = %d tenants, want 2", len(list))
	}
}

func testTenantErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "alpha", store.KindMunicipality)
	b := newTenant(t, s, "beta", store.KindPort)

	dup := &store.Tenant{Slug: "alpha", Name: "Other", Kind: store.KindPort}
	wantErr(t, "CreateTenant with taken slug", s.CreateTenant(ctx, dup), store.ErrConflict)
	dupID := &store.Tenant{ID: a.ID, Slug: "gamma", Name: "Other", Kind: store.KindPort}
	wantErr(t, "CreateTenant with taken id", s.CreateTenant(ctx, dupID), store.ErrConflict)

	invalid := []struct {
		name string
		t    store.Tenant
	}{
		{"empty slug", store.Tenant{Name: "N", Kind: store.KindPort}},
		{"upper-case slug", store.Tenant{Slug: "Alpha2", Name: "N", Kind: store.KindPort}},
		{"slug with space", store.Tenant{Slug: "a b", Name: "N", Kind: store.KindPort}},
		{"slug with slash", store.Tenant{Slug: "a/b", Name: "N", Kind: store.KindPort}},
		{"empty name", store.Tenant{Slug: "ok", Kind: store.KindPort}},
		{"unknown kind", store.Tenant{Slug: "ok", Name: "N", Kind: "castle"}},
		{"empty kind", store.Tenant{Slug: "ok", Name: "N"}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			tn := tt.t
			wantErr(t, "CreateTenant", s.CreateTenant(ctx, &tn), store.ErrInvalid)
			if tn.ID != "" {
				t.Errorf("refused CreateTenant set ID %q", tn.ID)
			}
			upd := tt.t
			upd.ID = b.ID
			wantErr(t, "UpdateTenant", s.UpdateTenant(ctx, &upd), store.ErrInvalid)
		})
	}

	taken := *b
	taken.Slug = "alpha"
	wantErr(t, "UpdateTenant to a taken slug", s.UpdateTenant(ctx, &taken), store.ErrConflict)
	missing := *b
	missing.ID = "0190c0de-0000-7000-8000-00000000dead"
	wantErr(t, "UpdateTenant of a missing tenant", s.UpdateTenant(ctx, &missing), store.ErrNotFound)
	_, err := s.GetTenant(ctx, missing.ID)
	wantErr(t, "GetTenant missing", err, store.ErrNotFound)
	_, err = s.GetTenantBySlug(ctx, "nope")
	wantErr(t, "GetTenantBySlug missing", err, store.ErrNotFound)
	wantErr(t, "DeleteTenant missing", s.DeleteTenant(ctx, missing.ID), store.ErrNotFound)

	got, err := s.GetTenant(ctx, b.ID)
	must(t, "GetTenant", err)
	if diff := cmp.Diff(b, got); diff != "" {
		t.Errorf("refused updates changed the tenant (-want +got):\n%s", diff)
	}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	anna := &store.User{Username: "Anna.Rossi", DisplayName: "Anna Rossi", Email: "anna@comune.example", PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", Locale: "it"}
	must(t, "CreateUser", s.CreateUser(ctx, anna))
	checkV7(t, anna.ID)
	checkRecent(t, "CreatedAt", anna.CreatedAt)
	if anna.Username != "anna.rossi" {
		t.Errorf("Username = %q, want it lower-cased to %q", anna.Username, "anna.rossi")
	}
	if !anna.UpdatedAt.Equal(anna.CreatedAt) {
		t.Errorf("UpdatedAt %v != CreatedAt %v on create", anna.UpdatedAt, anna.CreatedAt)
	}
	arben := newUser(t, s, "arben")
	zoran := newUser(t, s, "ZORAN")

	got, err := s.GetUser(ctx, anna.ID)
	must(t, "GetUser", err)
	if diff := cmp.Diff(anna, got); diff != "" {
		t.Errorf("GetUser (-want +got):\n%s", diff)
	}
	for _, name := range []string{"anna.rossi", "ANNA.ROSSI", "Anna.Rossi"} {
		got, err := s.GetUserByUsername(ctx, name)
		must(t, "GetUserByUsername "+name, err)
		if diff := cmp.Diff(anna, got); diff != "" {
			t.Errorf("GetUserByUsername(%q) (-want +got):\n%s", name, diff)
		}
	}

	list, err := s.ListUsers(ctx)
	must(t, "ListUsers", err)
	if diff := cmp.Diff([]store.User{*anna, *arben, *zoran}, list); diff != "" {
		t.Errorf("ListUsers, by username (-want +got):\n%s", diff)
	}

	// Every mutable field changes; UpdatedAt is zeroed first to see it set.
	upd := *anna
	upd.Username = "Anna.Bianchi"
	upd.DisplayName = "Anna Bianchi"
	upd.Email = "anna.bianchi@comune.example"
	upd.PasswordHash = "$argon2id$v=19$new"
	upd.Locale = "en"
	upd.PlatformAdmin = true
	upd.TOTPSecret = "JBSWY3DPEHPK3PXP"
	upd.TOTPEnabled = true
	upd.FailedLogins = 3
	upd.LockedUntil = ms(time.Now().Add(15 * time.Minute))
	upd.Disabled = true
	upd.UpdatedAt = time.Time{}
	must(t, "UpdateUser", s.UpdateUser(ctx, &upd))
	if upd.Username != "anna.bianchi" {
		t.Errorf("UpdateUser left Username %q, want lower case", upd.Username)
	}
	checkRecent(t, "UpdatedAt after UpdateUser", upd.UpdatedAt)
	if upd.UpdatedAt.Before(anna.CreatedAt) {
		t.Errorf("UpdatedAt %v before CreatedAt %v", upd.UpdatedAt, anna.CreatedAt)
	}
	got, err = s.GetUser(ctx, anna.ID)
	must(t, "GetUser after update", err)
	if diff := cmp.Diff(&upd, got); diff != "" {
		t.Errorf("after UpdateUser (-want +got):\n%s", diff)
	}
	if _, err := s.GetUserByUsername(ctx, "anna.rossi"); err == nil {
		t.Error("old username still resolves after UpdateUser")
	}

	// And back: the booleans and the lock can be cleared.
	upd.PlatformAdmin, upd.TOTPEnabled, upd.Disabled, upd.FailedLogins, upd.LockedUntil = false, false, false, 0, time.Time{}
	must(t, "UpdateUser clear", s.UpdateUser(ctx, &upd))
	got, err = s.GetUser(ctx, anna.ID)
	must(t, "GetUser after clear", err)
	if diff := cmp.Diff(&upd, got); diff != "" {
		t.Errorf("after clearing UpdateUser (-want +got):\n%s", diff)
	}
}

func testUserErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := newUser(t, s, "marco")
	other := newUser(t, s, "luca")
	for _, name := range []string{"marco", "MARCO", "Marco"} {
		wantErr(t, "CreateUser "+name, s.CreateUser(ctx, &store.User{Username: name}), store.ErrConflict)
	}
	for _, name := range []string{"", " marco2", "marco2 "} {
		wantErr(t, "CreateUser "+name, s.CreateUser(ctx, &store.User{Username: name}), store.ErrInvalid)
	}
	wantErr(t, "CreateUser with negative FailedLogins",
		s.CreateUser(ctx, &store.User{Username: "neg", FailedLogins: -1}), store.ErrInvalid)

	taken := *other
	taken.Username = "Marco"
	wantErr(t, "UpdateUser to a taken username", s.UpdateUser(ctx, &taken), store.ErrConflict)
	missing := *u
	missing.ID = "0190c0de-0000-7000-8000-00000000dead"
	wantErr(t, "UpdateUser missing", s.UpdateUser(ctx, &missing), store.ErrNotFound)
	_, err := s.GetUser(ctx, missing.ID)
	wantErr(t, "GetUser missing", err, store.ErrNotFound)
	_, err = s.GetUserByUsername(ctx, "nobody")
	wantErr(t, "GetUserByUsername missing", err, store.ErrNotFound)

	got, err := s.GetUser(ctx, other.ID)
	must(t, "GetUser", err)
	if diff := cmp.Diff(other, got); diff != "" {
		t.Errorf("refused update changed the user (-want +got):\n%s", diff)
	}
}

func testMemberships(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "tenant-a", store.KindMunicipality)
	b := newTenant(t, s, "tenant-b", store.KindPort)
	u1 := newUser(t, s, "bruna")
	u2 := newUser(t, s, "aldo")
	u3 := newUser(t, s, "carla") // no memberships

	for _, m := range []store.Membership{
		{UserID: u1.ID, TenantID: a.ID, Role: store.RoleAdmin},
		{UserID: u1.ID, TenantID: b.ID, Role: store.RoleViewer},
		{UserID: u2.ID, TenantID: a.ID, Role: store.RoleAnalyst},
	} {
		must(t, "SetMembership", s.SetMembership(ctx, m))
	}
	// Setting again changes the role.
	must(t, "SetMembership change role", s.SetMembership(ctx, store.Membership{UserID: u1.ID, TenantID: b.ID, Role: store.RoleLiaison}))

	byTenant := func(ms []store.Membership) []store.Membership {
		sort.Slice(ms, func(i, j int) bool { return ms[i].TenantID < ms[j].TenantID })
		return ms
	}
	byUser := func(ms []store.Membership) []store.Membership {
		sort.Slice(ms, func(i, j int) bool { return ms[i].UserID < ms[j].UserID })
		return ms
	}
	got, err := s.ListMemberships(ctx, u1.ID)
	must(t, "ListMemberships", err)
	want := byTenant([]store.Membership{
		{UserID: u1.ID, TenantID: a.ID, Role: store.RoleAdmin},
		{UserID: u1.ID, TenantID: b.ID, Role: store.RoleLiaison},
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListMemberships, by tenant id (-want +got):\n%s", diff)
	}
	got, err = s.ListTenantMemberships(ctx, a.ID)
	must(t, "ListTenantMemberships", err)
	want = byUser([]store.Membership{
		{UserID: u1.ID, TenantID: a.ID, Role: store.RoleAdmin},
		{UserID: u2.ID, TenantID: a.ID, Role: store.RoleAnalyst},
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListTenantMemberships, by user id (-want +got):\n%s", diff)
	}
	users, err := s.ListTenantUsers(ctx, a.ID)
	must(t, "ListTenantUsers", err)
	if diff := cmp.Diff([]store.User{*u2, *u1}, users); diff != "" {
		t.Errorf("ListTenantUsers(a), by username (-want +got):\n%s", diff)
	}
	users, err = s.ListTenantUsers(ctx, b.ID)
	must(t, "ListTenantUsers", err)
	if diff := cmp.Diff([]store.User{*u1}, users); diff != "" {
		t.Errorf("ListTenantUsers(b) (-want +got):\n%s", diff)
	}
	if got, err := s.ListMemberships(ctx, u3.ID); err != nil || len(got) != 0 {
		t.Errorf("ListMemberships(no memberships) = %v, %v; want empty", got, err)
	}

	must(t, "RemoveMembership", s.RemoveMembership(ctx, u2.ID, a.ID))
	wantErr(t, "second RemoveMembership", s.RemoveMembership(ctx, u2.ID, a.ID), store.ErrNotFound)
	wantErr(t, "RemoveMembership never set", s.RemoveMembership(ctx, u3.ID, b.ID), store.ErrNotFound)
	users, err = s.ListTenantUsers(ctx, a.ID)
	must(t, "ListTenantUsers", err)
	if diff := cmp.Diff([]store.User{*u1}, users); diff != "" {
		t.Errorf("ListTenantUsers(a) after remove (-want +got):\n%s", diff)
	}

	wantErr(t, "SetMembership unknown user",
		s.SetMembership(ctx, store.Membership{UserID: "nobody", TenantID: a.ID, Role: store.RoleViewer}), store.ErrNotFound)
	wantErr(t, "SetMembership unknown tenant",
		s.SetMembership(ctx, store.Membership{UserID: u3.ID, TenantID: "nowhere", Role: store.RoleViewer}), store.ErrNotFound)
	wantErr(t, "SetMembership unknown role",
		s.SetMembership(ctx, store.Membership{UserID: u3.ID, TenantID: a.ID, Role: "root"}), store.ErrInvalid)
	if got, err := s.ListMemberships(ctx, u3.ID); err != nil || len(got) != 0 {
		t.Errorf("refused SetMembership stored %v, %v", got, err)
	}
}

func testOversight(t *testing.T, s store.Store) {
	ctx := t.Context()
	police := newTenant(t, s, "cyber-bari", store.KindPoliceCentre)
	m1 := newTenant(t, s, "comune-molfetta", store.KindMunicipality)
	m2 := newTenant(t, s, "comune-trani", store.KindMunicipality)
	admin := newUser(t, s, "admin")

	o1 := store.Oversight{OverseerID: police.ID, OverseenID: m1.ID, GrantedBy: admin.ID,
		CreatedAt: ms(time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC))}
	must(t, "GrantOversight", s.GrantOversight(ctx, o1))
	must(t, "GrantOversight", s.GrantOversight(ctx, store.Oversight{OverseerID: police.ID, OverseenID: m2.ID, GrantedBy: admin.ID}))

	got, err := s.ListOverseen(ctx, police.ID)
	must(t, "ListOverseen", err)
	if len(got) != 2 {
		t.Fatalf("ListOverseen = %v, want 2 grants", got)
	}
	sorted := sort.SliceIsSorted(got, func(i, j int) bool { return got[i].OverseenID < got[j].OverseenID })
	if !sorted {
		t.Errorf("ListOverseen not ordered by overseen id: %v", got)
	}
	for _, o := range got {
		switch o.OverseenID {
		case m1.ID:
			if diff := cmp.Diff(o1, o); diff != "" {
				t.Errorf("grant over m1 (-want +got):\n%s", diff)
			}
		case m2.ID:
			checkRecent(t, "CreatedAt set by GrantOversight", o.CreatedAt)
			if o.OverseerID != police.ID || o.GrantedBy != admin.ID {
				t.Errorf("grant over m2 = %+v", o)
			}
		default:
			t.Errorf("unexpected grant %+v", o)
		}
	}
	overseers, err := s.ListOverseers(ctx, m1.ID)
	must(t, "ListOverseers", err)
	if diff := cmp.Diff([]store.Oversight{o1}, overseers); diff != "" {
		t.Errorf("ListOverseers(m1) (-want +got):\n%s", diff)
	}
	if got, err := s.ListOverseen(ctx, m1.ID); err != nil || len(got) != 0 {
		t.Errorf("ListOverseen(m1) = %v, %v; want empty (oversight is one-way)", got, err)
	}

	wantErr(t, "GrantOversight twice", s.GrantOversight(ctx, o1), store.ErrConflict)
	wantErr(t, "GrantOversight over itself",
		s.GrantOversight(ctx, store.Oversight{OverseerID: m1.ID, OverseenID: m1.ID}), store.ErrInvalid)
	wantErr(t, "GrantOversight unknown overseer",
		s.GrantOversight(ctx, store.Oversight{OverseerID: "ghost", OverseenID: m1.ID}), store.ErrNotFound)
	wantErr(t, "GrantOversight unknown overseen",
		s.GrantOversight(ctx, store.Oversight{OverseerID: police.ID, OverseenID: "ghost"}), store.ErrNotFound)

	must(t, "RevokeOversight", s.RevokeOversight(ctx, police.ID, m2.ID))
	wantErr(t, "second RevokeOversight", s.RevokeOversight(ctx, police.ID, m2.ID), store.ErrNotFound)
	wantErr(t, "RevokeOversight reversed", s.RevokeOversight(ctx, m1.ID, police.ID), store.ErrNotFound)
	got, err = s.ListOverseen(ctx, police.ID)
	must(t, "ListOverseen", err)
	if diff := cmp.Diff([]store.Oversight{o1}, got); diff != "" {
		t.Errorf("ListOverseen after revoke (-want +got):\n%s", diff)
	}
}

func testCascade(t *testing.T, s store.Store) {
	ctx := t.Context()
	gone := newTenant(t, s, "gone", store.KindMunicipality)
	kept := newTenant(t, s, "kept", store.KindConsortium)
	u := newUser(t, s, "ugo")
	must(t, "SetMembership", s.SetMembership(ctx, store.Membership{UserID: u.ID, TenantID: gone.ID, Role: store.RoleAdmin}))
	must(t, "SetMembership", s.SetMembership(ctx, store.Membership{UserID: u.ID, TenantID: kept.ID, Role: store.RoleViewer}))
	must(t, "GrantOversight", s.GrantOversight(ctx, store.Oversight{OverseerID: gone.ID, OverseenID: kept.ID}))
	must(t, "GrantOversight", s.GrantOversight(ctx, store.Oversight{OverseerID: kept.ID, OverseenID: gone.ID}))
	tok := &store.APIToken{TenantID: gone.ID, Name: "ci", Role: store.RoleViewer, Prefix: "vdt_gone", Hash: "hash-gone"}
	must(t, "CreateToken", s.CreateToken(ctx, tok))
	keptTok := &store.APIToken{TenantID: kept.ID, Name: "ci", Role: store.RoleViewer, Prefix: "vdt_kept", Hash: "hash-kept"}
	must(t, "CreateToken", s.CreateToken(ctx, keptTok))
	sess := &store.Session{ID: "sess-on-gone", UserID: u.ID, TenantID: gone.ID, ExpiresAt: ms(time.Now().Add(time.Hour))}
	must(t, "CreateSession", s.CreateSession(ctx, sess))
	other := &store.Session{ID: "sess-on-kept", UserID: u.ID, TenantID: kept.ID, ExpiresAt: ms(time.Now().Add(time.Hour))}
	must(t, "CreateSession", s.CreateSession(ctx, other))

	must(t, "DeleteTenant", s.DeleteTenant(ctx, gone.ID))

	mems, err := s.ListMemberships(ctx, u.ID)
	must(t, "ListMemberships", err)
	if diff := cmp.Diff([]store.Membership{{UserID: u.ID, TenantID: kept.ID, Role: store.RoleViewer}}, mems); diff != "" {
		t.Errorf("memberships after DeleteTenant (-want +got):\n%s", diff)
	}
	if got, err := s.ListTenantMemberships(ctx, gone.ID); err != nil || len(got) != 0 {
		t.Errorf("ListTenantMemberships(deleted) = %v, %v", got, err)
	}
	if got, err := s.ListOverseen(ctx, kept.ID); err != nil || len(got) != 0 {
		t.Errorf("ListOverseen(kept) = %v, %v; grant over the deleted tenant remains", got, err)
	}
	if got, err := s.ListOverseers(ctx, kept.ID); err != nil || len(got) != 0 {
		t.Errorf("ListOverseers(kept) = %v, %v; grant by the deleted tenant remains", got, err)
	}
	if got, err := s.ListTokens(ctx, gone.ID); err != nil || len(got) != 0 {
		t.Errorf("ListTokens(deleted) = %v, %v", got, err)
	}
	_, err = s.GetTokenByHash(ctx, tok.Hash)
	wantErr(t, "GetTokenByHash of the deleted tenant's token", err, store.ErrNotFound)
	if _, err := s.GetTokenByHash(ctx, keptTok.Hash); err != nil {
		t.Errorf("other tenant's token: %v", err)
	}
	if _, err := s.GetUser(ctx, u.ID); err != nil {
		t.Errorf("user went with the tenant: %v", err)
	}
	got, err := s.GetSession(ctx, sess.ID)
	must(t, "GetSession", err)
	if got.TenantID != "" {
		t.Errorf("session still has the deleted tenant %q active", got.TenantID)
	}
	got, err = s.GetSession(ctx, other.ID)
	must(t, "GetSession", err)
	if got.TenantID != kept.ID {
		t.Errorf("unrelated session's tenant = %q, want %q", got.TenantID, kept.ID)
	}
}
