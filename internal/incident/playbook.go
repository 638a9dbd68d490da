package incident

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// ErrPlaybook reports a playbook that does not parse or validate; the
// wrapping error names the line.
var ErrPlaybook = errors.New("incident: bad playbook")

// MaxPlaybookSize bounds a playbook's YAML.
const MaxPlaybookSize = 128 << 10

// Text is a string in Italian and English.
type Text struct {
	IT string
	EN string
}

// In returns the text in lang ("it" or anything else for English),
// falling back to the other language when empty.
func (t Text) In(lang string) string {
	if strings.HasPrefix(lang, "it") && t.IT != "" || t.EN == "" {
		return t.IT
	}
	return t.EN
}

// Action kinds a playbook step can run.
const (
	ActionBlockIP     = "block_ip"
	ActionDisableUser = "disable_user"
	ActionEmail       = "email"
	ActionChat        = "chat"
)

// ActionKinds lists every action kind.
var ActionKinds = []string{ActionBlockIP, ActionDisableUser, ActionEmail, ActionChat}

// Action is an automated action of a step. Where it goes (webhook URL,
// SMTP server) comes from the tenant's Settings, so playbooks can be
// shared.
type Action struct {
	ID    string
	Kind  string
	Title Text
	// Expiry is how long a block lasts; zero = until undone.
	Expiry time.Duration
	// To lists the e-mail recipients of an email action.
	To []string
	// Message is the body of an email or chat action.
	Message Text
}

// Step is one step of a playbook.
type Step struct {
	ID           string
	Title        Text
	Instructions Text
	Checklist    []Text
	Actions      []Action
}

// Playbook is an incident-response procedure.
type Playbook struct {
	Name        string
	Category    store.CaseCategory
	Title       Text
	Description Text
	Steps       []Step
}

// Action returns the action with the given id, or nil.
func (p *Playbook) Action(id string) *Action {
	for i := range p.Steps {
		for j := range p.Steps[i].Actions {
			if p.Steps[i].Actions[j].ID == id {
				return &p.Steps[i].Actions[j]
			}
		}
	}
	return nil
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ParsePlaybook parses and validates a playbook. Errors wrap ErrPlaybook
// and name the line ("line 12: ...").
func ParsePlaybook(data []byte) (*Playbook, error) {
	if len(data) > MaxPlaybookSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrPlaybook, MaxPlaybookSize)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrPlaybook)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrPlaybook, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("%w: empty document", ErrPlaybook)
	}
	p := &Playbook{}
	if err := p.decode(doc.Content[0]); err != nil {
		return nil, err
	}
	return p, nil
}

func nodeErr(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", ErrPlaybook, n.Line, fmt.Sprintf(format, args...))
}

// fields walks a mapping node, calling set for each known key and failing
// on unknown or repeated keys.
func fields(n *yaml.Node, set map[string]func(v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return nodeErr(n, "expected a mapping")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nodeErr(k, "expected a key")
		}
		f, ok := set[k.Value]
		if !ok {
			return nodeErr(k, "unknown field %q", k.Value)
		}
		if seen[k.Value] {
			return nodeErr(k, "field %q repeated", k.Value)
		}
		seen[k.Value] = true
		if v.Kind == yaml.AliasNode {
			return nodeErr(v, "aliases are not allowed")
		}
		if err := f(v); err != nil {
			return err
		}
	}
	return nil
}

func scalar(n *yaml.Node, dst *string, max int) error {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return nodeErr(n, "expected a string")
	}
	if len(n.Value) > max || strings.ContainsRune(n.Value, 0) {
		return nodeErr(n, "text longer than %d bytes", max)
	}
	*dst = n.Value
	return nil
}

func text(n *yaml.Node, dst *Text, max int) error {
	err := fields(n, map[string]func(*yaml.Node) error{
		"it": func(v *yaml.Node) error { return scalar(v, &dst.IT, max) },
		"en": func(v *yaml.Node) error { return scalar(v, &dst.EN, max) },
	})
	if err != nil {
		return err
	}
	if strings.TrimSpace(dst.IT) == "" || strings.TrimSpace(dst.EN) == "" {
		return nodeErr(n, "text needs both it and en")
	}
	return nil
}

func seq(n *yaml.Node, max int, each func(v *yaml.Node) error) error {
	if n.Kind != yaml.SequenceNode {
		return nodeErr(n, "expected a list")
	}
	if len(n.Content) > max {
		return nodeErr(n, "more than %d items", max)
	}
	for _, v := range n.Content {
		if v.Kind == yaml.AliasNode {
			return nodeErr(v, "aliases are not allowed")
		}
		if err := each(v); err != nil {
			return err
		}
	}
	return nil
}

