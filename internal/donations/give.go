package donations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"coalition/internal/accounts"
	"coalition/internal/db"
	"coalition/internal/errs"
)

// FormError holds one message per form field, each fit to show a person.
type FormError struct {
	Fields map[string]string
}

// Error implements error.
func (e *FormError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return "invalid gift: " + strings.Join(parts, "; ")
}

// AsFormError reports whether err is a *FormError.
func AsFormError(err error) (*FormError, bool) {
	var fe *FormError
	if errors.As(err, &fe) {
		return fe, true
	}
	return nil, false
}

// GiftRequest is the donate form as typed. Every field is text from the
// client: it is validated here and nothing in it is ever decoded into
// objects or used as a URL.
type GiftRequest struct {
	Frequency   string // "once" or "monthly"
	Amount      string // a preset amount, "other" or empty
	OtherAmount string // the custom amount box; wins when filled in
	Currency    string
	Name        string
	Email       string
	Dedication  string
	Newsletter  bool
	GiftAid     bool
	Appeal      string // appeal slug, from /donate?appeal=
}

// gift is a validated GiftRequest.
type gift struct {
	monthly     bool
	amount      int64
	currency    Currency
	name, email string
	dedication  string
	newsletter  bool
	giftAid     bool
	giftAidText string
	appeal      *Appeal
}

// GiveSettings are the donate page's settings that admins edit.
type GiveSettings struct {
	Presets     []int64 // preset amounts in major units
	GiftAid     bool    // show the gift-aid style declaration
	GiftAidText string  // its text, recorded with each gift that ticks it
	OtherWays   string  // bank transfer / cheque instructions shown on the page
}

// DefaultGiftAidText is the declaration offered until an admin writes one.
const DefaultGiftAidText = "I am a taxpayer and would like the coalition to treat this gift, and any gifts I make in future, as eligible for tax relief. I understand that if I pay less tax than is reclaimed on my gifts, it is my responsibility to pay the difference."

// Settings returns the donate page's settings.
func (s *Service) Settings(ctx context.Context) (GiveSettings, error) {
	g := GiveSettings{Presets: []int64{10, 25, 50, 100}, GiftAidText: DefaultGiftAidText}
	get := func(k string) (string, bool, error) {
		v, err := s.settings.Value(ctx, k)
		if errors.Is(err, errs.ErrNotFound) {
			return "", false, nil
		}
		return v, err == nil, err
	}
	if v, ok, err := get("donations.presets"); err != nil {
		return g, err
	} else if ok {
		if p, err := parsePresets(v); err == nil && len(p) > 0 {
			g.Presets = p
		}
	}
	v, _, err := get("donations.gift_aid")
	if err != nil {
		return g, err
	}
	g.GiftAid = v == "1"
	if v, ok, err := get("donations.gift_aid_text"); err != nil {
		return g, err
	} else if ok && strings.TrimSpace(v) != "" {
		g.GiftAidText = v
	}
	if g.OtherWays, _, err = get("donations.other_ways"); err != nil {
		return g, err
	}
	return g, nil
}

func parsePresets(v string) ([]int64, error) {
	var out []int64
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n <= 0 {
			return nil, errs.Invalid("presets", "List whole amounts separated by commas, like 10, 25, 50, 100.")
		}
		out = append(out, n)
	}
	if len(out) > 8 {
		return nil, errs.Invalid("presets", "List at most eight amounts.")
	}
	return out, nil
}

