package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// EventDialect is what one engine contributes to the event store: how a
// chunk of events is written with its full-text entry, and how free text
// and non-indexed fields are matched.
type EventDialect struct {
	// InsertChunk inserts rows (at most EventChunk) with
	// ON CONFLICT (id) DO NOTHING, indexes the text of the rows it
	// inserted, and returns their ids and seqs.
	InsertChunk func(ctx context.Context, tx *sql.Tx, rows []EventRow) ([]Inserted, error)
	// TextMatch returns a condition on the events alias e that holds when
	// every word occurs in its text and every tag (store.FieldToken) among
	// its field tokens, with the argument to bind as $n. Either list may
	// be empty, not both.
	TextMatch func(n int, words, tags []string) (cond string, arg any)
	// FieldMatch returns a condition on e.fields that holds when the field
	// named by $n has the text value $(n+1), or one list element does.
	FieldMatch func(n int) string
	// FirstParam is the first parameter number of bulk inserts, 0 for
	// anonymous "?" parameters (see Placeholders).
	FirstParam int
	// TextJoin, when set, returns the FROM clause and condition that
	// drive a search from the text index (its argument bound as $n)
	// instead of TextMatch's, used when TextCount ($1, the TextMatch
	// argument; it must return one row per match) finds fewer than
	// rareText matches. For engines whose planner cannot estimate a text
	// match's selectivity.
	TextJoin  func(n int) (from, cond string)
	TextCount string
}

// rareText is how many text-index matches still count as rare: fewer are
// fetched and sorted, more are checked while walking the time index.
const rareText = 5000

// countUpTo runs query (which returns one row per match) and counts up to
// limit rows.
func countUpTo(ctx context.Context, db *sql.DB, query string, arg any, limit int) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+query+` LIMIT `+strconv.Itoa(limit)+`)`, arg).Scan(&n)
	return n, err
}

// EventChunk is the most events written by one INSERT statement: 8
// parameters each stays well under both engines' limits.
const EventChunk = 500

// fieldChunk is the most event_fields rows per INSERT (5 parameters each).
const fieldChunk = 1000

// Inserted is a row InsertChunk inserted.
type Inserted struct {
	Seq int64
	ID  string
}

// EventRow is an event encoded for its table row.
type EventRow struct {
	ID, TenantID, SourceID string
	Observed, Received     int64
	Category               string
	Fields                 string // JSON
	Raw                    string
	Text                   string // what free text searches: raw and message
	Tags                   string // the store.FieldToken of every TokenFields value
}

// Placeholders appends "($a, $b, …)" tuples to b: rows tuples of cols
// parameters numbered from first, each wrapped by wrap (nil: as is) so a
// dialect can add an expression around one column. first 0 writes
// anonymous "?" parameters instead: SQLite resolves each named parameter
// with a linear search, which makes a statement with thousands of them
// quadratic to prepare.
func Placeholders(b *strings.Builder, rows, cols, first int, wrap func(col int, p string) string) {
	n := first
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			p := "?"
			if first > 0 {
				p = "$" + strconv.Itoa(n)
			}
			if wrap != nil {
				p = wrap(c, p)
			}
			b.WriteString(p)
			n++
		}
		b.WriteByte(')')
	}
}

// EventColumns are the events table's columns in EventRow order.
const EventColumns = `id, tenant_id, source_id, observed_ms, received_ms, category, fields, raw`

// Args returns the row's values in EventColumns order.
func (r *EventRow) Args() []any {
	return []any{r.ID, r.TenantID, r.SourceID, r.Observed, r.Received, r.Category, r.Fields, r.Raw}
}

// cleanText makes s safe for any text column: valid UTF-8, no NUL.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", " ")
	}
	return s
}

// badText reports whether s cannot be stored as is.
func badText(s string) bool {
	return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0
}

