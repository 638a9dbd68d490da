package auth

import (
	"slices"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// Permission is something a role may do within its tenant. The values are
// stable identifiers, also used in audit entries and API error details.
type Permission string

// Permissions, by area.
const (
	PermReadEvents       Permission = "events.read"        // events, alerts, cases, dashboards, maps
	PermReadPersonalData Permission = "personal_data.read" // un-pseudonymised personal data (audited)
	PermTriage           Permission = "alerts.triage"      // acknowledge, assign, comment, close alerts
	PermManageCases      Permission = "cases.manage"       // open, edit, close incidents; send reports
	PermManageRules      Permission = "rules.manage"       // detection rules and their tuning
	PermManageIntel      Permission = "intel.manage"       // indicators, feeds, sharing
	PermManageSites      Permission = "sites.manage"       // sites, zones, assets
	PermManageUsers      Permission = "users.manage"       // memberships and roles in the tenant
	PermManageTokens     Permission = "tokens.manage"      // API and ingest tokens
	PermManageSettings   Permission = "settings.manage"    // tenant settings, retention, integrations
	PermReadAudit        Permission = "audit.read"         // the tenant's audit log
	PermReceiveReports   Permission = "reports.receive"    // reports and cases shared with the tenant, and replies
)

// Permissions lists every permission, in display order.
var Permissions = []Permission{
	PermReadEvents, PermReadPersonalData, PermTriage, PermManageCases, PermManageRules, PermManageIntel,
	PermManageSites, PermManageUsers, PermManageTokens, PermManageSettings, PermReadAudit, PermReceiveReports,
}

// Valid reports whether p is a known permission.
func (p Permission) Valid() bool { return slices.Contains(Permissions, p) }

// PermissionsOf returns the permissions of role, in display order; nil for
// an unknown role. The slice is the caller's.
//
//   - admin: everything in the tenant, including users, tokens, settings.
//   - analyst: reads everything (personal data and the audit log included),
//     triages, manages cases, rules and intelligence, receives reports; not
//     sites, users, tokens or settings.
//   - operator: reads events and alerts and triages them (acknowledge,
//     comment); no personal data, no configuration.
//   - viewer: reads events and alerts only.
//   - liaison: the partner contact (e.g. at the police centre): only the
//     reports and cases shared with the tenant, and replies to them.
func PermissionsOf(role store.Role) []Permission {
	switch role {
	case store.RoleAdmin:
		return slices.Clone(Permissions)
	case store.RoleAnalyst:
		return []Permission{PermReadEvents, PermReadPersonalData, PermTriage, PermManageCases,
			PermManageRules, PermManageIntel, PermReadAudit, PermReceiveReports}
	case store.RoleOperator:
		return []Permission{PermReadEvents, PermTriage}
	case store.RoleViewer:
		return []Permission{PermReadEvents}
	case store.RoleLiaison:
		return []Permission{PermReceiveReports}
	}
	return nil
}

// Allows reports whether role has perm. Unknown roles and permissions are
// refused.
func Allows(role store.Role, perm Permission) bool {
	return slices.Contains(PermissionsOf(role), perm)
}
