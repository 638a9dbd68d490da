package ifc

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the kind of a STEP parameter value.
type Kind uint8

// The kinds of STEP parameter values.
const (
	KindNull    Kind = iota // $
	KindDerived             // *
	KindInteger
	KindReal
	KindString
	KindEnum   // .T., Str holds the name without dots
	KindRef    // #12
	KindList   // (a, b, …)
	KindTyped  // IFCLABEL('x'): Str is the type name, List its parameters
	KindBinary // "0FF": Str holds the hex digits
)

// Value is one parameter of a STEP entity instance.
type Value struct {
	Kind Kind
	Int  int64
	Real float64
	Str  string
	Ref  int64
	List []Value
}

// Float returns a numeric value (integer, real, or a typed number such as
// IFCLENGTHMEASURE(2.5)) as float64.
func (v Value) Float() (float64, bool) {
	switch v.Kind {
	case KindReal:
		return v.Real, true
	case KindInteger:
		return float64(v.Int), true
	case KindTyped:
		if len(v.List) == 1 {
			return v.List[0].Float()
		}
	}
	return 0, false
}

// Text returns a string value, or the string inside a typed value such as
// IFCLABEL('x'); "" otherwise.
func (v Value) Text() string {
	switch v.Kind {
	case KindString:
		return v.Str
	case KindTyped:
		if len(v.List) == 1 {
			return v.List[0].Text()
		}
	}
	return ""
}

// Record is a simple entity record: a type name and its parameters.
type Record struct {
	Type string
	Args []Value
}

// Entity is an entity instance of the DATA section.
type Entity struct {
	ID   int64
	Line int
	// Type is the upper-case entity name; "" for a complex instance,
	// whose partial records are in Parts.
	Type  string
	Args  []Value
	Parts []Record
}

// File is a parsed ISO 10303-21 exchange structure.
type File struct {
	Header   []Record
	Schemas  []string // from FILE_SCHEMA, upper case
	Entities map[int64]*Entity
}

// Errors reported by this package.
var (
	ErrSyntax   = errors.New("STEP syntax error")
	ErrTooLarge = errors.New("input too large")
	ErrModel    = errors.New("invalid IFC model")
)

// SyntaxError is a STEP syntax error at a line.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("ifc: line %d: %s", e.Line, e.Msg) }

// Unwrap makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// maxDepth bounds list nesting; IFC needs 3 or 4 levels.
const maxDepth = 32

type parser struct {
	data  []byte
	pos   int
	line  int
	names map[string]string // interned keywords
	stack []Value           // scratch space of params, reused
}

func (p *parser) errf(format string, args ...any) error {
	return &SyntaxError{Line: p.line, Msg: fmt.Sprintf(format, args...)}
}

// ParseSTEP parses an ISO 10303-21 exchange structure.
func ParseSTEP(data []byte) (*File, error) {
	p := &parser{data: data, line: 1, names: make(map[string]string)}
	f := &File{Entities: make(map[int64]*Entity)}
	if err := p.expectKeyword("ISO-10303-21"); err != nil {
		return nil, err
	}
	if err := p.expect(';'); err != nil {
		return nil, err
	}
	if err := p.expectKeyword("HEADER"); err != nil {
		return nil, err
	}
	if err := p.expect(';'); err != nil {
		return nil, err
	}
	for {
		kw, err := p.keyword()
		if err != nil {
			return nil, err
		}
		if kw == "ENDSEC" {
			if err := p.expect(';'); err != nil {
				return nil, err
			}
			break
		}
		if err := p.expect('('); err != nil {
			return nil, err
		}
		args, err := p.params(')', 0)
		if err != nil {
			return nil, err
		}
		if err := p.expect(';'); err != nil {
			return nil, err
		}
		f.Header = append(f.Header, Record{Type: kw, Args: args})
		if kw == "FILE_SCHEMA" && len(args) > 0 && args[0].Kind == KindList {
			for _, s := range args[0].List {
				if s.Kind == KindString {
					f.Schemas = append(f.Schemas, strings.ToUpper(s.Str))
				}
			}
		}
	}
	sawData := false
	for {
		kw, err := p.keyword()
		if err != nil {
			return nil, err
		}
		switch kw {
		case "END-ISO-10303-21":
			if err := p.expect(';'); err != nil {
				return nil, err
			}
			if !sawData {
				return nil, p.errf("no DATA section")
			}
			return f, nil
		case "DATA":
			sawData = true
			if err := p.skipSpace(); err != nil {
				return nil, err
			}
			if p.peek() == '(' { // DATA('name', (schema)); in edition 3
				p.pos++
				if _, err := p.params(')', 0); err != nil {
					return nil, err
				}
			}
			if err := p.expect(';'); err != nil {
				return nil, err
			}
			if err := p.instances(f); err != nil {
				return nil, err
			}
		default:
			return nil, p.errf("unexpected %s, want DATA or END-ISO-10303-21", kw)
		}
	}
}