// encodeEvent checks e and encodes it as a row.
func (s *Store) encodeEvent(op string, e *event.Event) (EventRow, error) {
	switch {
	case e.ID == "":
		return EventRow{}, s.invalid(op, "event without id")
	case e.TenantID == "":
		return EventRow{}, s.invalid(op, "event %s without tenant", e.ID)
	case badText(e.ID) || badText(e.TenantID) || badText(e.SourceID) || badText(e.Category) || badText(e.Raw):
		return EventRow{}, s.invalid(op, "event %q: text that is not UTF-8 or holds NUL", e.ID)
	}
	fields := e.Fields
	if fields == nil {
		fields = map[string]any{}
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fields); err != nil {
		return EventRow{}, s.invalid(op, "event %s: fields: %v", e.ID, err)
	}
	js := strings.TrimSuffix(b.String(), "\n")
	text := e.Raw
	if msg := e.String("message"); msg != "" && !strings.Contains(e.Raw, msg) {
		text += "\n" + msg
	}
	var tags []string
	for _, name := range store.TokenFields {
		if v, ok := fields[name]; ok {
			for _, val := range store.FieldValues(v) {
				if val != "" {
					tags = append(tags, store.FieldToken(name, cleanText(val)))
				}
			}
		}
	}
	return EventRow{
		ID: e.ID, TenantID: e.TenantID, SourceID: e.SourceID,
		Observed: toMS(e.Observed), Received: toMS(e.Received),
		Category: e.Category, Fields: js, Raw: e.Raw, Text: cleanText(text), Tags: strings.Join(tags, " "),
	}, nil
}

// fieldRow is one event_fields row.
type fieldRow struct {
	tenantID, name, value string
	observed, seq         int64
}

// indexedFieldRows lists the event_fields rows of e.
func indexedFieldRows(e *event.Event, seq, observed int64, out []fieldRow) []fieldRow {
	for _, name := range store.IndexedFields {
		v, ok := e.Fields[name]
		if !ok {
			continue
		}
		for _, val := range store.FieldValues(v) {
			if val == "" || len(val) > 512 {
				continue // not worth an index entry; still found by FieldMatch
			}
			out = append(out, fieldRow{e.TenantID, name, cleanText(val), observed, seq})
		}
	}
	return out
}

// InsertEvents stores evs in one transaction, skipping events whose id is
// stored already, and returns how many were new. Events are written in
// multi-row statements of EventChunk, their indexed fields and full-text
// entries in the same transaction. A malformed event (no id or tenant, raw
// text that is not UTF-8) fails the whole batch with ErrInvalid; an unknown
// tenant fails it with ErrNotFound.
func (s *Store) InsertEvents(ctx context.Context, evs []event.Event) (int, error) {
	const op = "insert events"
	if len(evs) == 0 {
		return 0, nil
	}
	rows := make([]EventRow, len(evs))
	byID := make(map[string]int, len(evs))
	for i := range evs {
		r, err := s.encodeEvent(op, &evs[i])
		if err != nil {
			return 0, err
		}
		rows[i] = r
		byID[r.ID] = i
	}
	n := 0
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		var frows []fieldRow
		for start := 0; start < len(rows); start += EventChunk {
			chunk := rows[start:min(start+EventChunk, len(rows))]
			ins, err := s.d.Events.InsertChunk(ctx, tx, chunk)
			if err != nil {
				return s.fail(op, err)
			}
			n += len(ins)
			for _, in := range ins {
				e := &evs[byID[in.ID]]
				frows = indexedFieldRows(e, in.Seq, toMS(e.Observed), frows)
			}
		}
		return s.insertFieldRows(ctx, tx, op, frows)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (s *Store) insertFieldRows(ctx context.Context, tx *sql.Tx, op string, rows []fieldRow) error {
	for start := 0; start < len(rows); start += fieldChunk {
		chunk := rows[start:min(start+fieldChunk, len(rows))]
		var b strings.Builder
		b.WriteString(`INSERT INTO event_fields (tenant_id, name, value, observed_ms, event_seq) VALUES `)
		Placeholders(&b, len(chunk), 5, s.d.Events.FirstParam, nil)
		b.WriteString(` ON CONFLICT DO NOTHING`)
		args := make([]any, 0, 5*len(chunk))
		for _, r := range chunk {
			args = append(args, r.tenantID, r.name, r.value, r.observed, r.seq)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return s.fail(op, err)
		}
	}
	return nil
}

const eventSelect = `SELECT e.id, e.tenant_id, e.source_id, e.observed_ms, e.received_ms, e.category, e.fields, e.raw FROM `

func scanEvent(sc scanner) (event.Event, error) {
	var e event.Event
	var observed, received int64
	var fields string
	if err := sc.Scan(&e.ID, &e.TenantID, &e.SourceID, &observed, &received, &e.Category, &fields, &e.Raw); err != nil {
		return e, err
	}
	e.Observed, e.Received = fromMS(observed), fromMS(received)
	if err := json.Unmarshal([]byte(fields), &e.Fields); err != nil {
		return e, fmt.Errorf("event %s: fields: %w", e.ID, err)
	}
	return e, nil
}

// GetEvent returns the tenant's event with that id.
func (s *Store) GetEvent(ctx context.Context, tenantID, id string) (*event.Event, error) {
	e, err := scanEvent(s.r.QueryRowContext(ctx, eventSelect+`events e WHERE e.tenant_id = $1 AND e.id = $2`, tenantID, id))
	if err != nil {
		return nil, s.fail("get event", err)
	}
	return &e, nil
}

// TextWords splits free text into the words a search requires: runs of
// non-space characters holding at least one letter or digit, lower-cased.
func TextWords(text string) []string {
	var words []string
	for w := range strings.FieldsSeq(text) {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
			continue
		}
		words = append(words, strings.ToLower(w))
	}
	return words
}

