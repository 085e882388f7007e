// Package donations takes gifts: one-off and monthly card payments through a
// hosted payment page (Stripe Checkout), pledges by bank transfer or cheque
// recorded by staff, appeals with goals, and receipts with gap-free numbers.
//
// The rules that keep the money right:
//   - no card data ever reaches the server: the donor pays on the provider's
//     page, and the outcome is taken only from the provider's signed webhook;
//   - each webhook event is applied once (its id is stored in the same
//     transaction as its effect), and state only moves forward, so retries
//     and events that arrive out of order end in the same place;
//   - a receipt number is allocated in the transaction that records the
//     payment, from a counter row, so numbers have no gaps and no repeats.
package donations

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/mail"
	"coalition/internal/settings"
)

// Status is where a gift (one payment) stands.
type Status string

// Gift statuses. A payment only moves forward: pending → failed/expired →
// paid → refunded; a pledge moves to paid (received) or cancelled.
const (
	StatusPending   Status = "pending"   // sent to the payment page, no result yet
	StatusPledged   Status = "pledged"   // promised by bank transfer or cheque, not yet received
	StatusFailed    Status = "failed"    // the payment did not go through
	StatusExpired   Status = "expired"   // the donor left the payment page
	StatusCancelled Status = "cancelled" // a pledge that will not come
	StatusPaid      Status = "paid"      // the money is in; a receipt exists
	StatusRefunded  Status = "refunded"  // paid back in full
)

// Label is the status as a person reads it.
func (s Status) Label() string {
	switch s {
	case StatusPending:
		return "Pending"
	case StatusPledged:
		return "Pledged"
	case StatusFailed:
		return "Failed"
	case StatusExpired:
		return "Abandoned"
	case StatusCancelled:
		return "Cancelled"
	case StatusPaid:
		return "Paid"
	case StatusRefunded:
		return "Refunded"
	}
	return string(s)
}

// Statuses lists every gift status, for filters.
var Statuses = []Status{StatusPaid, StatusPending, StatusPledged, StatusRefunded, StatusFailed, StatusExpired, StatusCancelled}

// Kind says whether a gift is one-off or part of a monthly gift.
type Kind string

// Gift kinds.
const (
	KindOneOff  Kind = "one_off"
	KindMonthly Kind = "monthly"
)

// Method is how the money came.
type Method string

// Payment methods.
const (
	MethodCard         Method = "card"
	MethodBankTransfer Method = "bank_transfer"
	MethodCheque       Method = "cheque"
	MethodOther        Method = "other"
)

// Methods lists every method, for filters and forms.
var Methods = []Method{MethodCard, MethodBankTransfer, MethodCheque, MethodOther}

// Label is the method as a person reads it.
func (m Method) Label() string {
	switch m {
	case MethodCard:
		return "Card"
	case MethodBankTransfer:
		return "Bank transfer"
	case MethodCheque:
		return "Cheque"
	}
	return "Other"
}

// PlanStatus is where a monthly gift stands.
type PlanStatus string

// Monthly gift statuses. Cancelled is final.
const (
	PlanPending   PlanStatus = "pending"
	PlanActive    PlanStatus = "active"
	PlanPastDue   PlanStatus = "past_due"
	PlanCancelled PlanStatus = "cancelled"
)

// Label is the status as a person reads it.
func (s PlanStatus) Label() string {
	switch s {
	case PlanPending:
		return "Not started"
	case PlanActive:
		return "Active"
	case PlanPastDue:
		return "Payment failed"
	case PlanCancelled:
		return "Cancelled"
	}
	return string(s)
}

// Donor is a person who gave, known by e-mail address (or by name alone for
// a cheque without one).
type Donor struct {
	ID             int64
	Email          string // "" when unknown
	Name           string
	NewsletterWish bool // asked for the newsletter; not yet handed to the mailing lists
	CreatedAt      time.Time
}

// Donation is one gift: a one-off payment, one month of a monthly gift, or a
// pledge.
type Donation struct {
	ID            int64
	Ref           string
	DonorID       int64
	DonorName     string
	DonorEmail    string
	AppealID      int64
	AppealTitle   string
	AppealSlug    string
	PlanID        int64
	Kind          Kind
	Method        Method
	Provider      string
	AmountMinor   int64
	RefundedMinor int64
	Currency      string
	Status        Status
	Dedication    string
	GiftAid       bool
	GiftAidText   string
	Newsletter    bool
	Note          string
	SessionID     string
	PaymentID     string
	InvoiceID     string
	ReceiptNo     string
	OrgName       string // the organisation as it was when the receipt was issued
	OrgAddress    string
	CreatedAt     time.Time
	PaidAt        time.Time
	RefundedAt    time.Time
}

// NetMinor is what the gift brought after refunds (zero unless paid).
func (d Donation) NetMinor() int64 {
	if d.Status != StatusPaid && d.Status != StatusRefunded {
		return 0
	}
	return d.AmountMinor - d.RefundedMinor
}