// instances parses entity instances up to and including ENDSEC;.
func (p *parser) instances(f *File) error {
	for {
		if err := p.skipSpace(); err != nil {
			return err
		}
		if p.pos >= len(p.data) {
			return p.errf("unexpected end of input in DATA section (missing ENDSEC)")
		}
		if p.peek() != '#' {
			kw, err := p.keyword()
			if err != nil {
				return err
			}
			if kw != "ENDSEC" {
				return p.errf("unexpected %s in DATA section, want an entity instance", kw)
			}
			return p.expect(';')
		}
		line := p.line
		p.pos++
		id, err := p.refNumber()
		if err != nil {
			return err
		}
		if err := p.expect('='); err != nil {
			return err
		}
		e := &Entity{ID: id, Line: line}
		if err := p.skipSpace(); err != nil {
			return err
		}
		if p.peek() == '(' {
			p.pos++
			for {
				if err := p.skipSpace(); err != nil {
					return err
				}
				if p.peek() == ')' {
					p.pos++
					break
				}
				kw, err := p.keyword()
				if err != nil {
					return err
				}
				if err := p.expect('('); err != nil {
					return err
				}
				args, err := p.params(')', 0)
				if err != nil {
					return err
				}
				e.Parts = append(e.Parts, Record{Type: kw, Args: args})
			}
			if len(e.Parts) == 0 {
				return p.errf("#%d: empty complex instance", id)
			}
		} else {
			kw, err := p.keyword()
			if err != nil {
				return err
			}
			if err := p.expect('('); err != nil {
				return err
			}
			e.Type = kw
			if e.Args, err = p.params(')', 0); err != nil {
				return err
			}
		}
		if err := p.expect(';'); err != nil {
			return err
		}
		if old, dup := f.Entities[id]; dup {
			return &SyntaxError{Line: line, Msg: fmt.Sprintf("#%d defined again (first on line %d)", id, old.Line)}
		}
		f.Entities[id] = e
	}
}

func (p *parser) peek() byte {
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

// skipSpace skips white space and /* comments */.
func (p *parser) skipSpace() error {
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '\n':
			p.line++
			p.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			p.pos++
		case c == '/' && p.pos+1 < len(p.data) && p.data[p.pos+1] == '*':
			start := p.line
			p.pos += 2
			for {
				if p.pos+1 >= len(p.data) {
					return &SyntaxError{Line: start, Msg: "unterminated comment"}
				}
				if p.data[p.pos] == '*' && p.data[p.pos+1] == '/' {
					p.pos += 2
					break
				}
				if p.data[p.pos] == '\n' {
					p.line++
				}
				p.pos++
			}
		default:
			return nil
		}
	}
	return nil
}

func (p *parser) expect(c byte) error {
	if err := p.skipSpace(); err != nil {
		return err
	}
	if p.pos >= len(p.data) {
		return p.errf("unexpected end of input, want %q", c)
	}
	if p.data[p.pos] != c {
		return p.errf("unexpected %q, want %q", p.data[p.pos], c)
	}
	p.pos++
	return nil
}

func (p *parser) expectKeyword(want string) error {
	kw, err := p.keyword()
	if err != nil {
		return err
	}
	if kw != want {
		return p.errf("found %s, want %s", kw, want)
	}
	return nil
}

func isKeywordStart(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || c == '!'
}

func isKeywordChar(c byte) bool {
	return isKeywordStart(c) || c >= '0' && c <= '9' || c == '-'
}

