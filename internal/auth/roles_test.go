package auth

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vedetta-sec/vedetta/internal/store"
)

func TestAllowsMatrix(t *testing.T) {
	// Columns: admin, analyst, operator, viewer, liaison.
	const Y, N = true, false
	matrix := map[Permission][5]bool{
		PermReadEvents:       {Y, Y, Y, Y, N},
		PermReadPersonalData: {Y, Y, N, N, N},
		PermTriage:           {Y, Y, Y, N, N},
		PermManageCases:      {Y, Y, N, N, N},
		PermManageRules:      {Y, Y, N, N, N},
		PermManageIntel:      {Y, Y, N, N, N},
		PermManageSites:      {Y, N, N, N, N},
		PermManageUsers:      {Y, N, N, N, N},
		PermManageTokens:     {Y, N, N, N, N},
		PermManageSettings:   {Y, N, N, N, N},
		PermReadAudit:        {Y, Y, N, N, N},
		PermReceiveReports:   {Y, Y, N, N, Y},
	}
	roles := [5]store.Role{store.RoleAdmin, store.RoleAnalyst, store.RoleOperator, store.RoleViewer, store.RoleLiaison}
	if diff := cmp.Diff(store.Roles, roles[:]); diff != "" {
		t.Fatalf("store.Roles changed; update this matrix (-have +matrix):\n%s", diff)
	}
	if len(matrix) != len(Permissions) {
		t.Fatalf("matrix has %d permissions, Permissions %d", len(matrix), len(Permissions))
	}
	for _, perm := range Permissions {
		row, ok := matrix[perm]
		if !ok {
			t.Errorf("permission %s missing from the matrix", perm)
			continue
		}
		for i, role := range roles {
			t.Run(string(role)+"/"+string(perm), func(t *testing.T) {
				if got := Allows(role, perm); got != row[i] {
					t.Errorf("Allows(%s, %s) = %v, want %v", role, perm, got, row[i])
				}
			})
		}
	}
}

func TestAllowsUnknown(t *testing.T) {
	tests := []struct {
		role store.Role
		perm Permission
	}{
		{"", PermReadEvents},
		{"root", PermReadEvents},
		{"Admin", PermReadEvents}, // roles are case-sensitive
		{store.RoleAdmin, ""},
		{store.RoleAdmin, "everything"},
		{store.RoleAdmin, "EVENTS.READ"},
	}
	for _, tt := range tests {
		if Allows(tt.role, tt.perm) {
			t.Errorf("Allows(%q, %q) = true", tt.role, tt.perm)
		}
	}
}

func TestPermissionsOf(t *testing.T) {
	seen := map[Permission]bool{}
	for _, p := range Permissions {
		if seen[p] || !p.Valid() {
			t.Errorf("permission %q duplicate or invalid", p)
		}
		seen[p] = true
	}
	// Each role's set is a subset of the one above it in the hierarchy,
	// except liaison, which stands apart.
	chain := []store.Role{store.RoleAdmin, store.RoleAnalyst, store.RoleOperator, store.RoleViewer}
	for i := 1; i < len(chain); i++ {
		for _, p := range PermissionsOf(chain[i]) {
			if !Allows(chain[i-1], p) {
				t.Errorf("%s has %s but %s does not", chain[i], p, chain[i-1])
			}
		}
	}
	// The returned slice is a copy.
	ps := PermissionsOf(store.RoleAdmin)
	ps[0] = "tampered"
	if !Allows(store.RoleAdmin, PermReadEvents) {
		t.Error("modifying PermissionsOf's result changed the table")
	}
	if PermissionsOf("nobody") != nil {
		t.Error("unknown role has permissions")
	}
}