func (p *Playbook) decode(n *yaml.Node) error {
	var cat string
	err := fields(n, map[string]func(*yaml.Node) error{
		"name":        func(v *yaml.Node) error { return scalar(v, &p.Name, 64) },
		"category":    func(v *yaml.Node) error { return scalar(v, &cat, 64) },
		"title":       func(v *yaml.Node) error { return text(v, &p.Title, 200) },
		"description": func(v *yaml.Node) error { return text(v, &p.Description, 4000) },
		"steps": func(v *yaml.Node) error {
			return seq(v, 50, func(sv *yaml.Node) error {
				var s Step
				if err := s.decode(sv); err != nil {
					return err
				}
				p.Steps = append(p.Steps, s)
				return nil
			})
		},
	})
	if err != nil {
		return err
	}
	p.Category = store.CaseCategory(cat)
	switch {
	case !idPattern.MatchString(p.Name):
		return nodeErr(n, "name must be lower-case letters, digits, - and _")
	case !p.Category.Valid():
		return nodeErr(n, "unknown category %q", cat)
	case p.Title.IT == "":
		return nodeErr(n, "title is required")
	case len(p.Steps) == 0:
		return nodeErr(n, "at least one step is required")
	}
	ids := map[string]bool{}
	for _, s := range p.Steps {
		if ids[s.ID] {
			return fmt.Errorf("%w: step or action id %q used twice", ErrPlaybook, s.ID)
		}
		ids[s.ID] = true
		for _, a := range s.Actions {
			if ids[a.ID] {
				return fmt.Errorf("%w: step or action id %q used twice", ErrPlaybook, a.ID)
			}
			ids[a.ID] = true
		}
	}
	return nil
}

func (s *Step) decode(n *yaml.Node) error {
	err := fields(n, map[string]func(*yaml.Node) error{
		"id":           func(v *yaml.Node) error { return scalar(v, &s.ID, 64) },
		"title":        func(v *yaml.Node) error { return text(v, &s.Title, 200) },
		"instructions": func(v *yaml.Node) error { return text(v, &s.Instructions, 8000) },
		"checklist": func(v *yaml.Node) error {
			return seq(v, 50, func(cv *yaml.Node) error {
				var t Text
				if err := text(cv, &t, 500); err != nil {
					return err
				}
				s.Checklist = append(s.Checklist, t)
				return nil
			})
		},
		"actions": func(v *yaml.Node) error {
			return seq(v, 20, func(av *yaml.Node) error {
				var a Action
				if err := a.decode(av); err != nil {
					return err
				}
				s.Actions = append(s.Actions, a)
				return nil
			})
		},
	})
	if err != nil {
		return err
	}
	switch {
	case !idPattern.MatchString(s.ID):
		return nodeErr(n, "step id must be lower-case letters, digits, - and _")
	case s.Title.IT == "":
		return nodeErr(n, "step %s needs a title", s.ID)
	}
	return nil
}

func (a *Action) decode(n *yaml.Node) error {
	var expiry string
	err := fields(n, map[string]func(*yaml.Node) error{
		"id":      func(v *yaml.Node) error { return scalar(v, &a.ID, 64) },
		"kind":    func(v *yaml.Node) error { return scalar(v, &a.Kind, 32) },
		"title":   func(v *yaml.Node) error { return text(v, &a.Title, 200) },
		"expiry":  func(v *yaml.Node) error { return scalar(v, &expiry, 32) },
		"message": func(v *yaml.Node) error { return text(v, &a.Message, 4000) },
		"to": func(v *yaml.Node) error {
			return seq(v, 20, func(tv *yaml.Node) error {
				var to string
				if err := scalar(tv, &to, 254); err != nil {
					return err
				}
				if !strings.Contains(to, "@") || strings.ContainsAny(to, " \r\n<>,") {
					return nodeErr(tv, "bad e-mail address %q", to)
				}
				a.To = append(a.To, to)
				return nil
			})
		},
	})
	if err != nil {
		return err
	}
	if expiry != "" {
		d, err := time.ParseDuration(expiry)
		if err != nil || d <= 0 || d > 366*24*time.Hour {
			return nodeErr(n, "expiry %q must be a duration such as 24h", expiry)
		}
		a.Expiry = d
	}
	switch {
	case !idPattern.MatchString(a.ID):
		return nodeErr(n, "action id must be lower-case letters, digits, - and _")
	case !slices.Contains(ActionKinds, a.Kind):
		return nodeErr(n, "unknown action kind %q (want one of %s)", a.Kind, strings.Join(ActionKinds, ", "))
	case a.Title.IT == "":
		return nodeErr(n, "action %s needs a title", a.ID)
	case a.Kind == ActionEmail && len(a.To) == 0:
		return nodeErr(n, "email action %s needs recipients (to)", a.ID)
	case a.Expiry != 0 && a.Kind != ActionBlockIP && a.Kind != ActionDisableUser:
		return nodeErr(n, "expiry applies only to block_ip and disable_user")
	}
	return nil
}
