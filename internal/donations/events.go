package donations

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"coalition/internal/errs"
	"coalition/internal/settings"
)

// Outcome of applying an event, as recorded in donation_events.
const (
	eventProcessed = "processed"
	eventIgnored   = "ignored"
	eventParked    = "parked"
)

type outcome struct {
	status  string
	parkKey string
	detail  string
}

func processed() outcome             { return outcome{status: eventProcessed} }
func ignored(why string) outcome     { return outcome{status: eventIgnored, detail: why} }
func parked(key, why string) outcome { return outcome{status: eventParked, parkKey: key, detail: why} }

// HandleWebhook verifies and applies one webhook delivery from the named
// provider. An inauthentic delivery returns an error wrapping
// ErrBadSignature and changes nothing; a duplicate returns nil and changes
// nothing; an error of any other kind means "try again later" (the provider
// retries), and nothing of the event was kept.
func (s *Service) HandleWebhook(ctx context.Context, provider string, body []byte, header http.Header) error {
	p, ok := s.providers[provider]
	if !ok {
		return errs.ErrNotFound
	}
	ev, err := p.ParseWebhook(body, header)
	if err != nil {
		return err
	}
	return s.Apply(ctx, p.Name(), ev)
}

// sideEffects are done after the transaction commits.
type sideEffects struct {
	newsletter bool   // a paid gift asked for the newsletter
	resolve    string // a parked refund whose payment the provider may identify
}

// Apply records and applies one provider event, exactly once: the event's
// id is stored in the same transaction as its effect.
func (s *Service) Apply(ctx context.Context, provider string, ev Event) error {
	if ev.ID == "" {
		return errs.Invalid("event", "event without an id")
	}
	site, err := s.prepare(ctx)
	if err != nil {
		return err
	}
	var fx sideEffects
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		fx = sideEffects{}
		res, err := tx.ExecContext(ctx, `INSERT INTO donation_events (provider, event_id, type, received_at, status)
			VALUES ($1, $2, $3, $4, 'processed') ON CONFLICT (provider, event_id) DO NOTHING`, provider, ev.ID, ev.Type, s.now())
		if err != nil {
			return fmt.Errorf("record event %s: %w", ev.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			s.log.Info("donation event already handled", "provider", provider, "event", ev.ID, "type", ev.Type)
			return nil
		}
		out, err := s.applyTx(ctx, tx, provider, ev, site, &fx)
		if err != nil {
			return err
		}
		return recordOutcome(ctx, tx, provider, ev, out)
	})
	if err != nil {
		return err
	}
	s.after(ctx, provider, fx)
	return nil
}

func recordOutcome(ctx context.Context, tx *sql.Tx, provider string, ev Event, out outcome) error {
	if out.status == eventProcessed && out.detail == "" {
		return nil
	}
	payload := ""
	if out.status == eventParked {
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		payload = string(b)
	}
	_, err := tx.ExecContext(ctx, `UPDATE donation_events SET status = $1, park_key = $2, payload = $3, detail = $4
		WHERE provider = $5 AND event_id = $6`, out.status, out.parkKey, payload, clip(out.detail, 500), provider, ev.ID)
	if err != nil {
		return fmt.Errorf("record event outcome: %w", err)
	}
	return nil
}

// after runs what must not hold the transaction open: the newsletter
// hand-over and asking the provider about an unknown payment.
func (s *Service) after(ctx context.Context, provider string, fx sideEffects) {
	if fx.newsletter {
		if err := s.FlushNewsletterWishes(ctx); err != nil {
			s.log.Warn("newsletter sign-up of donors", "err", err)
		}
	}
	if fx.resolve != "" {
		if err := s.resolvePayment(ctx, provider, fx.resolve); err != nil {
			s.log.Warn("match refunded payment", "payment", fx.resolve, "err", err)
		}
	}
}

// eventTime is when the provider says the event happened.
func (s *Service) eventTime(ev Event) time.Time {
	if ev.Created.IsZero() {
		return s.now()
	}
	return ev.Created.UTC()
}

