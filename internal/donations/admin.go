package donations

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"coalition/internal/errs"
)

// Filter narrows the list of gifts in the admin.
type Filter struct {
	Q        string    // donor name or e-mail, receipt number
	From, To time.Time // by date of payment (or of the gift, if unpaid); To is exclusive
	AppealID int64
	Status   Status
	Method   Method
	Kind     Kind
	DonorID  int64
	Limit    int
	Offset   int
}

func likePattern(q string) string {
	q = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q))
	return "%" + q + "%"
}

// where builds the WHERE clause of a filter with numbered parameters.
func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		add(`(LOWER(COALESCE(dn.email, '')) LIKE ? ESCAPE '\' OR LOWER(dn.name) LIKE ? ESCAPE '\' OR LOWER(COALESCE(d.receipt_no, '')) LIKE ? ESCAPE '\')`, likePattern(q))
	}
	if !f.From.IsZero() {
		add("COALESCE(d.paid_at, d.created_at) >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("COALESCE(d.paid_at, d.created_at) < ?", f.To.UTC())
	}
	if f.AppealID != 0 {
		add("d.appeal_id = ?", f.AppealID)
	}
	if f.Status != "" {
		add("d.status = ?", string(f.Status))
	}
	if f.Method != "" {
		add("d.method = ?", string(f.Method))
	}
	if f.Kind != "" {
		add("d.kind = ?", string(f.Kind))
	}
	if f.DonorID != 0 {
		add("d.donor_id = ?", f.DonorID)
	}
	if len(conds) == 0 {
		return "1 = 1", nil
	}
	return strings.Join(conds, " AND "), args
}

// List returns the gifts matching f, newest first, and how many match.
func (s *Service) List(ctx context.Context, f Filter) ([]Donation, int, error) {
	where, args := f.where()
	var total int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*)"+donationFrom+" WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count donations: %w", err)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	n := len(args)
	out, err := s.listWhere(ctx, where+fmt.Sprintf(" ORDER BY COALESCE(d.paid_at, d.created_at) DESC, d.id DESC LIMIT $%d OFFSET $%d", n+1, n+2),
		append(args, f.Limit, f.Offset)...)
	return out, total, err
}