// query builds a WHERE clause with numbered arguments.
type query struct {
	conds []string
	args  []any
}

// arg adds v and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) in(col string, vals []string) {
	ps := make([]string, len(vals))
	for i, v := range vals {
		ps[i] = q.arg(v)
	}
	q.conds = append(q.conds, col+" IN ("+strings.Join(ps, ", ")+")")
}

// SearchEvents returns the tenant's events matching q, newest first
// (observed time, then seq: the order of insertion). An IndexedFields
// match drives the query from event_fields in time order, so it can stop
// at the limit; otherwise the tenant's time index does. TokenFields
// matches and free text go through the full-text index (the field values
// then checked exactly); every other filter is checked on the way.
func (s *Store) SearchEvents(ctx context.Context, tenantID string, q store.EventQuery) ([]event.Event, error) {
	const op = "search events"
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultEventLimit
	}
	limit = min(limit, store.MaxEventLimit)
	for _, v := range append(append([]string{q.Text, q.Before}, q.SourceIDs...), q.Categories...) {
		if badText(v) {
			return nil, s.invalid(op, "query text that is not UTF-8 or holds NUL")
		}
	}
	for k, v := range q.Fields {
		if badText(k) || badText(v) || k == "" {
			return nil, s.invalid(op, "bad field filter %q", k)
		}
	}
	var w query
	tenant := w.arg(tenantID)

	// The driving table: the first indexed field filter, else events.
	names := make([]string, 0, len(q.Fields))
	for k := range q.Fields {
		names = append(names, k)
	}
	sortStrings(names)
	drive := ""
	for _, k := range names {
		if store.IsIndexedField(k) && q.Fields[k] != "" {
			drive = k
			break
		}
	}
	timeCol, seqCol := "e.observed_ms", "e.seq"
	var from string
	if drive != "" {
		from = `event_fields f JOIN events e ON e.seq = f.event_seq`
		w.conds = append(w.conds, "f.tenant_id = "+tenant, "f.name = "+w.arg(drive), "f.value = "+w.arg(q.Fields[drive]), "e.tenant_id = "+tenant)
		timeCol, seqCol = "f.observed_ms", "f.event_seq"
	} else {
		from = `events e`
		w.conds = append(w.conds, "e.tenant_id = "+tenant)
	}
	if !q.Since.IsZero() {
		w.conds = append(w.conds, timeCol+" >= "+w.arg(q.Since.UnixMilli()))
	}
	if !q.Until.IsZero() {
		w.conds = append(w.conds, timeCol+" < "+w.arg(q.Until.UnixMilli()))
	}
	if q.Before != "" {
		var at, seq int64
		err := s.r.QueryRowContext(ctx, `SELECT observed_ms, seq FROM events WHERE tenant_id = $1 AND id = $2`,
			tenantID, q.Before).Scan(&at, &seq)
		if err != nil {
			return nil, s.fail(op+": cursor", err)
		}
		a, b := w.arg(at), w.arg(seq)
		w.conds = append(w.conds, "("+timeCol+" < "+a+" OR ("+timeCol+" = "+a+" AND "+seqCol+" < "+b+"))")
	}
	if len(q.SourceIDs) > 0 {
		w.in("e.source_id", q.SourceIDs)
	}
	if len(q.Categories) > 0 {
		w.in("e.category", q.Categories)
	}
	var tags []string
	for _, k := range names {
		if k == drive {
			continue
		}
		v := q.Fields[k]
		if store.IsIndexedField(k) && v != "" {
			w.conds = append(w.conds, "EXISTS (SELECT 1 FROM event_fields g WHERE g.tenant_id = e.tenant_id AND g.name = "+
				w.arg(k)+" AND g.value = "+w.arg(v)+" AND g.observed_ms = e.observed_ms AND g.event_seq = e.seq)")
			continue
		}
		if store.IsTokenField(k) && v != "" {
			tags = append(tags, store.FieldToken(k, v))
		}
		w.args = append(w.args, k, v)
		w.conds = append(w.conds, s.d.Events.FieldMatch(len(w.args)-1))
	}
	if words := TextWords(q.Text); len(words) > 0 || len(tags) > 0 {
		cond, arg := s.d.Events.TextMatch(len(w.args)+1, words, tags)
		// A rare match is best found from the text index and sorted; a
		// common one by walking the time index and stopping at the limit.
		// SQLite cannot tell them apart, so ask the index how many match.
		if tj := s.d.Events.TextJoin; tj != nil && drive == "" {
			n, err := countUpTo(ctx, s.r, s.d.Events.TextCount, arg, rareText)
			if err != nil {
				return nil, s.fail(op, err)
			}
			if n < rareText {
				from, cond = tj(len(w.args) + 1)
			}
		}
		w.args = append(w.args, arg)
		w.conds = append(w.conds, cond)
	}
	sqlText := eventSelect + from + ` WHERE ` + strings.Join(w.conds, " AND ") +
		` ORDER BY ` + timeCol + ` DESC, ` + seqCol + ` DESC LIMIT ` + w.arg(limit)
	return collect(ctx, s, op, sqlText, scanEvent, w.args...)
}