func (s *Service) applyTx(ctx context.Context, tx *sql.Tx, provider string, ev Event, site settings.Settings, fx *sideEffects) (outcome, error) {
	switch ev.Kind {
	case EventCheckoutCompleted, EventCheckoutPaid, EventCheckoutFailed, EventCheckoutExpired:
		if ev.Monthly {
			return s.applyPlanCheckout(ctx, tx, provider, ev)
		}
		return s.applyCheckout(ctx, tx, provider, ev, site, fx)
	case EventInvoicePaid, EventInvoiceFailed:
		return s.applyInvoice(ctx, tx, provider, ev, site, fx)
	case EventRecurringEnded:
		p, err := s.findPlan(ctx, tx, provider, ev)
		if err != nil {
			return outcome{}, err
		}
		if p == nil {
			return ignored("no monthly gift with this reference"), nil
		}
		at := s.eventTime(ev)
		_, err = tx.ExecContext(ctx, `UPDATE donation_plans SET status = 'cancelled', status_at = $1, cancelled_at = $1, updated_at = $2
			WHERE id = $3 AND status <> 'cancelled'`, at, s.now(), p.ID)
		if err != nil {
			return outcome{}, fmt.Errorf("cancel monthly gift: %w", err)
		}
		return processed(), nil
	case EventRefund:
		return s.applyRefund(ctx, tx, provider, ev, fx)
	}
	return ignored("not a donation event"), nil
}

