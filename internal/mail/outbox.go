package mail

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
)

// Outbox states.
const (
	StatusPending = "pending" // waiting for the worker
	StatusSending = "sending" // claimed by a worker
	StatusSent    = "sent"
	StatusFailed  = "failed" // gave up: permanent error or too many attempts
	StatusHeld    = "held"   // no SMTP server configured; readable in the admin
)

const (
	maxAttempts = 8
	// A message claimed longer ago than this belongs to a worker that died;
	// it is offered again (transactional mail is at-least-once).
	claimTimeout = 10 * time.Minute
)

// OutboxMessage is a queued message as the admin sees it.
type OutboxMessage struct {
	ID        int64
	CreatedAt time.Time
	Kind      string
	Message
	Status    string
	Attempts  int
	LastError string
	SentAt    time.Time
}

// Outbox queues transactional mail in the database and delivers it.
type Outbox struct {
	db        *db.DB
	transport Transport // nil: keep mail in the outbox
	log       *slog.Logger
	now       func() time.Time
	kick      chan struct{}
}

// NewOutbox returns an outbox; a nil transport keeps every message held.
func NewOutbox(d *db.DB, t Transport, log *slog.Logger, now func() time.Time) *Outbox {
	if now == nil {
		now = time.Now
	}
	return &Outbox{db: d, transport: t, log: log, now: func() time.Time { return now().UTC() }, kick: make(chan struct{}, 1)}
}

// HasTransport reports whether mail actually leaves the server.
func (o *Outbox) HasTransport() bool { return o.transport != nil }

// Enqueue stores a message for delivery and wakes the worker.
func (o *Outbox) Enqueue(ctx context.Context, kind string, m Message) error {
	return o.db.Tx(ctx, func(tx *sql.Tx) error { return o.EnqueueTx(ctx, tx, kind, m) })
}

// EnqueueTx stores a message inside the caller's transaction, so that the
// message exists if and only if the caller's change commits. Call Kick after
// the commit.
func (o *Outbox) EnqueueTx(ctx context.Context, tx *sql.Tx, kind string, m Message) error {
	if strings.ContainsAny(m.To, "\r\n") || strings.ContainsAny(m.Subject, "\r\n") {
		return errs.Invalid("email", "Line breaks are not allowed here.")
	}
	// Reply-To travels with the other headers; claim splits it out again.
	h := make(map[string]string, len(m.Headers)+1)
	for k, v := range m.Headers {
		h[k] = v
	}
	if m.ReplyTo != "" {
		h["Reply-To"] = m.ReplyTo
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return err
	}
	status := StatusPending
	if o.transport == nil {
		status = StatusHeld
	}
	now := o.now()
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO outbox (created_at, kind, to_addr, subject, text_body, html_body, headers, status, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $1) RETURNING id`, now, kind, m.To, m.Subject, m.Text, m.HTML, string(hdr), status).Scan(&id)
	if err != nil {
		return fmt.Errorf("queue %s mail: %w", kind, err)
	}
	for _, a := range m.Attachments {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_attachments (outbox_id, filename, content_type, data) VALUES ($1, $2, $3, $4)`,
			id, a.Name, a.ContentType, a.Data); err != nil {
			return fmt.Errorf("queue %s mail attachment: %w", kind, err)
		}
	}
	o.Kick()
	return nil
}

// Kick wakes the worker without waiting for its next tick.
func (o *Outbox) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Run delivers queued mail until ctx ends.
func (o *Outbox) Run(ctx context.Context) {
	if o.transport == nil {
		return
	}
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		if err := o.drain(ctx); err != nil && ctx.Err() == nil {
			o.log.Warn("outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-o.kick:
		}
	}
}

