package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/web"
)

// TenantCmd groups tenant commands.
type TenantCmd struct {
	Add  TenantAddCmd  `cmd:"" help:"Add a tenant."`
	List TenantListCmd `cmd:"" help:"List tenants."`
}

// TenantAddCmd adds a tenant.
type TenantAddCmd struct {
	configFlag
	Slug     string   `required:"" help:"Short unique name (a-z, 0-9, . - _)."`
	Name     string   `required:"" help:"Display name."`
	Kind     string   `required:"" enum:"municipality,port,post_office,consortium,police_centre" help:"One of: ${enum}."`
	Country  string   `default:"IT" enum:"IT,AL,ME" help:"Country: IT, AL or ME."`
	Locale   string   `default:"it" enum:"it,en,sq,sr-ME" help:"Default language."`
	Oversees []string `help:"Slugs of tenants this one oversees (police centre, consortium)."`
}

func jsonDetail(kv map[string]any) string {
	b, _ := json.Marshal(kv)
	return string(b)
}

// Run implements the command.
func (c *TenantAddCmd) Run(g *Globals) error {
	return withStore(g, c.configFlag, func(st store.Store) error {
		t := &store.Tenant{Slug: c.Slug, Name: c.Name, Kind: store.TenantKind(c.Kind), Country: c.Country, Locale: c.Locale}
		if err := web.ValidateTenant(t); err != nil {
			return err
		}
		if err := st.CreateTenant(g.ctx, t); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("tenant %q exists already", c.Slug)
			}
			return err
		}
		if err := auditCLI(g, st, t.ID, "tenant.create", "tenant:"+t.ID, jsonDetail(map[string]any{"slug": t.Slug, "kind": t.Kind})); err != nil {
			return err
		}
		for _, slug := range c.Oversees {
			o, err := st.GetTenantBySlug(g.ctx, slug)
			if err != nil {
				return fmt.Errorf("oversees %q: %w", slug, err)
			}
			if err := st.GrantOversight(g.ctx, store.Oversight{OverseerID: t.ID, OverseenID: o.ID, GrantedBy: "cli", CreatedAt: time.Now()}); err != nil {
				return err
			}
			if err := auditCLI(g, st, o.ID, "oversight.grant", "tenant:"+o.ID, jsonDetail(map[string]any{"overseer": t.ID})); err != nil {
				return err
			}
		}
		fmt.Fprintf(g.stdout, "tenant %s created (id %s)\n", t.Slug, t.ID)
		return nil
	})
}

// TenantListCmd lists tenants.
type TenantListCmd struct {
	configFlag
}

// Run implements the command.
func (c *TenantListCmd) Run(g *Globals) error {
	return withStore(g, c.configFlag, func(st store.Store) error {
		ts, err := st.ListTenants(g.ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SLUG\tNAME\tKIND\tCOUNTRY\tID")
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Name, t.Kind, t.Country, t.ID)
		}
		return tw.Flush()
	})
}

// UserCmd groups user commands.
type UserCmd struct {
	Add    UserAddCmd    `cmd:"" help:"Add a user (password read from standard input)."`
	Passwd UserPasswdCmd `cmd:"" help:"Set a user's password (read from standard input) and unlock the account."`
	List   UserListCmd   `cmd:"" help:"List users and their memberships."`
}

// UserAddCmd adds a user.
type UserAddCmd struct {
	configFlag
	Username      string   `required:"" help:"Login name."`
	DisplayName   string   `help:"Full name."`
	Email         string   `help:"E-mail address."`
	Tenant        []string `help:"Membership as SLUG:ROLE (roles: admin, analyst, operator, viewer, liaison); repeatable."`
	PlatformAdmin bool     `help:"Make the user a platform administrator."`
	Locale        string   `help:"Preferred language (it, en, sq, sr-ME)."`
}

func readPassword(g *Globals) (string, error) {
	sc := bufio.NewScanner(g.stdin)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return "", err
		}
		return "", errors.New("no password on standard input (e.g. echo 'a long passphrase' | vedetta user add …)")
	}
	return strings.TrimRight(sc.Text(), "\r\n"), nil
}

func policyErr(err error) error {
	var pe *auth.PolicyError
	if errors.As(err, &pe) {
		var args []any
		for k, v := range pe.Args {
			args = append(args, k, v)
		}
		return errors.New(i18n.NewPrinter("en").T(pe.Key, args...))
	}
	return err
}