// Totals sums the paid gifts matching f (net of refunds), per currency.
func (s *Service) Totals(ctx context.Context, f Filter) ([]Total, error) {
	where, args := f.where()
	rows, err := s.db.R.QueryContext(ctx, `SELECT d.currency, COALESCE(SUM(d.amount_minor - d.refunded_minor), 0), COUNT(*)`+donationFrom+
		" WHERE "+where+" AND d.status IN ('paid', 'refunded') GROUP BY d.currency ORDER BY d.currency", args...)
	if err != nil {
		return nil, fmt.Errorf("donation totals: %w", err)
	}
	defer rows.Close()
	var out []Total
	for rows.Next() {
		var t Total
		if err := rows.Scan(&t.Currency, &t.Minor, &t.Count); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RecurringTotals sums the monthly gifts that are running (active or
// waiting on a failed payment), per currency: what comes in each month.
func (s *Service) RecurringTotals(ctx context.Context) ([]Total, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT currency, COALESCE(SUM(amount_minor), 0), COUNT(*) FROM donation_plans
		WHERE status IN ('active', 'past_due') GROUP BY currency ORDER BY currency`)
	if err != nil {
		return nil, fmt.Errorf("monthly gift totals: %w", err)
	}
	defer rows.Close()
	var out []Total
	for rows.Next() {
		var t Total
		if err := rows.Scan(&t.Currency, &t.Minor, &t.Count); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// MonthTotal is what came in during one month, in one currency.
type MonthTotal struct {
	Month time.Time // first day of the month, UTC
	Minor int64
	Count int
}

// MonthlySeries is a currency's totals for consecutive months.
type MonthlySeries struct {
	Currency string
	Months   []MonthTotal
}

// ByMonth returns, per currency, the paid gifts (net of refunds) of each of
// the last n months up to and including the month of now. The months are
// summed here rather than in SQL: month arithmetic differs between SQLite
// and PostgreSQL, and a year of gifts is small.
func (s *Service) ByMonth(ctx context.Context, n int, now time.Time) ([]MonthlySeries, error) {
	now = now.UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -(n - 1), 0)
	rows, err := s.db.R.QueryContext(ctx, `SELECT paid_at, currency, amount_minor - refunded_minor FROM donations
		WHERE status IN ('paid', 'refunded') AND paid_at >= $1`, first)
	if err != nil {
		return nil, fmt.Errorf("donations by month: %w", err)
	}
	defer rows.Close()
	series := map[string][]MonthTotal{}
	for rows.Next() {
		var at time.Time
		var cur string
		var v int64
		if err := rows.Scan(&at, &cur, &v); err != nil {
			return nil, fmt.Errorf("donations by month: %w", err)
		}
		at = at.UTC()
		i := (at.Year()-first.Year())*12 + int(at.Month()) - int(first.Month())
		if i < 0 || i >= n {
			continue
		}
		m, ok := series[cur]
		if !ok {
			m = make([]MonthTotal, n)
			for j := range m {
				m[j].Month = first.AddDate(0, j, 0)
			}
			series[cur] = m
		}
		m[i].Minor += v
		m[i].Count++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []MonthlySeries
	for c, m := range series {
		out = append(out, MonthlySeries{Currency: c, Months: m})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out, nil
}

// csvSafe defuses a cell that a spreadsheet would run as a formula
// (=, +, -, @, tab, carriage return at the start): it gets a leading
// apostrophe, which spreadsheets show as text.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ExportCSV writes the gifts matching f for the accountant: one row per
// gift, amounts in major units with a point, dates in ISO form (UTC).
func (s *Service) ExportCSV(ctx context.Context, f Filter, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"receipt_no", "date", "donor_name", "donor_email", "amount", "refunded", "net", "currency",
		"status", "method", "kind", "appeal", "gift_aid", "dedication", "note", "provider", "provider_payment_id", "created_at"}); err != nil {
		return err
	}
	f.Limit = 500
	for f.Offset = 0; ; f.Offset += f.Limit {
		list, _, err := s.List(ctx, f)
		if err != nil {
			return err
		}
		for _, d := range list {
			c, ok := LookupCurrency(d.Currency)
			if !ok {
				c = Currency{Code: d.Currency, Exponent: 2}
			}
			paid := ""
			if !d.PaidAt.IsZero() {
				paid = d.PaidAt.UTC().Format("2006-01-02")
			}
			giftAid := "no"
			if d.GiftAid {
				giftAid = "yes"
			}
			rec := []string{d.ReceiptNo, paid, csvSafe(d.DonorName), csvSafe(d.DonorEmail), FormatAmount(d.AmountMinor, c),
				FormatAmount(d.RefundedMinor, c), FormatAmount(d.NetMinor(), c), d.Currency, string(d.Status), string(d.Method),
				string(d.Kind), csvSafe(d.AppealTitle), giftAid, csvSafe(d.Dedication), csvSafe(d.Note), d.Provider,
				csvSafe(d.PaymentID), d.CreatedAt.UTC().Format(time.RFC3339)}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		if len(list) < f.Limit {
			break
		}
	}
	cw.Flush()
	return cw.Error()
}

// DonorSummary is a donor with what they gave.
type DonorSummary struct {
	Donor
	Gifts      int
	Totals     []Total
	LastGiftAt time.Time
	Monthly    int // monthly gifts running
}

// Donors lists donors matching q (name or e-mail), most recent first.
func (s *Service) Donors(ctx context.Context, q string, limit, offset int) ([]DonorSummary, int, error) {
	where, args := "1 = 1", []any{}
	if q = strings.TrimSpace(q); q != "" {
		where, args = `(LOWER(COALESCE(email, '')) LIKE $1 ESCAPE '\' OR LOWER(name) LIKE $1 ESCAPE '\')`, []any{likePattern(q)}
	}
	var total int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM donors WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count donors: %w", err)
	}
	n := len(args)
	rows, err := s.db.R.QueryContext(ctx, "SELECT id, COALESCE(email, ''), name, newsletter_wish, created_at FROM donors WHERE "+where+
		fmt.Sprintf(" ORDER BY updated_at DESC, id DESC LIMIT $%d OFFSET $%d", n+1, n+2), append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list donors: %w", err)
	}
	var out []DonorSummary
	for rows.Next() {
		var d DonorSummary
		if err := rows.Scan(&d.ID, &d.Email, &d.Name, &d.NewsletterWish, &d.CreatedAt); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("list donors: %w", err)
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for i := range out {
		if err := s.fillSummary(ctx, &out[i]); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

func (s *Service) fillSummary(ctx context.Context, d *DonorSummary) error {
	var err error
	if d.Totals, err = s.Totals(ctx, Filter{DonorID: d.ID}); err != nil {
		return err
	}
	for _, t := range d.Totals {
		d.Gifts += t.Count
	}
	var last sql.NullTime
	rows, err := s.db.R.QueryContext(ctx, `SELECT paid_at FROM donations WHERE donor_id = $1 AND paid_at IS NOT NULL ORDER BY paid_at DESC LIMIT 1`, d.ID)
	if err != nil {
		return fmt.Errorf("donor's last gift: %w", err)
	}
	for rows.Next() {
		if err := rows.Scan(&last); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	d.LastGiftAt = last.Time
	if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM donation_plans WHERE donor_id = $1 AND status IN ('active', 'past_due')`,
		d.ID).Scan(&d.Monthly); err != nil {
		return fmt.Errorf("donor's monthly gifts: %w", err)
	}
	return nil
}

// DonorByEmail returns the donor with an address, with what they gave.
func (s *Service) DonorByEmail(ctx context.Context, email string) (DonorSummary, error) {
	var d DonorSummary
	err := s.db.R.QueryRowContext(ctx, "SELECT id, COALESCE(email, ''), name, newsletter_wish, created_at FROM donors WHERE email = $1",
		strings.ToLower(strings.TrimSpace(email))).Scan(&d.ID, &d.Email, &d.Name, &d.NewsletterWish, &d.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return d, errs.ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("donor: %w", err)
	}
	return d, s.fillSummary(ctx, &d)
}

// DonorByID returns a donor with what they gave.
func (s *Service) DonorByID(ctx context.Context, id int64) (DonorSummary, error) {
	var d DonorSummary
	err := s.db.R.QueryRowContext(ctx, "SELECT id, COALESCE(email, ''), name, newsletter_wish, created_at FROM donors WHERE id = $1",
		id).Scan(&d.ID, &d.Email, &d.Name, &d.NewsletterWish, &d.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return d, errs.ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("donor: %w", err)
	}
	return d, s.fillSummary(ctx, &d)
}

// DonorPlans returns a donor's monthly gifts, newest first.
func (s *Service) DonorPlans(ctx context.Context, donorID int64) ([]Plan, error) {
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+planCols+planFrom+" WHERE p.donor_id = $1 ORDER BY p.id DESC", donorID)
	if err != nil {
		return nil, fmt.Errorf("monthly gifts: %w", err)
	}
	defer rows.Close()
	var out []Plan
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// FlushNewsletterWishes hands every donor's pending wish for the newsletter
// to the mailing lists (when they are wired) and clears the wishes that
// were accepted. Safe to run repeatedly: the mailing lists' sign-up is
// idempotent by address.
func (s *Service) FlushNewsletterWishes(ctx context.Context) error {
	n := s.newsletterSignup()
	if n == nil {
		return nil
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, email, name FROM donors WHERE newsletter_wish = TRUE AND email IS NOT NULL ORDER BY id LIMIT 500`)
	if err != nil {
		return fmt.Errorf("newsletter wishes: %w", err)
	}
	type wish struct {
		id          int64
		email, name string
	}
	var ws []wish
	for rows.Next() {
		var w wish
		if err := rows.Scan(&w.id, &w.email, &w.name); err != nil {
			rows.Close()
			return err
		}
		ws = append(ws, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var errsSeen []error
	for _, w := range ws {
		if err := n.Subscribe(ctx, w.email, w.name, "donation", NewsletterConsent); err != nil {
			errsSeen = append(errsSeen, fmt.Errorf("%s: %w", w.email, err))
			continue
		}
		if _, err := s.db.W.ExecContext(ctx, "UPDATE donors SET newsletter_wish = FALSE WHERE id = $1", w.id); err != nil {
			errsSeen = append(errsSeen, err)
		}
	}
	return errors.Join(errsSeen...)
}

// Run is the donations worker: it hands over newsletter wishes and retries
// matching parked refunds, every few minutes, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if err := s.FlushNewsletterWishes(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("newsletter sign-up of donors", "err", err)
		}
		if err := s.retryParked(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("parked donation events", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// retryParked asks the providers again about refunds parked for a day or
// less (a provider that was unreachable may answer now).
func (s *Service) retryParked(ctx context.Context) error {
	rows, err := s.db.R.QueryContext(ctx, `SELECT provider, park_key FROM donation_events WHERE status = 'parked' AND received_at >= $1 LIMIT 100`,
		s.now().Add(-24*time.Hour))
	if err != nil {
		return fmt.Errorf("parked events: %w", err)
	}
	type pk struct{ provider, key string }
	var keys []pk
	for rows.Next() {
		var k pk
		if err := rows.Scan(&k.provider, &k.key); err != nil {
			rows.Close()
			return err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range keys {
		if pid, ok := strings.CutPrefix(k.key, "payment:"); ok {
			if err := s.resolvePayment(ctx, k.provider, pid); err != nil {
				return err
			}
		}
	}
	return nil
}

// EventLog is one provider event as the admin sees it.
type EventLog struct {
	Provider   string
	ID         string
	Type       string
	ReceivedAt time.Time
	Status     string
	Detail     string
}

// Events lists the latest provider events.
func (s *Service) Events(ctx context.Context, limit int) ([]EventLog, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT provider, event_id, type, received_at, status, detail FROM donation_events
		ORDER BY received_at DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("donation events: %w", err)
	}
	defer rows.Close()
	var out []EventLog
	for rows.Next() {
		var e EventLog
		if err := rows.Scan(&e.Provider, &e.ID, &e.Type, &e.ReceivedAt, &e.Status, &e.Detail); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
