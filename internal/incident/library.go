package incident

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/vedetta-sec/vedetta/internal/store"
)

//go:embed playbooks/*.yml
var defaultFiles embed.FS

// Defaults returns the playbooks shipped with Vedetta, by name. It fails
// only if an embedded file is broken, which the tests rule out.
func Defaults() (map[string]*Playbook, error) {
	out := map[string]*Playbook{}
	err := fs.WalkDir(defaultFiles, "playbooks", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := defaultFiles.ReadFile(path)
		if err != nil {
			return err
		}
		p, err := ParsePlaybook(b)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out[p.Name] = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("incident: default playbooks: %w", err)
	}
	return out, nil
}

// DefaultYAML returns the shipped YAML of a default playbook, "" when
// there is none.
func DefaultYAML(name string) string {
	b, err := defaultFiles.ReadFile("playbooks/" + name + ".yml")
	if err != nil {
		return ""
	}
	return string(b)
}

// Playbooks returns a tenant's playbooks: the defaults, replaced or
// extended by the tenant's overrides. An override that no longer parses
// is skipped (the editor refuses to save one).
func Playbooks(ctx context.Context, st store.CaseStore, tenantID string) (map[string]*Playbook, error) {
	out, err := Defaults()
	if err != nil {
		return nil, err
	}
	over, err := st.ListTenantPlaybooks(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("incident: playbooks: %w", err)
	}
	for _, o := range over {
		if p, err := ParsePlaybook([]byte(o.YAML)); err == nil && p.Name == o.Name {
			out[o.Name] = p
		}
	}
	return out, nil
}

// PlaybookNames returns the names of m, sorted.
func PlaybookNames(m map[string]*Playbook) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PlaybookFor returns the playbook name for a category: the first whose
// category matches, "" when none.
func PlaybookFor(m map[string]*Playbook, c store.CaseCategory) string {
	for _, n := range PlaybookNames(m) {
		if m[n].Category == c {
			return n
		}
	}
	return ""
}

// PlaybookYAML returns the YAML a tenant edits for a playbook: its
// override, or the shipped default.
func PlaybookYAML(ctx context.Context, st store.CaseStore, tenantID, name string) (string, error) {
	p, err := st.GetTenantPlaybook(ctx, tenantID, name)
	switch {
	case err == nil:
		return p.YAML, nil
	case errors.Is(err, store.ErrNotFound):
		return DefaultYAML(name), nil
	}
	return "", fmt.Errorf("incident: playbook %s: %w", name, err)
}

// SavePlaybook validates YAML and stores it as the tenant's override of
// the playbook it names.
func SavePlaybook(ctx context.Context, st store.CaseStore, tenantID, yamlText, by string) (*Playbook, error) {
	yamlText = strings.ReplaceAll(yamlText, "\r\n", "\n")
	p, err := ParsePlaybook([]byte(yamlText))
	if err != nil {
		return nil, err
	}
	if err := st.SetTenantPlaybook(ctx, &store.TenantPlaybook{TenantID: tenantID, Name: p.Name, YAML: yamlText, UpdatedBy: by}); err != nil {
		return nil, fmt.Errorf("incident: save playbook: %w", err)
	}
	return p, nil
}
