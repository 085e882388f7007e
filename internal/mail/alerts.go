package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
)

// Alerts: Notify records a published item and queues it for the confirmed
// followers of its tags (alert_queue); SendDueAlerts turns the queue into
// e-mail through the outbox — one message per item for "instant"
// subscribers, one digest at 07:00 UTC for "daily" ones. Deleting a queue
// row and queueing its e-mail happen in one transaction, so an alert is
// mailed once even with several workers.

const (
	digestHour     = 7 // UTC
	alertBatch     = 200
	alertTick      = 30 * time.Second
	maxReasonNames = 5
)

// alertKicks holds each Service's wake-up channel for RunAlerts.
var alertKicks sync.Map // *Service → chan struct{}

func (s *Service) alertKick() chan struct{} {
	c, _ := alertKicks.LoadOrStore(s, make(chan struct{}, 1))
	return c.(chan struct{})
}

// KickAlerts wakes the alerts worker without waiting for its next tick.
func (s *Service) KickAlerts() {
	select {
	case s.alertKick() <- struct{}{}:
	default:
	}
}

// Notify records a published item and queues an alert for every confirmed,
// unsuppressed subscriber following one of its tags (a country's region,
// sub-region and coalition groupings count). Idempotent per (Type, ID).
func (s *Service) Notify(ctx context.Context, item AlertItem) error {
	item.Type = strings.TrimSpace(item.Type)
	if item.Type == "" || item.ID <= 0 {
		return errs.Invalid("item", "An alert needs the item's type and id.")
	}
	// A missing title or a relative address must not hold up the callers'
	// queues: make do.
	item.Title = clipRunes(oneLine(item.Title), 300)
	if item.Title == "" {
		item.Title = "New " + strings.ToLower(itemLabel(item.Type))
	}
	if !strings.HasPrefix(item.URL, "https://") && !strings.HasPrefix(item.URL, "http://") {
		item.URL = s.o.BaseURL + "/" + strings.TrimPrefix(item.URL, "/")
	}
	item.Summary = clipRunes(cleanText(strings.TrimSpace(item.Summary)), 2000)
	now := s.now()
	if item.PublishedAt.IsZero() {
		item.PublishedAt = now
	}
	var tags []int64
	for _, id := range uniqIDs(item.TagIDs) {
		if id > 0 {
			tags = append(tags, id)
		}
	}
	var queued int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var aid int64
		err := tx.QueryRowContext(ctx, `INSERT INTO alert_items (item_type, item_id, title, url, summary, published_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (item_type, item_id) DO NOTHING RETURNING id`,
			item.Type, item.ID, item.Title, item.URL, item.Summary, item.PublishedAt.UTC(), now).Scan(&aid)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && len(tags) == 0) {
			return nil // already announced, or nothing to follow it by
		}
		if err != nil {
			return fmt.Errorf("record alert item: %w", err)
		}
		// The item's tags with their ancestors: a country's sub-region and
		// region, a sub-region's region, the groupings holding a country.
		ph, args := subIDArgs(tags, 1)
		res, err := tx.ExecContext(ctx, `INSERT INTO alert_queue (subscriber_id, alert_id, created_at)
			SELECT DISTINCT f.subscriber_id, a.id, a.created_at
			FROM subscriber_follows f JOIN subscribers s ON s.id = f.subscriber_id JOIN alert_items a ON a.id = $1
			WHERE f.pending = FALSE AND s.confirmed_at IS NOT NULL AND s.suppressed_at IS NULL AND f.tag_id IN (
				SELECT id FROM tags WHERE id IN (`+ph+`)
				UNION SELECT parent_id FROM tags WHERE id IN (`+ph+`) AND parent_id IS NOT NULL
				UNION SELECT p.parent_id FROM tags c JOIN tags p ON p.id = c.parent_id WHERE c.id IN (`+ph+`) AND p.parent_id IS NOT NULL
				UNION SELECT grouping_id FROM grouping_countries WHERE country_id IN (`+ph+`))
			ON CONFLICT (subscriber_id, alert_id) DO NOTHING`, append([]any{aid}, args...)...)
		if err != nil {
			return fmt.Errorf("queue alerts: %w", err)
		}
		queued, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return fmt.Errorf("notify: %w", db.Classify(err))
	}
	if queued > 0 {
		s.KickAlerts()
	}
	return nil
}