// keyword reads a (user-defined or standard) keyword, upper-cased and
// interned.
func (p *parser) keyword() (string, error) {
	if err := p.skipSpace(); err != nil {
		return "", err
	}
	if p.pos >= len(p.data) {
		return "", p.errf("unexpected end of input, want a keyword")
	}
	if !isKeywordStart(p.data[p.pos]) {
		return "", p.errf("unexpected %q, want a keyword", p.data[p.pos])
	}
	start := p.pos
	for p.pos < len(p.data) && isKeywordChar(p.data[p.pos]) {
		p.pos++
	}
	raw := p.data[start:p.pos]
	if s, ok := p.names[string(raw)]; ok {
		return s, nil
	}
	s := strings.ToUpper(string(raw))
	p.names[string(raw)] = s
	return s, nil
}

func (p *parser) refNumber() (int64, error) {
	start := p.pos
	for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
		p.pos++
	}
	if start == p.pos {
		return 0, p.errf("'#' not followed by a number")
	}
	n, err := strconv.ParseInt(string(p.data[start:p.pos]), 10, 64)
	if err != nil {
		return 0, p.errf("instance name #%s out of range", p.data[start:p.pos])
	}
	return n, nil
}

// params parses comma-separated values up to the closing byte, which it
// consumes. Values collect on p.stack and are copied into a slice of the
// exact size, which keeps allocations down on large files.
func (p *parser) params(closing byte, depth int) ([]Value, error) {
	if depth > maxDepth {
		return nil, p.errf("lists nested deeper than %d", maxDepth)
	}
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.peek() == closing {
		p.pos++
		return nil, nil
	}
	base := len(p.stack)
	defer func() { p.stack = p.stack[:base] }()
	for {
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		p.stack = append(p.stack, v)
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.data) {
			return nil, p.errf("unexpected end of input in a parameter list")
		}
		switch c := p.data[p.pos]; c {
		case ',':
			p.pos++
		case closing:
			p.pos++
			return slices.Clone(p.stack[base:]), nil
		default:
			return nil, p.errf("unexpected %q in a parameter list", c)
		}
	}
}

func (p *parser) value(depth int) (Value, error) {
	if err := p.skipSpace(); err != nil {
		return Value{}, err
	}
	if p.pos >= len(p.data) {
		return Value{}, p.errf("unexpected end of input, want a value")
	}
	c := p.data[p.pos]
	switch {
	case c == '$':
		p.pos++
		return Value{Kind: KindNull}, nil
	case c == '*':
		p.pos++
		return Value{Kind: KindDerived}, nil
	case c == '#':
		p.pos++
		n, err := p.refNumber()
		return Value{Kind: KindRef, Ref: n}, err
	case c == '\'':
		s, err := p.str()
		return Value{Kind: KindString, Str: s}, err
	case c == '"':
		p.pos++
		start := p.pos
		for p.pos < len(p.data) && isHex(p.data[p.pos]) {
			p.pos++
		}
		if p.peek() != '"' {
			return Value{}, p.errf("bad binary value")
		}
		v := Value{Kind: KindBinary, Str: string(p.data[start:p.pos])}
		p.pos++
		return v, nil
	case c == '(':
		p.pos++
		list, err := p.params(')', depth+1)
		return Value{Kind: KindList, List: list}, err
	case c == '.' && p.pos+1 < len(p.data) && isKeywordStart(p.data[p.pos+1]):
		p.pos++
		start := p.pos
		for p.pos < len(p.data) && (isKeywordChar(p.data[p.pos])) {
			p.pos++
		}
		if p.peek() != '.' {
			return Value{}, p.errf("unterminated enumeration value")
		}
		v := Value{Kind: KindEnum, Str: strings.ToUpper(string(p.data[start:p.pos]))}
		p.pos++
		return v, nil
	case c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.':
		return p.number()
	case isKeywordStart(c):
		kw, err := p.keyword()
		if err != nil {
			return Value{}, err
		}
		if err := p.expect('('); err != nil {
			return Value{}, err
		}
		args, err := p.params(')', depth+1)
		return Value{Kind: KindTyped, Str: kw, List: args}, err
	}
	return Value{}, p.errf("unexpected %q, want a value", c)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

func (p *parser) number() (Value, error) {
	start := p.pos
	if c := p.peek(); c == '+' || c == '-' {
		p.pos++
	}
	real := false
	digits := 0
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' || c == 'E' || c == 'e':
			real = true
		case (c == '+' || c == '-') && (p.data[p.pos-1] == 'E' || p.data[p.pos-1] == 'e'):
		default:
			goto done
		}
		p.pos++
	}