// sortStrings sorts a short slice in place (insertion sort: field filters
// are few).
func sortStrings(a []string) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// DefaultDeleteChunk is the retention chunk when DeleteEventsBefore gets a
// limit of zero or less.
const DefaultDeleteChunk = 10000

// DeleteEventsBefore deletes up to limit of the tenant's events of category
// observed before t, oldest first, with their index entries, and returns
// how many.
func (s *Store) DeleteEventsBefore(ctx context.Context, tenantID, category string, t time.Time, limit int) (int64, error) {
	const op = "delete events"
	if limit <= 0 {
		limit = DefaultDeleteChunk
	}
	res, err := s.w.ExecContext(ctx, `DELETE FROM events WHERE id IN (
		SELECT id FROM events WHERE tenant_id = $1 AND category = $2 AND observed_ms < $3
		ORDER BY observed_ms LIMIT $4)`, tenantID, category, t.UnixMilli(), limit)
	if err != nil {
		return 0, s.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.fail(op, err)
	}
	return n, nil
}

// isWordRune reports whether r belongs to a word for full-text search:
// letters and digits, as SQLite's unicode61 tokenizer sees them.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// Tokens splits s into lower-case runs of letters and digits: the words the
// full-text index holds. PostgreSQL's parser would keep "/login" or
// "10.0.0.1" whole; splitting in Go first makes both engines agree.
func Tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !isWordRune(r) })
}
