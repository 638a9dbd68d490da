package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// DeleteAlertsBefore deletes a chunk of the tenant's closed alerts last
// seen before t that no case refers to, with what hangs off them.
func (s *Store) DeleteAlertsBefore(ctx context.Context, tenantID string, t time.Time, limit int) (int64, error) {
	const op = "delete alerts before"
	if tenantID == "" {
		return 0, s.invalid(op, "empty tenant id")
	}
	if limit <= 0 {
		limit = 1000
	}
	var n int64
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT a.id FROM alerts a
			WHERE a.tenant_id = $1 AND a.status IN ($2, $3, $4) AND a.last_seen < $5
			AND NOT EXISTS (SELECT 1 FROM case_alerts c WHERE c.tenant_id = a.tenant_id AND c.alert_id = a.id)
			ORDER BY a.last_seen LIMIT $6`,
			tenantID, string(store.StatusResolved), string(store.StatusFalsePositive), string(store.StatusSuppressed),
			toMS(t), limit)
		if err != nil {
			return s.fail(op, err)
		}
		args := []any{tenantID}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return s.fail(op, err)
			}
			args = append(args, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.fail(op, err)
		}
		if len(args) == 1 {
			return nil
		}
		var in strings.Builder
		for i := 2; i <= len(args); i++ {
			if i > 2 {
				in.WriteByte(',')
			}
			in.WriteString("$" + strconv.Itoa(i))
		}
		list := in.String()
		// Comments and the events list go with their alert (ON DELETE
		// CASCADE); the notification records have no foreign key.
		for _, q := range []string{
			`DELETE FROM notify_digest WHERE tenant_id = $1 AND alert_id IN (` + list + `)`,
			`DELETE FROM notify_sent WHERE channel_id IN (SELECT id FROM notify_channels WHERE tenant_id = $1) AND alert_id IN (` + list + `)`,
		} {
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return s.fail(op, err)
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM alerts WHERE tenant_id = $1 AND id IN (`+list+`)`, args...)
		if err != nil {
			return s.fail(op, err)
		}
		n, err = res.RowsAffected()
		return s.fail(op, err)
	})
	return n, err
}
