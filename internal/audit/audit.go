// Package audit records sign-ins and staff actions so that admins can see who
// did what and when.
package audit

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"coalition/internal/db"
)

// Entry is one recorded event.
type Entry struct {
	ID         int64
	At         time.Time
	ActorID    int64 // 0 for a visitor (e.g. a failed sign-in)
	ActorEmail string
	Action     string // e.g. "login.success", "login.failure", "user.role"
	Target     string // what the action was about, e.g. "user:12"
	Detail     string
	IP         string
}

// Log is the audit log store.
type Log struct {
	db  *db.DB
	now func() time.Time
}

// New returns a Log over d.
func New(d *db.DB, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{db: d, now: now}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// Record writes an entry. Audit failures are returned, not hidden: an action
// that cannot be audited should be noticed.
func (l *Log) Record(ctx context.Context, e Entry) error {
	var actor any
	if e.ActorID != 0 {
		actor = e.ActorID
	}
	_, err := l.db.W.ExecContext(ctx,
		`INSERT INTO audit_log (at, actor_id, actor_email, action, target, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		l.now().UTC(), actor, clip(e.ActorEmail, 254), clip(e.Action, 100), clip(e.Target, 200), clip(e.Detail, 1000), clip(e.IP, 64))
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, db.Classify(err))
	}
	return nil
}

// RecordTx writes an entry inside a caller's transaction, so that the action
// and its record commit together.
func (l *Log) RecordTx(ctx context.Context, tx *sql.Tx, e Entry) error {
	var actor any
	if e.ActorID != 0 {
		actor = e.ActorID
	}
	_, err := tx.ExecContext(ctx,
		`INSERT INTO audit_log (at, actor_id, actor_email, action, target, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		l.now().UTC(), actor, clip(e.ActorEmail, 254), clip(e.Action, 100), clip(e.Target, 200), clip(e.Detail, 1000), clip(e.IP, 64))
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Filter narrows List.
type Filter struct {
	Action string // prefix, e.g. "login"
	Limit  int
	Offset int
}

// List returns entries newest first, and the total matching.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, int, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	where, args := "", []any{}
	if f.Action != "" {
		where = " WHERE action LIKE $1"
		args = append(args, f.Action+"%")
	}
	var total int
	if err := l.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count audit log: %w", err)
	}
	args = append(args, f.Limit, f.Offset)
	n := len(args)
	rows, err := l.db.R.QueryContext(ctx, fmt.Sprintf(`SELECT id, at, COALESCE(actor_id, 0), actor_email, action, target, detail, ip
		FROM audit_log%s ORDER BY id DESC LIMIT $%d OFFSET $%d`, where, n-1, n), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorEmail, &e.Action, &e.Target, &e.Detail, &e.IP); err != nil {
			return nil, 0, fmt.Errorf("list audit log: %w", err)
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}
