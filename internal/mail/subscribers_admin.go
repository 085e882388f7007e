package mail

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
)

// SubscriberFilter narrows the admin's subscriber list.
type SubscriberFilter struct {
	Q      string // part of the address or name
	ListID int64
	Status string // "", confirmed, unconfirmed, unsubscribed (from every list), suppressed
	TagID  int64  // follows this tag
	Limit  int
	Offset int
}

// Subscriber states the admin filters by (SubscriberFilter.Status).
const (
	FilterConfirmed    = "confirmed"
	FilterUnconfirmed  = "unconfirmed"
	FilterUnsubscribed = "unsubscribed"
	FilterSuppressed   = "suppressed"
)

// where returns the condition on subscribers s and its arguments.
func (f SubscriberFilter) where() (string, []any, error) {
	conds := []string{"TRUE"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q := strings.ToLower(oneLine(f.Q)); q != "" {
		p := arg("%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(q) + "%")
		conds = append(conds, "(s.email LIKE "+p+` ESCAPE '\' OR LOWER(s.name) LIKE `+p+` ESCAPE '\')`)
	}
	if f.ListID > 0 {
		conds = append(conds, "EXISTS (SELECT 1 FROM subscriptions su WHERE su.subscriber_id = s.id AND su.list_id = "+arg(f.ListID)+" AND su.status <> 'unsubscribed')")
	}
	if f.TagID > 0 {
		conds = append(conds, "EXISTS (SELECT 1 FROM subscriber_follows sf WHERE sf.subscriber_id = s.id AND sf.tag_id = "+arg(f.TagID)+")")
	}
	switch f.Status {
	case "":
	case FilterConfirmed:
		conds = append(conds, "s.confirmed_at IS NOT NULL AND s.suppressed_at IS NULL")
	case FilterUnconfirmed:
		conds = append(conds, "s.confirmed_at IS NULL")
	case FilterUnsubscribed:
		conds = append(conds, `NOT EXISTS (SELECT 1 FROM subscriptions su WHERE su.subscriber_id = s.id AND su.status <> 'unsubscribed')
			AND NOT EXISTS (SELECT 1 FROM subscriber_follows sf WHERE sf.subscriber_id = s.id)`)
	case FilterSuppressed:
		conds = append(conds, "s.suppressed_at IS NOT NULL")
	default:
		return "", nil, errs.Invalid("status", "Unknown status.")
	}
	return strings.Join(conds, " AND "), args, nil
}

// SubscriberRow is one line of the admin's subscriber list.
type SubscriberRow struct {
	Subscriber
	Lists []string // names of active lists
}

// Subscribers lists subscribers for the admin, newest first, with the total.
func (s *Service) Subscribers(ctx context.Context, f SubscriberFilter) ([]SubscriberRow, int, error) {
	where, args, err := f.where()
	if err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 1000)
	f.Offset = max(0, f.Offset)
	var total int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM subscribers s WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count subscribers: %w", err)
	}
	n := len(args)
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+subscriberCols+" FROM subscribers s WHERE "+where+
		fmt.Sprintf(" ORDER BY s.id DESC LIMIT $%d OFFSET $%d", n+1, n+2), append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("subscribers: %w", err)
	}
	defer rows.Close()
	var out []SubscriberRow
	for rows.Next() {
		sub, err := scanSubscriber(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("subscribers: %w", err)
		}
		out = append(out, SubscriberRow{Subscriber: sub})
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("subscribers: %w", err)
	}
	rows.Close()
	ids := make([]int64, len(out))
	for i, r := range out {
		ids[i] = r.ID
	}
	names, err := s.activeListNames(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		out[i].Lists = names[out[i].ID]
	}
	return out, total, nil
}