// RunAlerts sends queued alerts until ctx ends: at once for "instant"
// subscribers, and one digest a day (at 07:00 UTC) for "daily" ones.
func (s *Service) RunAlerts(ctx context.Context) {
	t := time.NewTicker(alertTick)
	defer t.Stop()
	kick := s.alertKick()
	for {
		if _, err := s.SendDueAlerts(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("alerts", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
		}
	}
}

// nextDigest is the first 07:00 UTC strictly after t.
func nextDigest(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), digestHour, 0, 0, 0, time.UTC)
	if !d.After(t) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// queuedAlert is one row of alert_queue with its item.
type queuedAlert struct {
	sid  int64
	item AlertItem
	aid  int64
}

// SendDueAlerts makes one pass over the alert queue: every instant alert,
// and the digests that are due, become e-mails in the outbox. It returns
// how many e-mails it queued.
func (s *Service) SendDueAlerts(ctx context.Context) (int, error) {
	env, err := s.mailEnv(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	// Nothing goes to an address that is not (or no longer) confirmed or
	// that bounced; a digest slot that passed with nothing to send is
	// forgotten, so the next item waits for the next 07:00.
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM alert_queue WHERE subscriber_id IN
			(SELECT id FROM subscribers WHERE suppressed_at IS NOT NULL OR confirmed_at IS NULL)`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET next_digest_at = NULL WHERE next_digest_at <= $1
			AND NOT EXISTS (SELECT 1 FROM alert_queue q WHERE q.subscriber_id = subscribers.id)`, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE subscribers SET next_digest_at = $1 WHERE alert_frequency = 'daily' AND next_digest_at IS NULL
			AND EXISTS (SELECT 1 FROM alert_queue q WHERE q.subscriber_id = subscribers.id)`, nextDigest(now))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("alert queue: %w", db.Classify(err))
	}
	sent := 0
	for {
		n, more, err := s.sendInstant(ctx, env)
		sent += n
		if err != nil {
			return sent, err
		}
		if !more {
			break
		}
	}
	for {
		n, more, err := s.sendDigests(ctx, env, now)
		sent += n
		if err != nil {
			return sent, err
		}
		if !more {
			break
		}
	}
	if sent > 0 {
		s.outbox.Kick()
	}
	return sent, nil
}

const alertItemCols = "a.id, a.item_type, a.item_id, a.title, a.url, a.summary, a.published_at"

func scanQueued(rows *sql.Rows) ([]queuedAlert, error) {
	defer rows.Close()
	var out []queuedAlert
	for rows.Next() {
		var q queuedAlert
		if err := rows.Scan(&q.sid, &q.aid, &q.item.Type, &q.item.ID, &q.item.Title, &q.item.URL, &q.item.Summary, &q.item.PublishedAt); err != nil {
			return nil, fmt.Errorf("alert queue: %w", err)
		}
		q.item.PublishedAt = q.item.PublishedAt.UTC()
		out = append(out, q)
	}
	return out, rows.Err()
}

// recipients loads subscribers and the names of what they follow.
func (s *Service) recipients(ctx context.Context, ids []int64) (map[int64]Subscriber, map[int64][]string, error) {
	ids = uniqIDs(ids)
	subs := map[int64]Subscriber{}
	names := map[int64][]string{}
	if len(ids) == 0 {
		return subs, names, nil
	}
	ph, args := subIDArgs(ids, 0)
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+subscriberCols+" FROM subscribers s WHERE s.id IN ("+ph+")", args...)
	if err != nil {
		return nil, nil, fmt.Errorf("alert recipients: %w", err)
	}
	for rows.Next() {
		sub, err := scanSubscriber(rows)
		if err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("alert recipients: %w", err)
		}
		subs[sub.ID] = sub
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = s.db.R.QueryContext(ctx, `SELECT f.subscriber_id, t.name FROM subscriber_follows f JOIN tags t ON t.id = f.tag_id
		WHERE f.pending = FALSE AND f.subscriber_id IN (`+ph+`) ORDER BY t.name`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("alert follows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, nil, err
		}
		names[id] = append(names[id], n)
	}
	return subs, names, rows.Err()
}

// sendInstant mails up to alertBatch queued alerts of instant subscribers.
func (s *Service) sendInstant(ctx context.Context, env mailEnv) (sent int, more bool, err error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT q.subscriber_id, `+alertItemCols+`
		FROM alert_queue q JOIN alert_items a ON a.id = q.alert_id JOIN subscribers s ON s.id = q.subscriber_id
		WHERE s.alert_frequency = 'instant' AND s.confirmed_at IS NOT NULL AND s.suppressed_at IS NULL
		ORDER BY q.created_at, q.alert_id, q.subscriber_id LIMIT $1`, alertBatch)
	if err != nil {
		return 0, false, fmt.Errorf("alert queue: %w", err)
	}
	batch, err := scanQueued(rows)
	if err != nil || len(batch) == 0 {
		return 0, false, err
	}
	ids := make([]int64, len(batch))
	for i, q := range batch {
		ids[i] = q.sid
	}
	subs, names, err := s.recipients(ctx, ids)
	if err != nil {
		return 0, false, err
	}
	msgs := make([]Message, len(batch))
	for i, q := range batch {
		if msgs[i], err = s.alertMessage(env, subs[q.sid], names[q.sid], []AlertItem{q.item}); err != nil {
			return 0, false, err
		}
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		sent = 0
		for i, q := range batch {
			res, err := tx.ExecContext(ctx, "DELETE FROM alert_queue WHERE subscriber_id = $1 AND alert_id = $2", q.sid, q.aid)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue // another worker sent it
			}
			if err := s.outbox.EnqueueTx(ctx, tx, "alert", msgs[i]); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("send alerts: %w", db.Classify(err))
	}
	return sent, len(batch) == alertBatch, nil
}