// Run implements the command.
func (c *UserAddCmd) Run(g *Globals) error {
	type member struct {
		slug string
		role store.Role
	}
	var ms []member
	for _, m := range c.Tenant {
		slug, role, ok := strings.Cut(m, ":")
		if !ok || !store.Role(role).Valid() {
			return fmt.Errorf("--tenant %q: want SLUG:ROLE with ROLE one of admin, analyst, operator, viewer, liaison", m)
		}
		ms = append(ms, member{slug, store.Role(role)})
	}
	if len(ms) == 0 && !c.PlatformAdmin {
		return errors.New("give at least one --tenant SLUG:ROLE, or --platform-admin")
	}
	pw, err := readPassword(g)
	if err != nil {
		return err
	}
	username := strings.ToLower(c.Username)
	if err := auth.CheckPassword(pw, username); err != nil {
		return policyErr(err)
	}
	return withStore(g, c.configFlag, func(st store.Store) error {
		hash, err := auth.DefaultHasher().Hash(pw)
		if err != nil {
			return err
		}
		u := &store.User{Username: username, DisplayName: c.DisplayName, Email: c.Email, PasswordHash: hash, PlatformAdmin: c.PlatformAdmin, Locale: i18n.Normalize(c.Locale)}
		var tenants []*store.Tenant
		for _, m := range ms {
			t, err := st.GetTenantBySlug(g.ctx, m.slug)
			if err != nil {
				return fmt.Errorf("tenant %q: %w", m.slug, err)
			}
			tenants = append(tenants, t)
		}
		if err := st.CreateUser(g.ctx, u); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("user %q exists already", username)
			}
			return err
		}
		for i, m := range ms {
			if err := st.SetMembership(g.ctx, store.Membership{UserID: u.ID, TenantID: tenants[i].ID, Role: m.role}); err != nil {
				return err
			}
			if err := auditCLI(g, st, tenants[i].ID, "user.create", "user:"+u.ID, jsonDetail(map[string]any{"username": u.Username, "role": m.role})); err != nil {
				return err
			}
		}
		if len(ms) == 0 {
			if err := auditCLI(g, st, "", "user.create", "user:"+u.ID, jsonDetail(map[string]any{"username": u.Username, "platform_admin": true})); err != nil {
				return err
			}
		}
		fmt.Fprintf(g.stdout, "user %s created (id %s)\n", u.Username, u.ID)
		return nil
	})
}

// UserPasswdCmd sets a password.
type UserPasswdCmd struct {
	configFlag
	Username string `arg:"" help:"Login name."`
}

// Run implements the command.
func (c *UserPasswdCmd) Run(g *Globals) error {
	pw, err := readPassword(g)
	if err != nil {
		return err
	}
	username := strings.ToLower(c.Username)
	if err := auth.CheckPassword(pw, username); err != nil {
		return policyErr(err)
	}
	return withStore(g, c.configFlag, func(st store.Store) error {
		u, err := st.GetUserByUsername(g.ctx, username)
		if err != nil {
			return fmt.Errorf("user %q: %w", username, err)
		}
		if u.PasswordHash, err = auth.DefaultHasher().Hash(pw); err != nil {
			return err
		}
		u.FailedLogins, u.LockedUntil = 0, time.Time{}
		if err := st.UpdateUser(g.ctx, u); err != nil {
			return err
		}
		if err := st.DeleteUserSessions(g.ctx, u.ID); err != nil {
			return err
		}
		if err := auditCLI(g, st, "", "user.password_reset", "user:"+u.ID, ""); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "password of %s changed; the account is unlocked and its sessions ended\n", u.Username)
		return nil
	})
}

// UserListCmd lists users.
type UserListCmd struct {
	configFlag
}

// Run implements the command.
func (c *UserListCmd) Run(g *Globals) error {
	return withStore(g, c.configFlag, func(st store.Store) error {
		us, err := st.ListUsers(g.ctx)
		if err != nil {
			return err
		}
		if err := auditCLI(g, st, "", "personal_data.read", "users", jsonDetail(map[string]any{"count": len(us)})); err != nil {
			return err
		}
		slugs := map[string]string{}
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tNAME\tPLATFORM-ADMIN\tTOTP\tMEMBERSHIPS")
		for _, u := range us {
			ms, err := st.ListMemberships(g.ctx, u.ID)
			if err != nil {
				return err
			}
			var parts []string
			for _, m := range ms {
				if _, ok := slugs[m.TenantID]; !ok {
					if t, err := st.GetTenant(g.ctx, m.TenantID); err == nil {
						slugs[m.TenantID] = t.Slug
					}
				}
				parts = append(parts, slugs[m.TenantID]+":"+string(m.Role))
			}
			fmt.Fprintf(tw, "%s\t%s\t%t\t%t\t%s\n", u.Username, u.DisplayName, u.PlatformAdmin, u.TOTPEnabled, strings.Join(parts, ","))
		}
		return tw.Flush()
	})
}

// TokenCmd groups API token commands.
type TokenCmd struct {
	Create TokenCreateCmd `cmd:"" help:"Create an API token (the secret is printed once)."`
	Revoke TokenRevokeCmd `cmd:"" help:"Revoke an API token."`
	List   TokenListCmd   `cmd:"" help:"List a tenant's API tokens."`
}