// Date is when the money came, or when the gift was made if it has not.
func (d Donation) Date() time.Time {
	if !d.PaidAt.IsZero() {
		return d.PaidAt
	}
	return d.CreatedAt
}

// HasReceipt reports whether a receipt was issued.
func (d Donation) HasReceipt() bool { return d.ReceiptNo != "" }

// Plan is a monthly gift.
type Plan struct {
	ID             int64
	Ref            string
	DonorID        int64
	DonorName      string
	DonorEmail     string
	AppealID       int64
	Provider       string
	AmountMinor    int64
	Currency       string
	Status         PlanStatus
	Dedication     string
	GiftAid        bool
	SubscriptionID string
	CreatedAt      time.Time
	CancelledAt    time.Time
}

// NewsletterSignup hands a donor's wish for the newsletter to the mailing
// lists, which send their own double opt-in confirmation. Wired by the app
// once the mailing lists exist; until then the wish is kept on the donor.
type NewsletterSignup interface {
	Subscribe(ctx context.Context, email, name, source, consentText string) error
}

// NewsletterConsent is the text of the newsletter box on the donate form.
const NewsletterConsent = "Send me the newsletter. I will get an e-mail to confirm, and can unsubscribe at any time."

// Options build a Service.
type Options struct {
	DB       *db.DB
	Outbox   *mail.Outbox
	Settings *settings.Store
	Log      *slog.Logger
	Now      func() time.Time
	BaseURL  string // public URL of the site, for links in e-mails
	// Providers are the online payment providers; none means online giving
	// is off (pledges still work).
	Providers  []Provider
	Currencies []Currency // the first is the default
	// MinMajor and MaxMajor bound a gift, in major units of any currency.
	MinMajor, MaxMajor int64
}

// Service is the donations domain.
type Service struct {
	db        *db.DB
	outbox    *mail.Outbox
	settings  *settings.Store
	log       *slog.Logger
	now       func() time.Time
	baseURL   string
	providers map[string]Provider
	primary   Provider
	curr      []Currency
	min, max  int64

	mu         sync.Mutex
	key        []byte
	newsletter NewsletterSignup
}