// findPlan finds a monthly gift by our reference or the provider's
// subscription id; nil when neither is known.
func (s *Service) findPlan(ctx context.Context, tx *sql.Tx, provider string, ev Event) (*Plan, error) {
	try := func(where string, arg string) (*Plan, error) {
		if arg == "" {
			return nil, nil
		}
		p, err := getPlan(ctx, tx, "p.provider = $1 AND "+where, provider, arg)
		if errors.Is(err, errs.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return &p, nil
	}
	p, err := try("p.ref = $2", ev.Ref)
	if p != nil || err != nil {
		return p, err
	}
	if p, err = try("p.provider_subscription_id = $2", ev.SubscriptionID); p != nil || err != nil {
		return p, err
	}
	return try("p.provider_session_id = $2", ev.SessionID)
}

// notePlanIDs stores the provider's ids on a monthly gift the first time
// they are seen.
func (s *Service) notePlanIDs(ctx context.Context, tx *sql.Tx, p *Plan, ev Event) error {
	_, err := tx.ExecContext(ctx, `UPDATE donation_plans SET
		provider_subscription_id = COALESCE(provider_subscription_id, $1),
		provider_customer_id = CASE WHEN provider_customer_id = '' THEN $2 ELSE provider_customer_id END,
		provider_session_id = CASE WHEN provider_session_id = '' THEN $3 ELSE provider_session_id END
		WHERE id = $4`, nullStr(ev.SubscriptionID), ev.CustomerID, ev.SessionID, p.ID)
	if err != nil {
		return fmt.Errorf("note subscription: %w", err)
	}
	return nil
}

func (s *Service) applyPlanCheckout(ctx context.Context, tx *sql.Tx, provider string, ev Event) (outcome, error) {
	p, err := s.findPlan(ctx, tx, provider, ev)
	if err != nil {
		return outcome{}, err
	}
	if p == nil {
		return ignored("no monthly gift with this reference"), nil
	}
	if err := s.notePlanIDs(ctx, tx, p, ev); err != nil {
		return outcome{}, err
	}
	at := s.eventTime(ev)
	switch ev.Kind {
	case EventCheckoutCompleted, EventCheckoutPaid:
		_, err = tx.ExecContext(ctx, `UPDATE donation_plans SET status = 'active', status_at = $1, updated_at = $2
			WHERE id = $3 AND status = 'pending'`, at, s.now(), p.ID)
	default:
		_, err = tx.ExecContext(ctx, `UPDATE donation_plans SET status = 'cancelled', status_at = $1, cancelled_at = $1, updated_at = $2
			WHERE id = $3 AND status = 'pending'`, at, s.now(), p.ID)
	}
	if err != nil {
		return outcome{}, fmt.Errorf("update monthly gift: %w", err)
	}
	return processed(), nil
}

func (s *Service) applyCheckout(ctx context.Context, tx *sql.Tx, provider string, ev Event, site settings.Settings, fx *sideEffects) (outcome, error) {
	d, err := getDonation(ctx, tx, "d.provider = $1 AND d.ref = $2", provider, ev.Ref)
	if errors.Is(err, errs.ErrNotFound) && ev.SessionID != "" {
		d, err = getDonation(ctx, tx, "d.provider = $1 AND d.provider_session_id = $2", provider, ev.SessionID)
	}
	if errors.Is(err, errs.ErrNotFound) {
		return ignored("no gift with this reference"), nil
	}
	if err != nil {
		return outcome{}, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE donations SET
		provider_payment_id = COALESCE(provider_payment_id, $1),
		provider_session_id = CASE WHEN provider_session_id = '' THEN $2 ELSE provider_session_id END
		WHERE id = $3`, nullStr(ev.PaymentID), ev.SessionID, d.ID)
	if err != nil {
		return outcome{}, fmt.Errorf("note payment: %w", err)
	}
	detail := ""
	if ev.AmountMinor != 0 && (ev.AmountMinor != d.AmountMinor || (ev.Currency != "" && ev.Currency != d.Currency)) {
		detail = fmt.Sprintf("provider reported %d %s for a gift of %d %s", ev.AmountMinor, ev.Currency, d.AmountMinor, d.Currency)
		s.log.Warn("donation amount differs", "donation", d.ID, "detail", detail)
	}
	at := s.eventTime(ev)
	switch {
	case ev.Kind == EventCheckoutPaid || (ev.Kind == EventCheckoutCompleted && ev.Paid):
		paid, err := s.markPaidTx(ctx, tx, d.ID, at, site, true)
		if err != nil {
			return outcome{}, err
		}
		fx.newsletter = fx.newsletter || (paid && d.Newsletter)
	case ev.Kind == EventCheckoutFailed:
		err = advance(ctx, tx, d.ID, StatusFailed, at, "pending")
	case ev.Kind == EventCheckoutExpired:
		err = advance(ctx, tx, d.ID, StatusExpired, at, "pending")
	}
	if err != nil {
		return outcome{}, err
	}
	if err := s.applyParkedTx(ctx, tx, provider, d.ID, site, fx); err != nil {
		return outcome{}, err
	}
	out := processed()
	out.detail = detail
	return out, nil
}

// advance moves a gift to status if it is in one of the from states: the
// states only ever move forward, so a late or repeated event changes nothing.
func advance(ctx context.Context, tx *sql.Tx, id int64, to Status, at time.Time, from ...string) error {
	q := "UPDATE donations SET status = $1, updated_at = $2 WHERE id = $3 AND status IN ("
	args := []any{string(to), at, id}
	for i, f := range from {
		if i > 0 {
			q += ", "
		}
		args = append(args, f)
		q += fmt.Sprintf("$%d", len(args))
	}
	if _, err := tx.ExecContext(ctx, q+")", args...); err != nil {
		return fmt.Errorf("gift status %s: %w", to, err)
	}
	return nil
}

func (s *Service) applyInvoice(ctx context.Context, tx *sql.Tx, provider string, ev Event, site settings.Settings, fx *sideEffects) (outcome, error) {
	if ev.InvoiceID == "" {
		return ignored("invoice without an id"), nil
	}
	p, err := s.findPlan(ctx, tx, provider, ev)
	if err != nil {
		return outcome{}, err
	}
	if p == nil {
		return ignored("no monthly gift with this reference"), nil
	}
	if err := s.notePlanIDs(ctx, tx, p, ev); err != nil {
		return outcome{}, err
	}
	amount, currency := ev.AmountMinor, ev.Currency
	if amount <= 0 {
		amount = p.AmountMinor
	}
	if currency == "" {
		currency = p.Currency
	}
	now, at := s.now(), s.eventTime(ev)
	var newsletter bool
	var giftAidText string
	if err := tx.QueryRowContext(ctx, "SELECT newsletter, gift_aid_text FROM donation_plans WHERE id = $1", p.ID).Scan(&newsletter, &giftAidText); err != nil {
		return outcome{}, fmt.Errorf("read monthly gift: %w", err)
	}
	// One gift per invoice: the first event about an invoice creates it.
	_, err = tx.ExecContext(ctx, `INSERT INTO donations (ref, donor_id, appeal_id, plan_id, kind, method, provider, amount_minor, currency,
		status, dedication, gift_aid, gift_aid_text, newsletter, provider_invoice_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'monthly', 'card', $5, $6, $7, 'pending', $8, $9, $10, $11, $12, $13, $13)
		ON CONFLICT (provider, provider_invoice_id) DO NOTHING`,
		newRef(), p.DonorID, nullID(p.AppealID), p.ID, provider, amount, currency, p.Dedication, p.GiftAid, giftAidText,
		newsletter, ev.InvoiceID, now)
	if err != nil {
		return outcome{}, fmt.Errorf("record monthly payment: %w", err)
	}
	d, err := getDonation(ctx, tx, "d.provider = $1 AND d.provider_invoice_id = $2", provider, ev.InvoiceID)
	if err != nil {
		return outcome{}, err
	}
	if ev.PaymentID != "" {
		if _, err := tx.ExecContext(ctx, "UPDATE donations SET provider_payment_id = COALESCE(provider_payment_id, $1) WHERE id = $2",
			ev.PaymentID, d.ID); err != nil {
			return outcome{}, fmt.Errorf("note payment: %w", err)
		}
	}
	if ev.Kind == EventInvoicePaid {
		// The first payment of a monthly gift is the one that thanks; later
		// ones are receipts.
		paid, err := s.markPaidTx(ctx, tx, d.ID, at, site, true)
		if err != nil {
			return outcome{}, err
		}
		fx.newsletter = fx.newsletter || (paid && newsletter)
		// A payment makes the gift active again unless it was cancelled, or a
		// later event already said otherwise.
		_, err = tx.ExecContext(ctx, `UPDATE donation_plans SET status = 'active', status_at = $1, updated_at = $2
			WHERE id = $3 AND status <> 'cancelled' AND (status = 'pending' OR status_at <= $1)`, at, now, p.ID)
		if err != nil {
			return outcome{}, fmt.Errorf("update monthly gift: %w", err)
		}
	} else {
		if err := advance(ctx, tx, d.ID, StatusFailed, at, "pending"); err != nil {
			return outcome{}, err
		}
		_, err = tx.ExecContext(ctx, `UPDATE donation_plans SET status = 'past_due', status_at = $1, updated_at = $2
			WHERE id = $3 AND status <> 'cancelled' AND status_at <= $1
			AND NOT EXISTS (SELECT 1 FROM donations WHERE id = $4 AND status IN ('paid', 'refunded'))`, at, now, p.ID, d.ID)
		if err != nil {
			return outcome{}, fmt.Errorf("update monthly gift: %w", err)
		}
	}
	if err := s.applyParkedTx(ctx, tx, provider, d.ID, site, fx); err != nil {
		return outcome{}, err
	}
	return processed(), nil
}

func (s *Service) applyRefund(ctx context.Context, tx *sql.Tx, provider string, ev Event, fx *sideEffects) (outcome, error) {
	if ev.PaymentID == "" {
		return ignored("refund without a payment id"), nil
	}
	key := "payment:" + ev.PaymentID
	d, err := getDonation(ctx, tx, "d.provider = $1 AND d.provider_payment_id = $2", provider, ev.PaymentID)
	if errors.Is(err, errs.ErrNotFound) {
		// The payment may be recorded later (events out of order), or be a
		// monthly payment whose invoice did not name it: keep the refund.
		fx.resolve = ev.PaymentID
		return parked(key, "refund for a payment not recorded yet"), nil
	}
	if err != nil {
		return outcome{}, err
	}
	if d.Status != StatusPaid && d.Status != StatusRefunded {
		return parked(key, "refund for a payment not confirmed yet"), nil
	}
	if err := applyRefundTx(ctx, tx, d, ev.RefundedMinor, s.eventTime(ev)); err != nil {
		return outcome{}, err
	}
	return processed(), nil
}

// applyRefundTx raises the refunded amount to total (never lowers it: the
// provider reports the running total) and marks a full refund.
func applyRefundTx(ctx context.Context, tx *sql.Tx, d Donation, total int64, at time.Time) error {
	if total <= d.RefundedMinor {
		return nil
	}
	total = min(total, d.AmountMinor)
	status := StatusPaid
	var refundedAt any
	if total >= d.AmountMinor {
		status, refundedAt = StatusRefunded, at
	}
	_, err := tx.ExecContext(ctx, `UPDATE donations SET refunded_minor = $1, status = $2, refunded_at = COALESCE(refunded_at, $3), updated_at = $4
		WHERE id = $5 AND refunded_minor < $1`, total, string(status), refundedAt, at, d.ID)
	if err != nil {
		return fmt.Errorf("record refund: %w", err)
	}
	return nil
}

// applyParkedTx applies the parked events that wait for gift id's payment.
func (s *Service) applyParkedTx(ctx context.Context, tx *sql.Tx, provider string, id int64, site settings.Settings, fx *sideEffects) error {
	var pid string
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(provider_payment_id, '') FROM donations WHERE id = $1", id).Scan(&pid); err != nil {
		return fmt.Errorf("read payment id: %w", err)
	}
	if pid == "" {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT event_id, payload FROM donation_events WHERE provider = $1 AND park_key = $2 AND status = 'parked'
		ORDER BY received_at`, provider, "payment:"+pid)
	if err != nil {
		return fmt.Errorf("read parked events: %w", err)
	}
	type pe struct{ id, payload string }
	var waiting []pe
	for rows.Next() {
		var p pe
		if err := rows.Scan(&p.id, &p.payload); err != nil {
			rows.Close()
			return err
		}
		waiting = append(waiting, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, w := range waiting {
		var ev Event
		if err := json.Unmarshal([]byte(w.payload), &ev); err != nil {
			return fmt.Errorf("parked event %s: %w", w.id, err)
		}
		out, err := s.applyTx(ctx, tx, provider, ev, site, fx)
		if err != nil {
			return err
		}
		if out.status == eventParked {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE donation_events SET status = $1, park_key = '', payload = '', detail = $2
			WHERE provider = $3 AND event_id = $4`, out.status, "applied after its payment arrived", provider, w.id); err != nil {
			return fmt.Errorf("unpark event %s: %w", w.id, err)
		}
	}
	return nil
}

// resolvePayment asks the provider which invoice a refunded payment paid,
// notes it on the monthly payment, and applies the parked refund.
func (s *Service) resolvePayment(ctx context.Context, provider, paymentID string) error {
	r, ok := s.providers[provider].(PaymentResolver)
	if !ok {
		return nil
	}
	inv, err := r.InvoiceForPayment(ctx, paymentID)
	if err != nil || inv == "" {
		return err
	}
	site, err := s.prepare(ctx)
	if err != nil {
		return err
	}
	var fx sideEffects
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `UPDATE donations SET provider_payment_id = $1
			WHERE provider = $2 AND provider_invoice_id = $3 AND provider_payment_id IS NULL RETURNING id`, paymentID, provider, inv).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("note payment: %w", err)
		}
		return s.applyParkedTx(ctx, tx, provider, id, site, &fx)
	})
	return err
}
