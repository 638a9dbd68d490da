package sigma

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// LoadDir loads every .yml and .yaml file under dir; see LoadFS.
func LoadDir(dir string, cfg *Config) (*Ruleset, []*ParseError) {
	rs, errs := LoadFS(os.DirFS(dir), cfg)
	for _, e := range errs {
		e.File = filepath.Join(dir, filepath.FromSlash(e.File))
	}
	for _, r := range rs.rules {
		r.File = filepath.Join(dir, filepath.FromSlash(r.File))
	}
	for _, r := range rs.corrs {
		r.File = filepath.Join(dir, filepath.FromSlash(r.File))
	}
	for _, r := range rs.filters {
		r.File = filepath.Join(dir, filepath.FromSlash(r.File))
	}
	return rs, errs
}

// LoadFS loads every .yml and .yaml file of fsys into one Ruleset. Files
// that fail to parse, rules whose id or name repeats an earlier one, and
// correlations whose references do not resolve are left out, each with an
// error saying why; everything else is loaded. The Ruleset is never nil.
func LoadFS(fsys fs.FS, cfg *Config) (*Ruleset, []*ParseError) {
	var errs []*ParseError
	var files []string
	walkErr := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, &ParseError{File: p, Err: fmt.Errorf("%w: %v", ErrInvalidRule, err)})
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if ext := strings.ToLower(path.Ext(p)); ext == ".yml" || ext == ".yaml" {
			files = append(files, p)
		}
		return nil
	})
	if walkErr != nil {
		errs = append(errs, &ParseError{File: ".", Err: walkErr})
	}
	sort.Strings(files)
	var rules []*Rule
	ids := make(map[string]string)
	names := make(map[string]string)
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			errs = append(errs, &ParseError{File: f, Err: fmt.Errorf("%w: %v", ErrInvalidRule, err)})
			continue
		}
		rs, err := Parse(data, f, cfg)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				pe = &ParseError{File: f, Err: err}
			}
			errs = append(errs, pe)
			continue
		}
		var dup error
		for _, r := range rs {
			if o, ok := ids[r.ID]; ok && r.ID != "" {
				dup = fmt.Errorf("%w: duplicate id %s (first in %s)", ErrInvalidRule, r.ID, o)
			}
			if o, ok := names[r.Name]; ok && r.Name != "" {
				dup = fmt.Errorf("%w: duplicate name %s (first in %s)", ErrInvalidRule, r.Name, o)
			}
		}
		if dup != nil {
			errs = append(errs, &ParseError{File: f, Err: dup})
			continue
		}
		for _, r := range rs {
			if r.ID != "" {
				ids[r.ID] = f
			}
			if r.Name != "" {
				names[r.Name] = f
			}
		}
		rules = append(rules, rs...)
	}
	// Drop correlations with dangling references until none is left.
	for {
		known := make(map[string]bool)
		for _, r := range rules {
			known[r.ID] = r.ID != ""
			if r.Name != "" {
				known[r.Name] = true
			}
		}
		kept := rules[:0]
		dropped := false
		for _, r := range rules {
			var refs []string
			switch {
			case r.Correlation != nil:
				refs = r.Correlation.Rules
			case r.Filter != nil:
				refs = r.Filter.Rules
			}
			if refs != nil {
				missing := ""
				for _, ref := range refs {
					if !known[ref] {
						missing = ref
						break
					}
				}
				if missing != "" {
					sentinel := ErrCorrelation
					if r.Filter != nil {
						sentinel = ErrInvalidRule
					}
					errs = append(errs, &ParseError{File: r.File, Line: r.Line, Err: fmt.Errorf("%w: rule %q is not loaded", sentinel, missing)})
					dropped = true
					continue
				}
			}
			kept = append(kept, r)
		}
		rules = kept
		if !dropped {
			break
		}
	}
	for {
		rs, err := NewRuleset(rules, cfg)
		if err == nil {
			return rs, errs
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			pe = &ParseError{File: "", Err: err}
		}
		errs = append(errs, pe)
		// Remove the offending rule (a correlation cycle or alias error)
		// and try again.
		kept := rules[:0]
		for _, r := range rules {
			if r.File == pe.File && r.Line == pe.Line {
				continue
			}
			kept = append(kept, r)
		}
		if len(kept) == len(rules) {
			empty, _ := NewRuleset(nil, cfg)
			return empty, errs
		}
		rules = kept
	}
}