// claim takes up to n due messages for this worker.
func (o *Outbox) claim(ctx context.Context, n int) ([]OutboxMessage, error) {
	now := o.now()
	rows, err := o.db.W.QueryContext(ctx, `UPDATE outbox SET status = 'sending', claimed_at = $1, attempts = attempts + 1
		WHERE id IN (SELECT id FROM outbox
			WHERE (status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND claimed_at < $2)
			ORDER BY id LIMIT $3`+o.db.SkipLocked()+`)
		RETURNING id, kind, to_addr, subject, text_body, html_body, headers, attempts`, now, now.Add(-claimTimeout), n)
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		var m OutboxMessage
		var hdr string
		if err := rows.Scan(&m.ID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &hdr, &m.Attempts); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(hdr), &m.Headers); err != nil {
			return nil, fmt.Errorf("outbox %d headers: %w", m.ID, err)
		}
		if rt, ok := m.Headers["Reply-To"]; ok {
			m.ReplyTo = rt
			delete(m.Headers, "Reply-To")
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i := range out {
		if out[i].Attachments, err = o.attachments(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// attachments loads the files attached to a queued message.
func (o *Outbox) attachments(ctx context.Context, id int64) ([]Attachment, error) {
	rows, err := o.db.W.QueryContext(ctx, "SELECT filename, content_type, data FROM outbox_attachments WHERE outbox_id = $1 ORDER BY id", id)
	if err != nil {
		return nil, fmt.Errorf("outbox %d attachments: %w", id, err)
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.Name, &a.ContentType, &a.Data); err != nil {
			return nil, fmt.Errorf("outbox %d attachments: %w", id, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (o *Outbox) drain(ctx context.Context) error {
	for {
		batch, err := o.claim(ctx, 20)
		if err != nil || len(batch) == 0 {
			return err
		}
		conn, err := o.transport.Open(ctx)
		if err != nil {
			for _, m := range batch {
				o.finish(ctx, m, err)
			}
			return err
		}
		for _, m := range batch {
			o.finish(ctx, m, conn.Send(&m.Message))
		}
		if err := conn.Close(); err != nil {
			o.log.Debug("outbox close", "err", err)
		}
	}
}

func (o *Outbox) finish(ctx context.Context, m OutboxMessage, sendErr error) {
	now := o.now()
	var err error
	switch {
	case sendErr == nil:
		_, err = o.db.W.ExecContext(ctx, "UPDATE outbox SET status = 'sent', sent_at = $1, last_error = '' WHERE id = $2", now, m.ID)
		o.log.Info("mail sent", "kind", m.Kind, "id", m.ID)
	case IsTemporary(sendErr) && m.Attempts < maxAttempts:
		backoff := time.Duration(1<<min(m.Attempts, 10)) * 30 * time.Second
		_, err = o.db.W.ExecContext(ctx, "UPDATE outbox SET status = 'pending', next_attempt_at = $1, last_error = $2 WHERE id = $3",
			now.Add(backoff), clip(sendErr.Error()), m.ID)
		o.log.Warn("mail deferred", "kind", m.Kind, "id", m.ID, "attempt", m.Attempts, "err", sendErr)
	default:
		_, err = o.db.W.ExecContext(ctx, "UPDATE outbox SET status = 'failed', last_error = $1 WHERE id = $2", clip(sendErr.Error()), m.ID)
		o.log.Error("mail failed", "kind", m.Kind, "id", m.ID, "err", sendErr)
	}
	if err != nil {
		o.log.Error("outbox update", "id", m.ID, "err", err)
	}
}

func clip(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}

// List returns outbox messages newest first (bodies included), with the total.
func (o *Outbox) List(ctx context.Context, limit, offset int) ([]OutboxMessage, int, error) {
	var total int
	if err := o.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox").Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count outbox: %w", err)
	}
	rows, err := o.db.R.QueryContext(ctx, `SELECT id, created_at, kind, to_addr, subject, text_body, html_body, status, attempts, last_error, sent_at
		FROM outbox ORDER BY id DESC LIMIT $1 OFFSET $2`, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		var m OutboxMessage
		var sent sql.NullTime
		if err := rows.Scan(&m.ID, &m.CreatedAt, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Status, &m.Attempts, &m.LastError, &sent); err != nil {
			return nil, 0, fmt.Errorf("list outbox: %w", err)
		}
		m.SentAt = sent.Time
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// Get returns one outbox message.
func (o *Outbox) Get(ctx context.Context, id int64) (OutboxMessage, error) {
	var m OutboxMessage
	var sent sql.NullTime
	err := o.db.R.QueryRowContext(ctx, `SELECT id, created_at, kind, to_addr, subject, text_body, html_body, status, attempts, last_error, sent_at
		FROM outbox WHERE id = $1`, id).Scan(&m.ID, &m.CreatedAt, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Status, &m.Attempts, &m.LastError, &sent)
	if errors.Is(err, sql.ErrNoRows) {
		return m, errs.ErrNotFound
	}
	m.SentAt = sent.Time
	return m, err
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
