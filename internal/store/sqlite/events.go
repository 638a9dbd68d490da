package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/vedetta-sec/vedetta/internal/store/internal/sqlstore"
)

// eventDialect writes events with RETURNING (only the rows actually
// inserted come back, so redelivered events are not indexed twice) and
// indexes their text in the contentless FTS5 table events_fts, keyed by
// seq (the events rowid); the events_delete trigger removes both index
// entries.
func eventDialect() sqlstore.EventDialect {
	return sqlstore.EventDialect{
		InsertChunk: insertChunk,
		FirstParam:  0,
		TextMatch: func(n int, words, tags []string) (string, any) {
			// Each word a quoted FTS5 string (no operators) in the body
			// column, each tag in the tags column, all required.
			var q []string
			if len(words) > 0 {
				ws := make([]string, len(words))
				for i, w := range words {
					ws[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
				}
				q = append(q, "body : ("+strings.Join(ws, " ")+")")
			}
			for _, t := range tags {
				q = append(q, "tags : "+t)
			}
			return "e.seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH $" + itoa(n) + ")", strings.Join(q, " AND ")
		},
		TextJoin: func(n int) (string, string) {
			// CROSS JOIN keeps this order: the few matches first.
			return "events_fts CROSS JOIN events e ON e.seq = events_fts.rowid", "events_fts MATCH $" + itoa(n)
		},
		TextCount: `SELECT rowid FROM events_fts WHERE events_fts MATCH $1`,
		FieldMatch: func(n int) string {
			return `EXISTS (SELECT 1 FROM json_each(e.fields, '$."' || replace($` + itoa(n) + `, '"', '""') || '"') j
				WHERE (CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(j.value AS TEXT) END) = $` + itoa(n+1) + `)`
		},
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

func insertChunk(ctx context.Context, tx *sql.Tx, rows []sqlstore.EventRow) ([]sqlstore.Inserted, error) {
	var b strings.Builder
	b.Grow(64 + len(rows)*48)
	b.WriteString(`INSERT INTO events (` + sqlstore.EventColumns + `) VALUES `)
	sqlstore.Placeholders(&b, len(rows), 8, 0, nil)
	b.WriteString(` ON CONFLICT (id) DO NOTHING RETURNING seq, id`)
	args := make([]any, 0, 8*len(rows))
	for i := range rows {
		args = append(args, rows[i].Args()...)
	}
	res, err := tx.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*sqlstore.EventRow, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	var ins []sqlstore.Inserted
	ftsArgs := make([]any, 0, 3*len(rows))
	for res.Next() {
		var in sqlstore.Inserted
		if err := res.Scan(&in.Seq, &in.ID); err != nil {
			res.Close()
			return nil, err
		}
		ins = append(ins, in)
		r := byID[in.ID]
		ftsArgs = append(ftsArgs, in.Seq, r.Text, r.Tags)
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	res.Close()
	if len(ins) == 0 {
		return nil, nil
	}
	b.Reset()
	b.WriteString(`INSERT INTO events_fts (rowid, body, tags) VALUES `)
	sqlstore.Placeholders(&b, len(ins), 3, 0, nil)
	if _, err := tx.ExecContext(ctx, b.String(), ftsArgs...); err != nil {
		return nil, err
	}
	return ins, nil
}