// New returns the donations service.
func New(o Options) *Service {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	if len(o.Currencies) == 0 {
		o.Currencies = []Currency{knownCurrencies["USD"], knownCurrencies["EUR"]}
	}
	if o.MinMajor <= 0 {
		o.MinMajor = 1
	}
	if o.MaxMajor <= 0 {
		o.MaxMajor = 100000
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	s := &Service{db: o.DB, outbox: o.Outbox, settings: o.Settings, log: log, now: func() time.Time { return now().UTC() },
		baseURL: strings.TrimRight(o.BaseURL, "/"), providers: map[string]Provider{}, curr: o.Currencies, min: o.MinMajor, max: o.MaxMajor}
	for _, p := range o.Providers {
		s.providers[p.Name()] = p
		if s.primary == nil {
			s.primary = p
		}
	}
	return s
}

// SetNewsletter wires the mailing lists' signup (nil to keep wishes only).
func (s *Service) SetNewsletter(n NewsletterSignup) {
	s.mu.Lock()
	s.newsletter = n
	s.mu.Unlock()
}

func (s *Service) newsletterSignup() NewsletterSignup {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newsletter
}

// Online reports whether card gifts can be taken.
func (s *Service) Online() bool { return s.primary != nil }

// CheckoutOrigins lists the origins of the providers' payment pages.
func (s *Service) CheckoutOrigins() []string {
	var out []string
	for _, p := range s.providers {
		out = append(out, p.CheckoutOrigins()...)
	}
	return out
}

// Currencies returns the currencies gifts can be made in.
func (s *Service) Currencies() []Currency { return s.curr }

// Currency returns an accepted currency by code.
func (s *Service) Currency(code string) (Currency, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	for _, c := range s.curr {
		if c.Code == code {
			return c, true
		}
	}
	return Currency{}, false
}

// Limits returns the smallest and largest gift in major units.
func (s *Service) Limits() (int64, int64) { return s.min, s.max }

// newRef returns a random reference: unguessable, URL-safe.
func newRef() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

const donationCols = `d.id, d.ref, d.donor_id, COALESCE(dn.name, ''), COALESCE(dn.email, ''), COALESCE(d.appeal_id, 0),
	COALESCE(a.title, ''), COALESCE(a.slug, ''), COALESCE(d.plan_id, 0), d.kind, d.method, d.provider, d.amount_minor,
	d.refunded_minor, d.currency, d.status, d.dedication, d.gift_aid, d.gift_aid_text, d.newsletter, d.note,
	d.provider_session_id, COALESCE(d.provider_payment_id, ''), COALESCE(d.provider_invoice_id, ''), COALESCE(d.receipt_no, ''),
	d.receipt_org_name, d.receipt_org_address, d.created_at, d.paid_at, d.refunded_at`

const donationFrom = ` FROM donations d JOIN donors dn ON dn.id = d.donor_id LEFT JOIN appeals a ON a.id = d.appeal_id`

type scanner interface{ Scan(...any) error }

func scanDonation(row scanner) (Donation, error) {
	var d Donation
	var paid, refunded sql.NullTime
	err := row.Scan(&d.ID, &d.Ref, &d.DonorID, &d.DonorName, &d.DonorEmail, &d.AppealID, &d.AppealTitle, &d.AppealSlug,
		&d.PlanID, &d.Kind, &d.Method, &d.Provider, &d.AmountMinor, &d.RefundedMinor, &d.Currency, &d.Status, &d.Dedication,
		&d.GiftAid, &d.GiftAidText, &d.Newsletter, &d.Note, &d.SessionID, &d.PaymentID, &d.InvoiceID, &d.ReceiptNo,
		&d.OrgName, &d.OrgAddress, &d.CreatedAt, &paid, &refunded)
	if errors.Is(err, sql.ErrNoRows) {
		return d, errs.ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("read donation: %w", err)
	}
	d.PaidAt, d.RefundedAt = paid.Time, refunded.Time
	return d, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func getDonation(ctx context.Context, q querier, where string, args ...any) (Donation, error) {
	return scanDonation(q.QueryRowContext(ctx, "SELECT "+donationCols+donationFrom+" WHERE "+where, args...))
}

// Get returns a gift by id.
func (s *Service) Get(ctx context.Context, id int64) (Donation, error) {
	return getDonation(ctx, s.db.R, "d.id = $1", id)
}

// ByRef returns a gift by its reference.
func (s *Service) ByRef(ctx context.Context, ref string) (Donation, error) {
	return getDonation(ctx, s.db.R, "d.ref = $1", ref)
}

const planCols = `p.id, p.ref, p.donor_id, COALESCE(dn.name, ''), COALESCE(dn.email, ''), COALESCE(p.appeal_id, 0), p.provider,
	p.amount_minor, p.currency, p.status, p.dedication, p.gift_aid, COALESCE(p.provider_subscription_id, ''), p.created_at, p.cancelled_at`

const planFrom = ` FROM donation_plans p JOIN donors dn ON dn.id = p.donor_id`

func scanPlan(row scanner) (Plan, error) {
	var p Plan
	var cancelled sql.NullTime
	err := row.Scan(&p.ID, &p.Ref, &p.DonorID, &p.DonorName, &p.DonorEmail, &p.AppealID, &p.Provider, &p.AmountMinor,
		&p.Currency, &p.Status, &p.Dedication, &p.GiftAid, &p.SubscriptionID, &p.CreatedAt, &cancelled)
	if errors.Is(err, sql.ErrNoRows) {
		return p, errs.ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("read monthly gift: %w", err)
	}
	p.CancelledAt = cancelled.Time
	return p, nil
}

func getPlan(ctx context.Context, q querier, where string, args ...any) (Plan, error) {
	return scanPlan(q.QueryRowContext(ctx, "SELECT "+planCols+planFrom+" WHERE "+where, args...))
}

// Plan returns a monthly gift by id.
func (s *Service) Plan(ctx context.Context, id int64) (Plan, error) {
	return getPlan(ctx, s.db.R, "p.id = $1", id)
}

// PlanByRef returns a monthly gift by its reference.
func (s *Service) PlanByRef(ctx context.Context, ref string) (Plan, error) {
	return getPlan(ctx, s.db.R, "p.ref = $1", ref)
}

// PlanGifts returns the payments of a monthly gift, newest first.
func (s *Service) PlanGifts(ctx context.Context, planID int64) ([]Donation, error) {
	return s.listWhere(ctx, "d.plan_id = $1 ORDER BY d.id DESC", planID)
}

func (s *Service) listWhere(ctx context.Context, where string, args ...any) ([]Donation, error) {
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+donationCols+donationFrom+" WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list donations: %w", err)
	}
	defer rows.Close()
	var out []Donation
	for rows.Next() {
		d, err := scanDonation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// upsertDonor finds the donor by e-mail (creating or renaming it), or
// creates a name-only donor when there is no address.
func upsertDonor(ctx context.Context, tx *sql.Tx, email, name string, now time.Time) (int64, error) {
	var id int64
	if email == "" {
		err := tx.QueryRowContext(ctx, `INSERT INTO donors (email, name, created_at, updated_at) VALUES (NULL, $1, $2, $2) RETURNING id`,
			name, now).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("save donor: %w", err)
		}
		return id, nil
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO donors (email, name, created_at, updated_at) VALUES ($1, $2, $3, $3)
		ON CONFLICT (email) DO UPDATE SET name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE donors.name END,
			updated_at = excluded.updated_at
		RETURNING id`, email, name, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("save donor: %w", err)
	}
	return id, nil
}
