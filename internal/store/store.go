// Package store declares Vedetta's storage contract: the domain records of the
// platform (tenants, users, memberships, oversight grants, sessions, API
// tokens, the hash-chained audit log) and the Store interface that the two
// backends, store/sqlite and store/postgres, implement. The conformance suite
// in store/storetest runs the whole contract against both.
//
// Tenant scoping is enforced here: every method that touches an object owned
// by a tenant takes the tenant id and filters on it in SQL, so a handler that
// passes the caller's tenant can never reach another tenant's row.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap them with %w.
var (
	ErrNotFound = errors.New("store: not found")
	ErrConflict = errors.New("store: conflict") // unique constraint (slug, username, …)
)

// TenantKind is the kind of entity a tenant is.
type TenantKind string

// Tenant kinds.
const (
	KindMunicipality TenantKind = "municipality"
	KindPort         TenantKind = "port"
	KindPostOffice   TenantKind = "post_office"
	KindConsortium   TenantKind = "consortium"
	KindPoliceCentre TenantKind = "police_centre"
)

// TenantKinds lists every kind, in display order.
var TenantKinds = []TenantKind{KindMunicipality, KindPort, KindPostOffice, KindConsortium, KindPoliceCentre}

// Valid reports whether k is a known kind.
func (k TenantKind) Valid() bool {
	for _, x := range TenantKinds {
		if x == k {
			return true
		}
	}
	return false
}

// Role is a user's role within one tenant.
type Role string

// Roles, from most to least privileged. Liaison is the partner contact who
// receives reports (e.g. at the police centre).
const (
	RoleAdmin    Role = "admin"
	RoleAnalyst  Role = "analyst"
	RoleOperator Role = "operator"
	RoleViewer   Role = "viewer"
	RoleLiaison  Role = "liaison"
)

// Roles lists every role, in display order.
var Roles = []Role{RoleAdmin, RoleAnalyst, RoleOperator, RoleViewer, RoleLiaison}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Tenant is one protected entity (a municipality, a port, …) or an overseer.
type Tenant struct {
	ID        string
	Slug      string // unique, URL-safe
	Name      string
	Kind      TenantKind
	Country   string // ISO 3166-1 alpha-2: IT, AL, ME
	Locale    string // default UI language for the tenant's users
	CreatedAt time.Time
}