// SaveSettings validates and stores the donate page's settings. presets is
// the text an admin typed ("10, 25, 50").
func (s *Service) SaveSettings(ctx context.Context, presets string, giftAid bool, giftAidText, otherWays string) error {
	p, err := parsePresets(presets)
	if err != nil {
		return err
	}
	if len(p) == 0 {
		return errs.Invalid("presets", "List at least one amount, like 10, 25, 50, 100.")
	}
	for _, n := range p {
		if n < s.min || n > s.max {
			return errs.Invalid("presets", fmt.Sprintf("Each amount must be between %d and %d.", s.min, s.max))
		}
	}
	giftAidText = strings.TrimSpace(strings.ReplaceAll(giftAidText, "\r\n", "\n"))
	otherWays = strings.TrimSpace(strings.ReplaceAll(otherWays, "\r\n", "\n"))
	if giftAid && giftAidText == "" {
		return errs.Invalid("gift_aid_text", "Write the declaration donors agree to, or turn the declaration off.")
	}
	if utf8.RuneCountInString(giftAidText) > 2000 || utf8.RuneCountInString(otherWays) > 2000 {
		return errs.Invalid("gift_aid_text", "Use at most 2000 characters.")
	}
	if !utf8.ValidString(giftAidText+otherWays) || strings.ContainsRune(giftAidText+otherWays, 0) {
		return errs.Invalid("gift_aid_text", "Contains characters that are not allowed.")
	}
	parts := make([]string, len(p))
	for i, n := range p {
		parts[i] = strconv.FormatInt(n, 10)
	}
	flag := ""
	if giftAid {
		flag = "1"
	}
	for k, v := range map[string]string{"donations.presets": strings.Join(parts, ","), "donations.gift_aid": flag,
		"donations.gift_aid_text": giftAidText, "donations.other_ways": otherWays} {
		if err := s.settings.SetValue(ctx, k, v); err != nil {
			return fmt.Errorf("save donation settings: %w", err)
		}
	}
	return nil
}

func cleanText(s string, limit int) (string, bool) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n") {
		return s, false
	}
	return s, utf8.RuneCountInString(s) <= limit
}

// validate checks a donate form and returns every problem at once.
func (s *Service) validate(ctx context.Context, r GiftRequest) (gift, error) {
	fe := map[string]string{}
	var g gift
	switch r.Frequency {
	case "once", "":
	case "monthly":
		g.monthly = true
	default:
		fe["frequency"] = "Choose one-off or monthly."
	}
	c, ok := s.Currency(r.Currency)
	if !ok {
		fe["currency"] = "Choose one of the currencies listed."
		c = s.curr[0]
	}
	g.currency = c
	raw := strings.TrimSpace(r.OtherAmount)
	field := "other_amount"
	if raw == "" {
		raw, field = strings.TrimSpace(r.Amount), "amount"
		if raw == "other" {
			raw, field = "", "other_amount"
		}
	}
	if raw == "" {
		fe[field] = "Choose an amount or type one in."
	} else if v, err := ParseAmount(field, raw, c); err != nil {
		if ie, ok := errs.AsInvalid(err); ok {
			fe[field] = ie.Msg
		} else {
			return g, err
		}
	} else {
		minMinor, maxMinor := s.min*pow10(c.Exponent), s.max*pow10(c.Exponent)
		switch {
		case v < minMinor:
			fe[field] = fmt.Sprintf("The smallest gift we can take is %s.", Display(minMinor, c.Code))
		case v > maxMinor:
			fe[field] = fmt.Sprintf("For gifts above %s, please contact us: we would like to thank you in person.", Display(maxMinor, c.Code))
		default:
			g.amount = v
		}
	}
	var okName bool
	if g.name, okName = cleanText(r.Name, 200); !okName {
		fe["name"] = "Use at most 200 characters, on one line."
	} else if g.name == "" {
		fe["name"] = "Enter your name, as it should appear on the receipt."
	}
	if email, err := accounts.NormalizeEmail(r.Email); err != nil {
		msg := "Enter a valid e-mail address, like name@example.org."
		if ie, ok := errs.AsInvalid(err); ok {
			msg = ie.Msg
		}
		fe["email"] = msg
	} else {
		g.email = email
	}
	if g.dedication, okName = cleanText(r.Dedication, 200); !okName {
		fe["dedication"] = "Use at most 200 characters, on one line."
	}
	g.newsletter = r.Newsletter
	gs, err := s.Settings(ctx)
	if err != nil {
		return g, err
	}
	if gs.GiftAid && r.GiftAid {
		g.giftAid, g.giftAidText = true, gs.GiftAidText
	}
	if slug := strings.TrimSpace(r.Appeal); slug != "" {
		a, err := s.AppealBySlug(ctx, slug)
		switch {
		case errors.Is(err, errs.ErrNotFound):
			// An unknown or withdrawn appeal: the gift goes to the general fund.
		case err != nil:
			return g, err
		case a.Published && a.Open(s.now()):
			g.appeal = &a
		}
	}
	if len(fe) > 0 {
		return g, &FormError{Fields: fe}
	}
	return g, nil
}