// activeListNames returns the names of the active lists of subscribers.
func (s *Service) activeListNames(ctx context.Context, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	ph, args := subIDArgs(ids, 0)
	rows, err := s.db.R.QueryContext(ctx, `SELECT su.subscriber_id, l.name FROM subscriptions su JOIN mailing_lists l ON l.id = su.list_id
		WHERE su.status = 'active' AND su.subscriber_id IN (`+ph+`) ORDER BY l.position, l.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("subscriber lists: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = append(out[id], n)
	}
	return out, rows.Err()
}

// SubscriberDetail is the admin's view of one subscriber.
type SubscriberDetail struct {
	Subscriber    Subscriber
	Subscriptions []Subscription
	Follows       []int64
	Consents      []Consent // oldest first
	Bounces       []Bounce
}

// SubscriberByID returns the admin's view of one subscriber.
func (s *Service) SubscriberByID(ctx context.Context, id int64) (SubscriberDetail, error) {
	sub, err := getSubscriber(ctx, s.db.R, id)
	if err != nil {
		return SubscriberDetail{}, err
	}
	d := SubscriberDetail{Subscriber: sub}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+listCols+`, su.status, su.updated_at
		FROM subscriptions su JOIN mailing_lists l ON l.id = su.list_id WHERE su.subscriber_id = $1 ORDER BY l.position, l.name`, id)
	if err != nil {
		return d, fmt.Errorf("subscriptions: %w", err)
	}
	for rows.Next() {
		var sn Subscription
		l, err := scanMailingList(rows, &sn.Status, &sn.UpdatedAt)
		if err != nil {
			rows.Close()
			return d, fmt.Errorf("subscriptions: %w", err)
		}
		sn.List, sn.UpdatedAt = l, sn.UpdatedAt.UTC()
		d.Subscriptions = append(d.Subscriptions, sn)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, err
	}
	if d.Follows, err = followIDs(ctx, s.db.R, id); err != nil {
		return d, err
	}
	if d.Consents, err = s.consents(ctx, id); err != nil {
		return d, err
	}
	rows, err = s.db.R.QueryContext(ctx, `SELECT created_at, email, kind, source, campaign_id, detail FROM mail_bounces
		WHERE email = $1 ORDER BY created_at, id`, sub.Email)
	if err != nil {
		return d, fmt.Errorf("bounces: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b Bounce
		var cid sql.NullInt64
		if err := rows.Scan(&b.At, &b.Email, &b.Kind, &b.Source, &cid, &b.Detail); err != nil {
			return d, fmt.Errorf("bounces: %w", err)
		}
		b.At, b.CampaignID = b.At.UTC(), cid.Int64
		d.Bounces = append(d.Bounces, b)
	}
	return d, rows.Err()
}

func (s *Service) consents(ctx context.Context, id int64) ([]Consent, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT created_at, action, source, consent_text, lists FROM subscriber_consents
		WHERE subscriber_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("consents: %w", err)
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		var c Consent
		if err := rows.Scan(&c.At, &c.Action, &c.Source, &c.ConsentText, &c.Lists); err != nil {
			return nil, fmt.Errorf("consents: %w", err)
		}
		c.At = c.At.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// AdminUpdate lets staff suppress or unsuppress an address, or erase it
// (action: "suppress", "unsuppress", "delete").
func (s *Service) AdminUpdate(ctx context.Context, id int64, action string) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		switch action {
		case "suppress":
			res, err = tx.ExecContext(ctx, `UPDATE subscribers SET suppressed_at = $1, suppress_reason = 'admin'
				WHERE id = $2`, now, id)
		case "unsuppress":
			res, err = tx.ExecContext(ctx, "UPDATE subscribers SET suppressed_at = NULL, suppress_reason = '' WHERE id = $1", id)
		case "delete":
			res, err = tx.ExecContext(ctx, "DELETE FROM subscribers WHERE id = $1", id)
		default:
			return errs.Invalid("action", "Unknown action.")
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		if action == "delete" {
			return nil
		}
		return addConsent(ctx, tx, id, now, "admin", "admin", action, "")
	})
	if err != nil {
		return fmt.Errorf("update subscriber: %w", db.Classify(err))
	}
	return nil
}

// AddInput is a subscriber added by the API or an import.
type AddInput struct {
	Email   string
	Name    string
	ListIDs []int64
	Status  string // "confirmed" (consent obtained elsewhere) or "pending" (sends a confirmation)
	Source  string // "api", "import"
}

// Add creates or updates a subscriber without a form (API, import). Status
// "confirmed" makes the lists active at once, except lists the address left
// earlier (only a new confirmation puts it back); "pending" (the default)
// works like the subscribe form, with a confirmation mail.
func (s *Service) Add(ctx context.Context, in AddInput) (Subscriber, error) {
	email, err := NormaliseEmail(in.Email)
	if err != nil {
		return Subscriber{}, err
	}
	name, err := cleanName(in.Name)
	if err != nil {
		return Subscriber{}, err
	}
	var confirmed bool
	switch in.Status {
	case "confirmed", SubActive:
		confirmed = true
	case "", SubPending:
	default:
		return Subscriber{}, errs.Invalid("status", `Use "confirmed" or "pending".`)
	}
	lists, err := s.listsByID(ctx, uniqIDs(in.ListIDs))
	if err != nil {
		return Subscriber{}, err
	}
	src := strings.TrimSpace(in.Source)
	if src == "" {
		src = "api"
	}
	action := "api"
	if src == "import" {
		action = "import"
	}
	env, err := s.mailEnv(ctx)
	if err != nil {
		return Subscriber{}, err
	}
	su := signup{email: email, name: name, frequency: FrequencyInstant, lists: lists, confirmed: confirmed,
		action: action, source: src}
	var res signupResult
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err = s.applySignup(ctx, tx, env, su)
		return err
	})
	if err != nil {
		return Subscriber{}, fmt.Errorf("add subscriber: %w", db.Classify(err))
	}
	if res.mailed {
		s.outbox.Kick()
	}
	return getSubscriber(ctx, s.db.R, res.sub.ID)
}

// PersonRecord is a subscription summary for the admin's person view.
type PersonRecord struct {
	SubscriberID int64
	Summary      string // "Monthly Newsletter (active), Crisis Alerts (pending)"
	At           time.Time
}

// PersonRecords returns the subscriber record of an address, if any.
func (s *Service) PersonRecords(ctx context.Context, email string) ([]PersonRecord, error) {
	e, err := NormaliseEmail(email)
	if err != nil {
		return nil, nil
	}
	sub, err := scanSubscriber(s.db.R.QueryRowContext(ctx, "SELECT "+subscriberCols+" FROM subscribers s WHERE s.email = $1", e))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("person subscriber: %w", err)
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT l.name, su.status FROM subscriptions su JOIN mailing_lists l ON l.id = su.list_id
		WHERE su.subscriber_id = $1 ORDER BY l.position, l.name`, sub.ID)
	if err != nil {
		return nil, fmt.Errorf("person subscriptions: %w", err)
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var n, st string
		if err := rows.Scan(&n, &st); err != nil {
			return nil, err
		}
		parts = append(parts, n+" ("+st+")")
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	fs, err := followIDs(ctx, s.db.R, sub.ID)
	if err != nil {
		return nil, err
	}
	if len(fs) > 0 {
		parts = append(parts, fmt.Sprintf("alerts on %d topics", len(fs)))
	}
	switch {
	case sub.Suppressed():
		parts = append(parts, "suppressed")
	case !sub.Confirmed():
		parts = append(parts, "address not confirmed")
	}
	if len(parts) == 0 {
		parts = append(parts, "no subscriptions")
	}
	return []PersonRecord{{SubscriberID: sub.ID, Summary: strings.Join(parts, ", "), At: sub.CreatedAt}}, nil
}
