package postgres

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/vedetta-sec/vedetta/internal/store/internal/sqlstore"
)

// eventDialect writes each event with its tsvector (simple configuration:
// no stemming, no stop words, so every word of a log line is findable)
// computed in the same statement from the text split into words the way
// SQLite's FTS5 splits it, and matches free text with a tsquery that
// requires every word.
func eventDialect() sqlstore.EventDialect {
	return sqlstore.EventDialect{
		InsertChunk: insertChunk,
		FirstParam:  1,
		TextMatch: func(n int, words, tags []string) (string, any) {
			// Each word is a phrase of its tokens ("10.0.0.1" is 10 <-> 0
			// <-> 0 <-> 1, as FTS5 reads it); every word must match. The
			// tokens are letters and digits only, so need no quoting.
			// Field tags carry weight A, the text D.
			var q []string
			for _, w := range words {
				if toks := sqlstore.Tokens(w); len(toks) > 0 {
					q = append(q, "("+strings.Join(toks, " <-> ")+")")
				}
			}
			for _, t := range tags {
				q = append(q, t+":A")
			}
			return "e.search @@ to_tsquery('simple', $" + strconv.Itoa(n) + ")", strings.Join(q, " & ")
		},
		FieldMatch: func(n int) string {
			f := "(e.fields::jsonb -> CAST($" + strconv.Itoa(n) + " AS TEXT))"
			return `EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE jsonb_typeof(` + f + `)
				WHEN 'array' THEN ` + f + ` WHEN 'object' THEN '[]'::jsonb
				ELSE jsonb_build_array(` + f + `) END) v(x) WHERE v.x = CAST($` + strconv.Itoa(n+1) + ` AS TEXT))`
		},
	}
}

func insertChunk(ctx context.Context, tx *sql.Tx, rows []sqlstore.EventRow) ([]sqlstore.Inserted, error) {
	var b strings.Builder
	b.Grow(96 + len(rows)*80)
	b.WriteString(`INSERT INTO events (` + sqlstore.EventColumns + `, search) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		n := 10*i + 1
		b.WriteByte('(')
		for c := range 8 {
			b.WriteString("$" + strconv.Itoa(n+c) + ", ")
		}
		b.WriteString("to_tsvector('simple', $" + strconv.Itoa(n+8) + ") || setweight(to_tsvector('simple', $" +
			strconv.Itoa(n+9) + "), 'A'))")
	}
	b.WriteString(` ON CONFLICT (id) DO NOTHING RETURNING seq, id`)
	args := make([]any, 0, 10*len(rows))
	for i := range rows {
		args = append(args, rows[i].Args()...)
		args = append(args, strings.Join(sqlstore.Tokens(rows[i].Text), " "), rows[i].Tags)
	}
	res, err := tx.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var ins []sqlstore.Inserted
	for res.Next() {
		var in sqlstore.Inserted
		if err := res.Scan(&in.Seq, &in.ID); err != nil {
			return nil, err
		}
		ins = append(ins, in)
	}
	return ins, res.Err()
}
