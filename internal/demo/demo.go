// Package demo installs realistic demonstration data: a small Ligurian
// municipality, a small port, a post office, an Albanian port and the
// regional police cyber-security centre that oversees the Italian ones, with
// one user per role. Seed is idempotent.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// Password is the password of every demo user. The demo listens on
// loopback only.
const Password = "vedetta-demo-2026"

// Tenant describes one demo entity.
type Tenant struct {
	store.Tenant
	Oversees []string // slugs
}

// Tenants are the demo entities.
var Tenants = []Tenant{
	{Tenant: store.Tenant{Slug: "comune-lerici", Name: "Comune di Lerici", Kind: store.KindMunicipality, Country: "IT", Locale: "it"}},
	{Tenant: store.Tenant{Slug: "porto-portovenere", Name: "Porto di Portovenere", Kind: store.KindPort, Country: "IT", Locale: "it"}},
	{Tenant: store.Tenant{Slug: "poste-portovenere", Name: "Ufficio Postale Polis di Portovenere", Kind: store.KindPostOffice, Country: "IT", Locale: "it"}},
	{Tenant: store.Tenant{Slug: "porti-shengjin", Name: "Porti i Shëngjinit", Kind: store.KindPort, Country: "AL", Locale: "sq"}},
	{Tenant: store.Tenant{Slug: "cosc-liguria", Name: "COSC Liguria – Polizia Postale", Kind: store.KindPoliceCentre, Country: "IT", Locale: "it"},
		Oversees: []string{"comune-lerici", "porto-portovenere", "poste-portovenere"}},
}

// User describes one demo user.
type User struct {
	Username, DisplayName, Email, Locale string
	PlatformAdmin                        bool
	Memberships                          map[string]store.Role // slug → role
}

// Users are the demo users, all with Password.
var Users = []User{
	{Username: "admin", DisplayName: "Amministratore piattaforma", Email: "admin@vedetta.example", PlatformAdmin: true,
		Memberships: map[string]store.Role{"cosc-liguria": store.RoleAdmin}},
	{Username: "tecnico.lerici", DisplayName: "Marco Bianchi", Email: "ced@comune.lerici.example", Locale: "it",
		Memberships: map[string]store.Role{"comune-lerici": store.RoleAdmin}},
	{Username: "operatore.lerici", DisplayName: "Giulia Neri", Email: "polizia.locale@comune.lerici.example",
		Memberships: map[string]store.Role{"comune-lerici": store.RoleOperator}},
	{Username: "pfso.portovenere", DisplayName: "Luca Ferrari", Email: "pfso@porto.portovenere.example", Locale: "it",
		Memberships: map[string]store.Role{"porto-portovenere": store.RoleAdmin}},
	{Username: "sportello.poste", DisplayName: "Anna Russo", Email: "polis.portovenere@poste.example",
		Memberships: map[string]store.Role{"poste-portovenere": store.RoleOperator}},
	{Username: "siguria.shengjin", DisplayName: "Arben Hoxha", Email: "siguria@porti-shengjin.example", Locale: "sq",
		Memberships: map[string]store.Role{"porti-shengjin": store.RoleAdmin}},
	{Username: "analista.cosc", DisplayName: "Ispettore Paolo Romano", Email: "cosc.liguria@polizia.example", Locale: "it",
		Memberships: map[string]store.Role{"cosc-liguria": store.RoleAnalyst}},
	{Username: "referente.cosc", DisplayName: "Sovrintendente Sara Gallo", Email: "referente.cosc@polizia.example",
		Memberships: map[string]store.Role{"cosc-liguria": store.RoleLiaison}},
}

// Seed installs the demo tenants and users unless they exist already. It
// reports whether anything was created.
func Seed(ctx context.Context, st store.Store, h auth.Hasher) (bool, error) {
	if _, err := st.GetTenantBySlug(ctx, Tenants[0].Slug); err == nil {
		return false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	ids := map[string]string{}
	for _, t := range Tenants {
		tt := t.Tenant
		if err := st.CreateTenant(ctx, &tt); err != nil {
			return false, fmt.Errorf("demo: tenant %s: %w", t.Slug, err)
		}
		ids[t.Slug] = tt.ID
		if err := audit(ctx, st, tt.ID, "tenant.create", "tenant:"+tt.ID); err != nil {
			return false, err
		}
	}
	for _, t := range Tenants {
		for _, o := range t.Oversees {
			if err := st.GrantOversight(ctx, store.Oversight{OverseerID: ids[t.Slug], OverseenID: ids[o], GrantedBy: "demo", CreatedAt: time.Now()}); err != nil {
				return false, fmt.Errorf("demo: oversight: %w", err)
			}
			if err := audit(ctx, st, ids[o], "oversight.grant", "tenant:"+ids[o]); err != nil {
				return false, err
			}
		}
	}
	hash, err := h.Hash(Password)
	if err != nil {
		return false, err
	}
	for _, du := range Users {
		u := &store.User{Username: du.Username, DisplayName: du.DisplayName, Email: du.Email, Locale: du.Locale, PlatformAdmin: du.PlatformAdmin, PasswordHash: hash}
		if err := st.CreateUser(ctx, u); err != nil {
			return false, fmt.Errorf("demo: user %s: %w", du.Username, err)
		}
		for slug, role := range du.Memberships {
			if err := st.SetMembership(ctx, store.Membership{UserID: u.ID, TenantID: ids[slug], Role: role}); err != nil {
				return false, err
			}
			if err := audit(ctx, st, ids[slug], "user.create", "user:"+u.ID); err != nil {
				return false, err
			}
		}
	}
	if err := seedSites(ctx, st, ids); err != nil {
		return false, err
	}
	if err := seedEvents(ctx, st, ids); err != nil {
		return false, err
	}
	if err := seedCases(ctx, st, ids); err != nil {
		return false, err
	}
	return true, nil
}

func audit(ctx context.Context, st store.Store, tenantID, action, object string) error {
	return st.AppendAudit(ctx, &store.AuditEntry{ActorID: "system", ActorName: "demo", TenantID: tenantID, Action: action, Object: object, Detail: `{"source":"demo"}`, IP: "local"})
}