// TokenCreateCmd creates a token.
type TokenCreateCmd struct {
	configFlag
	Tenant string `required:"" help:"Tenant slug."`
	Name   string `required:"" help:"What the token is for."`
	Role   string `default:"viewer" enum:"admin,analyst,operator,viewer,liaison" help:"Role: ${enum}."`
	Days   int    `default:"90" help:"Validity in days (0 = no expiry)."`
}

// Run implements the command.
func (c *TokenCreateCmd) Run(g *Globals) error {
	if c.Days < 0 || c.Days > 3650 {
		return errors.New("--days must be between 0 and 3650")
	}
	return withStore(g, c.configFlag, func(st store.Store) error {
		t, err := st.GetTenantBySlug(g.ctx, c.Tenant)
		if err != nil {
			return fmt.Errorf("tenant %q: %w", c.Tenant, err)
		}
		secret, prefix, hash := auth.NewAPIToken()
		tok := &store.APIToken{TenantID: t.ID, Name: c.Name, Role: store.Role(c.Role), Prefix: prefix, Hash: hash, CreatedBy: "cli", CreatedAt: time.Now()}
		if c.Days > 0 {
			tok.ExpiresAt = tok.CreatedAt.Add(time.Duration(c.Days) * 24 * time.Hour)
		}
		if err := st.CreateToken(g.ctx, tok); err != nil {
			return err
		}
		if err := auditCLI(g, st, t.ID, "token.create", "token:"+tok.ID, jsonDetail(map[string]any{"name": c.Name, "role": c.Role})); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "token %s created for %s; copy the secret now, it is not shown again:\n%s\n", tok.ID, t.Slug, secret)
		return nil
	})
}

// TokenRevokeCmd revokes a token.
type TokenRevokeCmd struct {
	configFlag
	Tenant string `required:"" help:"Tenant slug."`
	ID     string `arg:"" help:"Token id."`
}

// Run implements the command.
func (c *TokenRevokeCmd) Run(g *Globals) error {
	return withStore(g, c.configFlag, func(st store.Store) error {
		t, err := st.GetTenantBySlug(g.ctx, c.Tenant)
		if err != nil {
			return fmt.Errorf("tenant %q: %w", c.Tenant, err)
		}
		if err := st.RevokeToken(g.ctx, t.ID, c.ID, time.Now()); err != nil {
			return fmt.Errorf("token %s: %w", c.ID, err)
		}
		if err := auditCLI(g, st, t.ID, "token.revoke", "token:"+c.ID, ""); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "token %s revoked\n", c.ID)
		return nil
	})
}

// TokenListCmd lists tokens.
type TokenListCmd struct {
	configFlag
	Tenant string `required:"" help:"Tenant slug."`
}

// Run implements the command.
func (c *TokenListCmd) Run(g *Globals) error {
	return withStore(g, c.configFlag, func(st store.Store) error {
		t, err := st.GetTenantBySlug(g.ctx, c.Tenant)
		if err != nil {
			return fmt.Errorf("tenant %q: %w", c.Tenant, err)
		}
		toks, err := st.ListTokens(g.ctx, t.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tPREFIX\tCREATED\tEXPIRES\tSTATUS")
		for _, k := range toks {
			status, exp := "active", "never"
			if !k.RevokedAt.IsZero() {
				status = "revoked " + k.RevokedAt.Format(time.DateOnly)
			}
			if !k.ExpiresAt.IsZero() {
				exp = k.ExpiresAt.Format(time.DateOnly)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, k.Prefix, k.CreatedAt.Format(time.DateOnly), exp, status)
		}
		return tw.Flush()
	})
}

// AuditCmd groups audit commands.
type AuditCmd struct {
	Verify AuditVerifyCmd `cmd:"" help:"Verify the audit log's hash chain: prints OK or the first broken entry."`
}

// AuditVerifyCmd verifies the chain.
type AuditVerifyCmd struct {
	configFlag
}

// ErrAuditBroken is returned when the chain does not verify.
var ErrAuditBroken = errors.New("audit log verification failed")

// Run implements the command.
func (c *AuditVerifyCmd) Run(g *Globals) error {
	return withStore(g, c.configFlag, func(st store.Store) error {
		seq, err := st.VerifyAudit(g.ctx)
		if err != nil {
			return err
		}
		if seq != 0 {
			fmt.Fprintf(g.stdout, "BROKEN at entry %d: it was altered, or an entry before it was deleted\n", seq)
			if es, err := st.ListAudit(g.ctx, store.AuditFilter{BeforeSeq: seq + 1, Limit: 1}); err == nil && len(es) == 1 && es[0].Seq == seq {
				e := es[0]
				fmt.Fprintf(g.stdout, "  entry %d as stored: %s %s by %s (%s) on %s, tenant %q, detail %s\n",
					e.Seq, e.Time.UTC().Format(time.RFC3339Nano), e.Action, e.ActorName, e.ActorID, e.Object, e.TenantID, e.Detail)
			}
			return fmt.Errorf("%w: first broken entry is %d", ErrAuditBroken, seq)
		}
		fmt.Fprintln(g.stdout, "OK")
		return nil
	})
}
