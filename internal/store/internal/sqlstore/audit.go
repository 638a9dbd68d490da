package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// Audit list limits (see store.AuditFilter).
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
)

const auditCols = `seq, time_ns, actor_id, actor_name, tenant_id, action, object, detail, ip, prev_hash, hash`

func scanAudit(sc scanner) (store.AuditEntry, error) {
	var e store.AuditEntry
	var ns int64
	err := sc.Scan(&e.Seq, &ns, &e.ActorID, &e.ActorName, &e.TenantID, &e.Action, &e.Object, &e.Detail, &e.IP,
		&e.PrevHash, &e.Hash)
	e.Time = time.Unix(0, ns).UTC()
	return e, err
}

// AppendAudit stores e at the end of the chain. In one write transaction
// (serialised across processes by Dialect.LockAudit, or by SQLite's single
// writer) it reads the last entry and sets e.Seq to the next number,
// e.PrevHash to the last hash and e.Hash to store.AuditHash. e.Time is now
// when zero and is kept at nanosecond precision in UTC. e is changed only
// when the entry is committed.
func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEntry) error {
	const op = "append audit"
	switch {
	case e.Action == "":
		return s.invalid(op, "empty action")
	case e.ActorID == "":
		return s.invalid(op, "empty actor id")
	case e.Detail != "" && !json.Valid([]byte(e.Detail)):
		return s.invalid(op, "detail is not JSON")
	}
	// PostgreSQL TEXT takes neither; refusing them in both backends keeps
	// the chains of the two byte-for-byte alike.
	for _, v := range []string{e.ActorID, e.ActorName, e.TenantID, e.Action, e.Object, e.Detail, e.IP} {
		if !validText(v) {
			return s.invalid(op, "text field %q is not valid UTF-8 or holds NUL", v)
		}
	}
	x := *e
	if x.Time.IsZero() {
		x.Time = s.now()
	}
	x.Time = time.Unix(0, x.Time.UnixNano()).UTC()
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		if s.d.LockAudit != nil {
			if err := s.d.LockAudit(ctx, tx); err != nil {
				return s.fail(op+": lock", err)
			}
		}
		var last int64
		var prev string
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&last, &prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return s.fail(op, err)
		}
		x.Seq, x.PrevHash = last+1, prev
		x.Hash = store.AuditHash(prev, &x)
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (`+auditCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			x.Seq, x.Time.UnixNano(), x.ActorID, x.ActorName, x.TenantID, x.Action, x.Object, x.Detail, x.IP,
			x.PrevHash, x.Hash)
		return s.fail(op, err)
	})
	if err != nil {
		return err
	}
	*e = x
	return nil
}

// ListAudit returns the entries matching f, newest (highest Seq) first.
// Since is inclusive and Until exclusive; Action matches as a case-sensitive
// prefix of whole characters. Page backwards by passing the last Seq
// returned as BeforeSeq. A filter string that is not valid UTF-8 or holds
// NUL is ErrInvalid.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	for _, v := range append([]string{f.ActorID, f.Action}, f.TenantIDs...) {
		if !validText(v) {
			return nil, s.invalid("list audit", "filter value %q is not valid UTF-8 or holds NUL", v)
		}
	}
	if f.TenantIDs != nil && len(f.TenantIDs) == 0 {
		return nil, nil
	}
	var q strings.Builder
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	q.WriteString(`SELECT ` + auditCols + ` FROM audit_log WHERE 1 = 1`)
	if f.TenantIDs != nil {
		q.WriteString(` AND tenant_id IN (`)
		for i, id := range f.TenantIDs {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(arg(id))
		}
		q.WriteString(`)`)
	}
	if f.ActorID != "" {
		q.WriteString(` AND actor_id = ` + arg(f.ActorID))
	}
	if f.Action != "" {
		// substr counts characters in both engines; LIKE would ignore
		// case in SQLite and need escaping.
		q.WriteString(` AND substr(action, 1, ` + arg(utf8.RuneCountInString(f.Action)) + `) = ` + arg(f.Action))
	}
	if !f.Since.IsZero() {
		q.WriteString(` AND time_ns >= ` + arg(f.Since.UnixNano()))
	}
	if !f.Until.IsZero() {
		q.WriteString(` AND time_ns < ` + arg(f.Until.UnixNano()))
	}
	if f.BeforeSeq > 0 {
		q.WriteString(` AND seq < ` + arg(f.BeforeSeq))
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultAuditLimit
	case limit > MaxAuditLimit:
		limit = MaxAuditLimit
	}
	q.WriteString(` ORDER BY seq DESC LIMIT ` + arg(limit))
	return collect(ctx, s, "list audit", q.String(), scanAudit, args...)
}

// VerifyAudit streams the chain in Seq order and returns the Seq of the
// first entry that is out of place: a Seq that does not follow the previous
// one (a deleted row), a PrevHash that is not the previous entry's Hash, or a
// Hash that AuditHash does not reproduce (an altered row). It returns (0,
// nil) for an intact or empty chain. Removing the newest entries leaves a
// shorter chain that still verifies; anchoring the last hash elsewhere is
// what catches that.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	const op = "verify audit"
	rows, err := s.r.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, s.fail(op, err)
	}
	defer rows.Close()
	var seq int64
	prev := ""
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return 0, s.fail(op, err)
		}
		seq++
		if e.Seq != seq || e.PrevHash != prev || store.AuditHash(prev, &e) != e.Hash {
			return e.Seq, nil
		}
		prev = e.Hash
	}
	if err := rows.Err(); err != nil {
		return 0, s.fail(op, err)
	}
	return 0, nil
}

// validText reports whether v can be stored and compared alike in both
// engines: valid UTF-8 without NUL.
func validText(v string) bool {
	return utf8.ValidString(v) && strings.IndexByte(v, 0) < 0
}
