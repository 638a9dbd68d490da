// Package i18n holds the message catalogs (translations/<area>.<lang>.json,
// embedded, merged per language; a key defined twice is an error) and
// the Printer that pages, API errors and reports use. Italian and English are
// complete (a test fails when a key is missing from either); Albanian (sq)
// and Montenegrin (sr-ME) fall back to English key by key while they grow.
//
// Messages are plain strings with {name} placeholders. A key with ".one" and
// ".other" variants is plural: Printer.Plural picks the form.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
)

//go:embed translations/*.json
var files embed.FS

// Supported languages, in the order offered to users.
var Supported = []string{"it", "en", "sq", "sr-ME"}

// Complete lists the languages whose catalogs must have every key.
var Complete = []string{"it", "en"}

// Names gives each language's name in itself.
var Names = map[string]string{"it": "Italiano", "en": "English", "sq": "Shqip", "sr-ME": "Crnogorski"}

// Fallback is the language used for keys a catalog lacks.
const Fallback = "en"

var (
	loadOnce sync.Once
	catalogs map[string]map[string]string
	loadErr  error
	matcher  = language.NewMatcher([]language.Tag{
		language.Italian, language.English, language.Albanian, language.MustParse("sr-ME"),
	})
)

func load() {
	catalogs = make(map[string]map[string]string, len(Supported))
	for _, lang := range Supported {
		catalogs[lang] = map[string]string{}
	}
	names, err := fs.Glob(files, "translations/*.json")
	if err != nil {
		loadErr = fmt.Errorf("i18n: %w", err)
		return
	}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".json")
		area, lang, ok := strings.Cut(base, ".")
		if !ok || area == "" || catalogs[lang] == nil {
			loadErr = fmt.Errorf("i18n: %s: want <area>.<lang>.json with lang one of %v", name, Supported)
			return
		}
		data, err := files.ReadFile(name)
		if err != nil {
			loadErr = fmt.Errorf("i18n: %w", err)
			return
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			loadErr = fmt.Errorf("i18n: %s: %w", name, err)
			return
		}
		for k, v := range m {
			if _, dup := catalogs[lang][k]; dup {
				loadErr = fmt.Errorf("i18n: %s: key %q is defined in another %s file too", name, k, lang)
				return
			}
			catalogs[lang][k] = v
		}
	}
}

// Catalog returns the messages of one language (nil when unknown).
func Catalog(lang string) map[string]string {
	loadOnce.Do(load)
	if loadErr != nil {
		panic(loadErr) // embedded files are checked by tests
	}
	return catalogs[lang]
}

// Keys returns every key of a language's catalog, sorted.
func Keys(lang string) []string {
	c := Catalog(lang)
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Normalize maps a user's or tenant's language setting to a supported one
// ("" when unsupported).
func Normalize(lang string) string {
	for _, s := range Supported {
		if strings.EqualFold(s, lang) {
			return s
		}
	}
	return ""
}

// Match picks the best supported language for an Accept-Language header.
func Match(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Fallback
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return Fallback
	}
	return Supported[idx]
}

// Printer translates and formats for one language.
type Printer struct {
	Lang string
	msgs map[string]string
	fb   map[string]string
}

// NewPrinter returns a Printer for lang (English when unsupported).
func NewPrinter(lang string) *Printer {
	if Normalize(lang) == "" {
		lang = Fallback
	}
	lang = Normalize(lang)
	return &Printer{Lang: lang, msgs: Catalog(lang), fb: Catalog(Fallback)}
}

// T translates key, replacing {name} placeholders from args given as
// alternating names and values. An unknown key is returned as is, so a
// missing translation is visible rather than blank.
func (p *Printer) T(key string, args ...any) string {
	msg, ok := p.msgs[key]
	if !ok {
		if msg, ok = p.fb[key]; !ok {
			return key
		}
	}
	if len(args) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+fmt.Sprint(args[i])+"}", p.value(args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

// Plural translates key.one or key.other for n, with {n} set.
func (p *Printer) Plural(key string, n int, args ...any) string {
	form := ".other"
	if n == 1 {
		form = ".one"
	}
	return p.T(key+form, append([]any{"n", n}, args...)...)
}

func (p *Printer) value(v any) string {
	switch x := v.(type) {
	case int:
		return p.Number(int64(x))
	case int64:
		return p.Number(x)
	case time.Time:
		return p.DateTime(x)
	default:
		return fmt.Sprint(v)
	}
}

var monthNames = map[string][12]string{
	"en":    {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	"it":    {"gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"},
	"sq":    {"jan", "shk", "mar", "pri", "maj", "qer", "korr", "gush", "sht", "tet", "nën", "dhj"},
	"sr-ME": {"jan", "feb", "mar", "apr", "maj", "jun", "jul", "avg", "sep", "okt", "nov", "dec"},
}

// Date formats a date the way the language writes it.
func (p *Printer) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	m := monthNames[p.Lang][t.Month()-1]
	if p.Lang == "en" {
		return fmt.Sprintf("%d %s %d", t.Day(), m, t.Year())
	}
	if p.Lang == "sr-ME" {
		return fmt.Sprintf("%d. %s %d.", t.Day(), m, t.Year())
	}
	return fmt.Sprintf("%d %s %d", t.Day(), m, t.Year())
}

// DateTime formats a timestamp with a 24-hour clock.
func (p *Printer) DateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return p.Date(t) + " " + t.Format("15:04:05")
}

// Number formats an integer with the language's grouping separator.
func (p *Printer) Number(n int64) string {
	sep := "."
	switch p.Lang {
	case "en":
		sep = ","
	case "sq":
		sep = "\u00a0" // Albanian groups with a (no-break) space
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Decimal formats a float with the language's decimal separator.
func (p *Printer) Decimal(f float64, digits int) string {
	s := strconv.FormatFloat(f, 'f', digits, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(intPart, 10, 64)
	out := p.Number(n)
	if intPart == "-0" {
		out = "-0"
	}
	if frac == "" {
		return out
	}
	dec := ","
	if p.Lang == "en" {
		dec = "."
	}
	return out + dec + frac
}

// Error is an error whose message is shown to users in their language.
type Error struct {
	Key  string
	Args []any
	Err  error // optional cause, for logs only
}

// NewError returns a localised error.
func NewError(key string, args ...any) *Error { return &Error{Key: key, Args: args} }

func (e *Error) Error() string {
	msg := NewPrinter(Fallback).T(e.Key, e.Args...)
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Localize returns the message in the printer's language.
func (e *Error) Localize(p *Printer) string { return p.T(e.Key, e.Args...) }