// User is a person who logs in. A user belongs to tenants through
// memberships; PlatformAdmin users administer the installation.
type User struct {
	ID            string
	Username      string // unique, lower-case
	DisplayName   string
	Email         string
	PasswordHash  string // argon2id PHC string
	Locale        string // preferred language; "" = from the browser
	PlatformAdmin bool
	TOTPSecret    string // base32; set while enrolling, kept when enabled
	TOTPEnabled   bool
	FailedLogins  int
	LockedUntil   time.Time
	Disabled      bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Membership gives a user a role in a tenant.
type Membership struct {
	UserID   string
	TenantID string
	Role     Role
}

// Oversight lets OverseerID read OverseenID's data (a police centre over the
// municipalities of its region, a consortium over its members).
type Oversight struct {
	OverseerID string
	OverseenID string
	GrantedBy  string // user id
	CreatedAt  time.Time
}

// Session is a browser session. ID is the SHA-256 (hex) of the cookie token;
// the token itself is never stored.
type Session struct {
	ID          string
	UserID      string
	TenantID    string // active tenant ("" until chosen)
	CSRFToken   string
	TOTPPending bool // password verified, second factor still due
	CreatedAt   time.Time
	LastSeen    time.Time
	ExpiresAt   time.Time // absolute expiry
	IP          string
	UserAgent   string
}

// APIToken is a bearer token for /api/v1, scoped to one tenant and role.
// Hash is the SHA-256 (hex) of the secret; Prefix is its first characters,
// shown in lists so users can tell tokens apart.
type APIToken struct {
	ID         string
	TenantID   string
	Name       string
	Role       Role
	Prefix     string
	Hash       string
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero = never
	RevokedAt  time.Time // zero = active
	LastUsedAt time.Time
}

// AuditEntry is one line of the append-only audit log. Seq, PrevHash and Hash
// are assigned by AppendAudit; Hash = AuditHash(PrevHash, entry).
type AuditEntry struct {
	Seq       int64
	Time      time.Time
	ActorID   string // user id, "token:<id>" or "system"
	ActorName string
	TenantID  string // "" for platform-level actions
	Action    string // dotted verb, e.g. "user.create", "session.login", "personal_data.read"
	Object    string // what was acted on, e.g. "user:0190…"
	Detail    string // JSON object with the specifics
	IP        string
	PrevHash  string
	Hash      string
}

// AuditFilter selects audit entries. Zero fields match everything.
// TenantIDs, when non-nil, restricts to those tenants (an empty non-nil slice
// matches nothing).
type AuditFilter struct {
	TenantIDs []string
	ActorID   string
	Action    string // prefix match
	Since     time.Time
	Until     time.Time
	BeforeSeq int64 // paging: only entries with Seq < BeforeSeq
	Limit     int   // default 100, max 1000
}

// Store is the storage contract. Methods return ErrNotFound and ErrConflict
// (wrapped) for those conditions.
type Store interface {
	SiteStore
	CaseStore
	RemoteReportStore
	AlertStore
	IndicatorStore
	EventStore
	SourceStore
	NotifyStore

	// Migrate applies pending migrations; safe when several instances
	// start at once.
	Migrate(ctx context.Context) error
	Ping(ctx context.Context) error
	Close() error

	CreateTenant(ctx context.Context, t *Tenant) error // sets ID and CreatedAt when empty
	GetTenant(ctx context.Context, id string) (*Tenant, error)
	GetTenantBySlug(ctx context.Context, slug string) (*Tenant, error)
	ListTenants(ctx context.Context) ([]Tenant, error)
	UpdateTenant(ctx context.Context, t *Tenant) error
	DeleteTenant(ctx context.Context, id string) error

	CreateUser(ctx context.Context, u *User) error // sets ID, CreatedAt, UpdatedAt
	GetUser(ctx context.Context, id string) (*User, error)
	GetUserByUsername(ctx context.Context, username string) (*User, error)
	ListUsers(ctx context.Context) ([]User, error)
	// ListTenantUsers lists the users that have a membership in the tenant.
	ListTenantUsers(ctx context.Context, tenantID string) ([]User, error)
	UpdateUser(ctx context.Context, u *User) error // every mutable field; bumps UpdatedAt
	// AdvanceTOTPStep records that the user logged in with TOTP time step
	// step, atomically across instances: it reports false, changing
	// nothing, when that step or a later one was used before (a replayed
	// code). ErrNotFound for an unknown user.
	AdvanceTOTPStep(ctx context.Context, userID string, step int64) (bool, error)
	// AddFailedLogin adds one to the user's failed logins atomically and
	// returns the new count; when lockUntil is not nil it is called with
	// that count and a non-zero time it returns extends LockedUntil (never
	// shortens it). ErrNotFound for an unknown user.
	AddFailedLogin(ctx context.Context, userID string, lockUntil func(failures int) time.Time) (int, error)

	SetMembership(ctx context.Context, m Membership) error // insert or change role
	RemoveMembership(ctx context.Context, userID, tenantID string) error
	ListMemberships(ctx context.Context, userID string) ([]Membership, error)
	ListTenantMemberships(ctx context.Context, tenantID string) ([]Membership, error)

	GrantOversight(ctx context.Context, o Oversight) error
	RevokeOversight(ctx context.Context, overseerID, overseenID string) error
	// ListOverseen returns the tenants the overseer may read.
	ListOverseen(ctx context.Context, overseerID string) ([]Oversight, error)
	ListOverseers(ctx context.Context, overseenID string) ([]Oversight, error)

	CreateSession(ctx context.Context, s *Session) error
	GetSession(ctx context.Context, id string) (*Session, error)
	UpdateSession(ctx context.Context, s *Session) error // TenantID, TOTPPending, LastSeen, CSRFToken
	DeleteSession(ctx context.Context, id string) error
	DeleteUserSessions(ctx context.Context, userID string) error
	DeleteExpiredSessions(ctx context.Context, now time.Time, idle time.Duration) (int, error)

	CreateToken(ctx context.Context, t *APIToken) error
	GetTokenByHash(ctx context.Context, hash string) (*APIToken, error)
	ListTokens(ctx context.Context, tenantID string) ([]APIToken, error)
	RevokeToken(ctx context.Context, tenantID, id string, at time.Time) error
	TouchToken(ctx context.Context, id string, at time.Time) error

	// AppendAudit assigns Seq, Time (when zero), PrevHash and Hash and
	// stores the entry; appends are serialised across processes.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// VerifyAudit walks the whole chain; it returns (0, nil) when intact,
	// else the Seq of the first entry whose hash or link is wrong.
	VerifyAudit(ctx context.Context) (int64, error)
}