// Started is a gift waiting on the payment page.
type Started struct {
	Ref string // the gift's (or monthly gift's) reference: /donate/thanks/{Ref}
	URL string // the provider's payment page
}

// Start validates a donate form, records the gift as pending and opens the
// provider's payment page. The success and cancel URLs are built here from
// the site's base URL and the new reference; nothing from the request can
// steer the donor elsewhere.
func (s *Service) Start(ctx context.Context, r GiftRequest) (Started, error) {
	if s.primary == nil {
		return Started{}, errs.Invalid("", "Online giving is not set up yet.")
	}
	g, err := s.validate(ctx, r)
	if err != nil {
		return Started{}, err
	}
	p := s.primary
	ref := newRef()
	now := s.now()
	var appealID int64
	if g.appeal != nil {
		appealID = g.appeal.ID
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		donor, err := upsertDonor(ctx, tx, g.email, g.name, now)
		if err != nil {
			return err
		}
		if g.monthly {
			_, err = tx.ExecContext(ctx, `INSERT INTO donation_plans (ref, donor_id, appeal_id, provider, amount_minor, currency,
				status, status_at, dedication, gift_aid, gift_aid_text, newsletter, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11, $7, $7)`,
				ref, donor, nullID(appealID), p.Name(), g.amount, g.currency.Code, now, g.dedication, g.giftAid, g.giftAidText, g.newsletter)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO donations (ref, donor_id, appeal_id, kind, method, provider, amount_minor, currency,
				status, dedication, gift_aid, gift_aid_text, newsletter, created_at, updated_at)
				VALUES ($1, $2, $3, 'one_off', 'card', $4, $5, $6, 'pending', $7, $8, $9, $10, $11, $11)`,
				ref, donor, nullID(appealID), p.Name(), g.amount, g.currency.Code, g.dedication, g.giftAid, g.giftAidText, g.newsletter, now)
		}
		if err != nil {
			return fmt.Errorf("record gift: %w", err)
		}
		return nil
	})
	if err != nil {
		return Started{}, err
	}
	site, err := s.settings.Get(ctx)
	if err != nil {
		return Started{}, err
	}
	desc := "Donation to " + site.OrgName
	if g.monthly {
		desc = "Monthly donation to " + site.OrgName
	}
	if g.appeal != nil {
		desc += ": " + g.appeal.Title
	}
	co, err := p.StartCheckout(ctx, CheckoutRequest{
		Ref: ref, Monthly: g.monthly, AmountMinor: g.amount, Currency: g.currency.Code, Email: g.email,
		Description: clip(desc, 250),
		SuccessURL:  s.baseURL + "/donate/thanks/" + ref,
		CancelURL:   s.baseURL + "/donate/cancelled/" + ref,
	})
	table, status := "donations", "failed"
	if g.monthly {
		table, status = "donation_plans", "cancelled"
	}
	if err != nil {
		// Nothing was charged; keep the attempt for the record, closed.
		if _, uerr := s.db.W.ExecContext(ctx, "UPDATE "+table+" SET status = $1, updated_at = $2 WHERE ref = $3", status, now, ref); uerr != nil {
			s.log.Error("close failed checkout", "ref", ref, "err", uerr)
		}
		return Started{}, err
	}
	if _, err := s.db.W.ExecContext(ctx, "UPDATE "+table+" SET provider_session_id = $1 WHERE ref = $2", co.SessionID, ref); err != nil {
		return Started{}, fmt.Errorf("record checkout session: %w", db.Classify(err))
	}
	return Started{Ref: ref, URL: co.URL}, nil
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Thanks is what the thank-you page shows about a gift.
type Thanks struct {
	Monthly      bool
	Confirmed    bool // the provider has confirmed the payment
	Failed       bool // the payment did not go through
	Cancelled    bool // a monthly gift that has been cancelled
	AmountMinor  int64
	Currency     string
	Name         string
	ReceiptToken string // signed token for the receipt, once there is one
	ReceiptNo    string
	CancelToken  string // monthly: signed token for the cancel page
	AppealSlug   string
}

// ThanksFor returns the state of the gift (or monthly gift) with ref.
func (s *Service) ThanksFor(ctx context.Context, ref string) (Thanks, error) {
	if len(ref) != 22 {
		return Thanks{}, errs.ErrNotFound
	}
	if d, err := s.ByRef(ctx, ref); err == nil {
		t := Thanks{AmountMinor: d.AmountMinor, Currency: d.Currency, Name: d.DonorName, AppealSlug: d.AppealSlug}
		switch d.Status {
		case StatusPaid, StatusRefunded:
			t.Confirmed, t.ReceiptNo = true, d.ReceiptNo
			t.ReceiptToken, err = s.ReceiptToken(ctx, d.ID)
			if err != nil {
				return t, err
			}
		case StatusFailed, StatusExpired, StatusCancelled:
			t.Failed = true
		}
		return t, nil
	} else if !errors.Is(err, errs.ErrNotFound) {
		return Thanks{}, err
	}
	p, err := s.PlanByRef(ctx, ref)
	if err != nil {
		return Thanks{}, err
	}
	t := Thanks{Monthly: true, AmountMinor: p.AmountMinor, Currency: p.Currency, Name: p.DonorName}
	gifts, err := s.PlanGifts(ctx, p.ID)
	if err != nil {
		return t, err
	}
	for i := len(gifts) - 1; i >= 0; i-- { // the first paid month
		if gifts[i].HasReceipt() {
			t.ReceiptNo = gifts[i].ReceiptNo
			if t.ReceiptToken, err = s.ReceiptToken(ctx, gifts[i].ID); err != nil {
				return t, err
			}
			break
		}
	}
	switch p.Status {
	case PlanActive, PlanPastDue:
		t.Confirmed = true
	case PlanCancelled:
		t.Cancelled = true
		t.Confirmed = t.ReceiptNo != ""
		t.Failed = !t.Confirmed
	}
	if t.ReceiptNo != "" {
		t.Confirmed = true
	}
	if t.Confirmed && !t.Cancelled {
		if t.CancelToken, err = s.CancelToken(ctx, p.ID); err != nil {
			return t, err
		}
	}
	return t, nil
}

// Retry returns the typed amounts of an abandoned checkout so that the
// donate form can offer them again.
func (s *Service) Retry(ctx context.Context, ref string) (GiftRequest, error) {
	if len(ref) != 22 {
		return GiftRequest{}, errs.ErrNotFound
	}
	var r GiftRequest
	c := func(minor int64, code string) string {
		cur, ok := LookupCurrency(code)
		if !ok {
			return ""
		}
		return FormatAmount(minor, cur)
	}
	if d, err := s.ByRef(ctx, ref); err == nil {
		if d.Status != StatusPending && d.Status != StatusExpired {
			return r, errs.ErrNotFound
		}
		return GiftRequest{Frequency: "once", OtherAmount: c(d.AmountMinor, d.Currency), Currency: d.Currency,
			Name: d.DonorName, Email: d.DonorEmail, Dedication: d.Dedication, Appeal: d.AppealSlug, Newsletter: d.Newsletter}, nil
	} else if !errors.Is(err, errs.ErrNotFound) {
		return r, err
	}
	p, err := s.PlanByRef(ctx, ref)
	if err != nil {
		return r, err
	}
	if p.Status != PlanPending {
		return r, errs.ErrNotFound
	}
	r = GiftRequest{Frequency: "monthly", OtherAmount: c(p.AmountMinor, p.Currency), Currency: p.Currency,
		Name: p.DonorName, Email: p.DonorEmail, Dedication: p.Dedication}
	if p.AppealID != 0 {
		if a, err := s.AppealByID(ctx, p.AppealID); err == nil {
			r.Appeal = a.Slug
		}
	}
	return r, nil
}