done:
	text := string(p.data[start:p.pos])
	if digits == 0 {
		return Value{}, p.errf("bad number %q", text)
	}
	if !real {
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return Value{}, p.errf("integer %s out of range", text)
		}
		return Value{Kind: KindInteger, Int: n}, nil
	}
	x, err := strconv.ParseFloat(text, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return Value{}, p.errf("number %s out of range", text)
		}
		return Value{}, p.errf("bad number %q", text)
	}
	return Value{Kind: KindReal, Real: x}, nil
}

// str reads a quoted string and decodes its ” and \-escapes
// (\\, \X\hh, \X2\…\X0\, \X4\…\X0\, \S\c, \P?\ and \N\).
func (p *parser) str() (string, error) {
	startLine := p.line
	p.pos++ // opening quote
	// Fast path: plain ASCII without quotes doubled or escapes.
	for i := p.pos; i < len(p.data); i++ {
		c := p.data[i]
		if c == '\'' {
			if i+1 < len(p.data) && p.data[i+1] == '\'' {
				break
			}
			s := string(p.data[p.pos:i])
			p.pos = i + 1
			return s, nil
		}
		if c == '\\' || c == '\n' || c >= utf8.RuneSelf {
			break
		}
	}
	var b strings.Builder
	for {
		if p.pos >= len(p.data) {
			return "", &SyntaxError{Line: startLine, Msg: "unterminated string"}
		}
		c := p.data[p.pos]
		switch c {
		case '\'':
			if p.pos+1 < len(p.data) && p.data[p.pos+1] == '\'' {
				b.WriteByte('\'')
				p.pos += 2
				continue
			}
			p.pos++
			return b.String(), nil
		case '\n':
			p.line++
			b.WriteByte(c)
			p.pos++
		case '\\':
			if err := p.escape(&b); err != nil {
				return "", err
			}
		default:
			// Raw bytes: valid UTF-8 is kept, other bytes are Latin-1.
			if c < utf8.RuneSelf {
				b.WriteByte(c)
				p.pos++
				continue
			}
			r, n := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && n == 1 {
				r = rune(c)
			}
			b.WriteRune(r)
			p.pos += n
		}
	}
}

func (p *parser) hasPrefix(s string) bool {
	return len(p.data)-p.pos >= len(s) && string(p.data[p.pos:p.pos+len(s)]) == s
}

func (p *parser) escape(b *strings.Builder) error {
	switch {
	case p.hasPrefix(`\\`):
		b.WriteByte('\\')
		p.pos += 2
	case p.hasPrefix(`\X2\`), p.hasPrefix(`\X4\`):
		width := 4
		if p.data[p.pos+2] == '4' {
			width = 8
		}
		p.pos += 4
		var units []uint16
		for !p.hasPrefix(`\X0\`) {
			if len(p.data)-p.pos < width {
				return p.errf(`unterminated \X%d\ escape`, width/2)
			}
			h, err := strconv.ParseUint(string(p.data[p.pos:p.pos+width]), 16, 32)
			if err != nil {
				return p.errf(`bad hex digits %q in \X%d\ escape`, p.data[p.pos:p.pos+width], width/2)
			}
			p.pos += width
			if width == 4 {
				units = append(units, uint16(h))
				continue
			}
			if h > utf8.MaxRune {
				return p.errf(`code point %X out of range in \X4\ escape`, h)
			}
			b.WriteRune(rune(h))
		}
		p.pos += 4
		b.WriteString(string(utf16.Decode(units)))
	case p.hasPrefix(`\X\`):
		if len(p.data)-p.pos < 5 || !isHex(p.data[p.pos+3]) || !isHex(p.data[p.pos+4]) {
			return p.errf(`bad \X\ escape`)
		}
		h, _ := strconv.ParseUint(string(p.data[p.pos+3:p.pos+5]), 16, 8)
		b.WriteRune(rune(h))
		p.pos += 5
	case p.hasPrefix(`\S\`):
		if len(p.data)-p.pos < 4 {
			return p.errf(`bad \S\ escape`)
		}
		b.WriteRune(rune(p.data[p.pos+3]) + 128)
		p.pos += 4
	case p.hasPrefix(`\N\`):
		b.WriteByte('\n')
		p.pos += 3
	case p.pos+3 < len(p.data) && p.data[p.pos+1] == 'P' && p.data[p.pos+3] == '\\':
		p.pos += 4 // code page switch: ignored, Latin-1 assumed
	default:
		// A lone backslash, as some exporters write in paths.
		b.WriteByte('\\')
		p.pos++
	}
	return nil
}