// sendDigests mails the due digests of up to alertBatch daily subscribers.
func (s *Service) sendDigests(ctx context.Context, env mailEnv, now time.Time) (sent int, more bool, err error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT s.id FROM subscribers s
		WHERE s.alert_frequency = 'daily' AND s.next_digest_at <= $1 AND s.confirmed_at IS NOT NULL AND s.suppressed_at IS NULL
		AND EXISTS (SELECT 1 FROM alert_queue q WHERE q.subscriber_id = s.id)
		ORDER BY s.id LIMIT $2`, now, alertBatch)
	if err != nil {
		return 0, false, fmt.Errorf("due digests: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, false, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return 0, false, err
	}
	subs, names, err := s.recipients(ctx, ids)
	if err != nil {
		return 0, false, err
	}
	next := nextDigest(now)
	for _, sid := range ids {
		rows, err := s.db.R.QueryContext(ctx, `SELECT q.subscriber_id, `+alertItemCols+`
			FROM alert_queue q JOIN alert_items a ON a.id = q.alert_id WHERE q.subscriber_id = $1
			ORDER BY a.published_at, a.id`, sid)
		if err != nil {
			return sent, false, fmt.Errorf("digest items: %w", err)
		}
		queued, err := scanQueued(rows)
		if err != nil {
			return sent, false, err
		}
		if len(queued) == 0 {
			continue
		}
		items := make([]AlertItem, len(queued))
		for i, q := range queued {
			items[i] = q.item
		}
		m, err := s.alertMessage(env, subs[sid], names[sid], items)
		if err != nil {
			return sent, false, err
		}
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			// Claim the digest: a second worker finds it already moved on.
			res, err := tx.ExecContext(ctx, "UPDATE subscribers SET next_digest_at = $1 WHERE id = $2 AND next_digest_at <= $3", next, sid, now)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			for _, q := range queued {
				if _, err := tx.ExecContext(ctx, "DELETE FROM alert_queue WHERE subscriber_id = $1 AND alert_id = $2", sid, q.aid); err != nil {
					return err
				}
			}
			if err := s.outbox.EnqueueTx(ctx, tx, "alert-digest", m); err != nil {
				return err
			}
			sent++
			return nil
		})
		if err != nil {
			return sent, false, fmt.Errorf("send digest: %w", db.Classify(err))
		}
	}
	return sent, len(ids) == alertBatch, nil
}

var itemLabels = map[string]string{"article": "Article", "document": "Document", "crisis-update": "Crisis update"}

func itemLabel(t string) string {
	if l, ok := itemLabels[t]; ok {
		return l
	}
	return strings.ToUpper(t[:1]) + strings.ReplaceAll(t[1:], "-", " ")
}

// followReason is the footer line naming what the subscriber follows.
func followReason(names []string) string {
	if len(names) == 0 {
		return "You receive these alerts because you follow topics on our site."
	}
	shown := names
	rest := ""
	if len(names) > maxReasonNames {
		shown = names[:maxReasonNames]
		rest = fmt.Sprintf(" and %d more", len(names)-maxReasonNames)
	}
	return "You receive these alerts because you follow " + strings.Join(shown, ", ") + rest + "."
}

// alertMessage is one alert (one item) or a digest (several).
func (s *Service) alertMessage(env mailEnv, sub Subscriber, follows []string, items []AlertItem) (Message, error) {
	var b, t strings.Builder
	var heading, subject, pre string
	if len(items) == 1 && sub.Frequency != FrequencyDaily {
		it := items[0]
		heading, subject, pre = it.Title, it.Title, itemLabel(it.Type)+": "+it.Title
		fmt.Fprintf(&b, `<p style="margin:0 0 8px;font-size:13px;color:#52606d;">%s · %s</p>`,
			template.HTMLEscapeString(itemLabel(it.Type)), it.PublishedAt.Format("2 January 2006"))
		if it.Summary != "" {
			fmt.Fprintf(&b, "<p>%s</p>", template.HTMLEscapeString(it.Summary))
			t.WriteString(it.Summary + "\n\n")
		}
		fmt.Fprintf(&b, `<p><a href="%s" style="color:#0b4f6c;">Read it on our site</a></p>`, template.HTMLEscapeString(it.URL))
		t.WriteString("Read it on our site: " + it.URL + "\n")
	} else {
		heading = "Your daily alerts"
		subject = fmt.Sprintf("Your daily alerts: %d new items", len(items))
		if len(items) == 1 {
			subject = "Your daily alerts: " + items[0].Title
		}
		pre = items[0].Title
		for _, it := range items {
			fmt.Fprintf(&b, `<h2 style="font-size:18px;margin:20px 0 4px;"><a href="%s" style="color:#0b4f6c;">%s</a></h2>
<p style="margin:0 0 4px;font-size:13px;color:#52606d;">%s · %s</p>`,
				template.HTMLEscapeString(it.URL), template.HTMLEscapeString(it.Title),
				template.HTMLEscapeString(itemLabel(it.Type)), it.PublishedAt.Format("2 January 2006"))
			fmt.Fprintf(&t, "%s\n%s, %s\n", it.Title, itemLabel(it.Type), it.PublishedAt.Format("2 January 2006"))
			if it.Summary != "" {
				fmt.Fprintf(&b, `<p style="margin:0 0 8px;">%s</p>`, template.HTMLEscapeString(it.Summary))
				t.WriteString(it.Summary + "\n")
			}
			t.WriteString(it.URL + "\n\n")
		}
	}
	unsub := env.unsubURL(s.o.BaseURL, sub, "alerts")
	h, txt, err := composeWith(env.org, env.address, Email{Heading: heading, Preheader: pre,
		BodyHTML: template.HTML(b.String()), BodyText: t.String(), //nolint:gosec // every value escaped above
		Reason: followReason(follows), PrefsURL: env.prefsURL(s.o.BaseURL, sub), UnsubURL: unsub})
	if err != nil {
		return Message{}, err
	}
	return Message{To: sub.Email, Subject: clipRunes(strings.Join(strings.Fields(subject), " "), 200), Text: txt, HTML: h,
		Headers: s.BulkHeaders(unsub, "Alerts", "alerts")}, nil
}
