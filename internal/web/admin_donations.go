package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/audit"
	"coalition/internal/donations"
	"coalition/internal/errs"
)

// Who may do what with donations: staff (editors and admins) see gifts and
// donors, record pledges and mark them received, cancel pledges and monthly
// gifts on a donor's request, re-send receipts and edit appeals. Admins alone
// mark refunds, export the accounts (CSV with every donor's details) and
// change the donation settings.

// PersonRecords is what another area of the site knows about an e-mail
// address, for the admin's person view, where donor, subscriber and member
// records that share an address are shown as one person. The mailing lists
// (issue 5) implement it for subscriptions and are wired as
// Deps.Subscribers.
type PersonRecords interface {
	PersonRecords(ctx context.Context, email string) ([]PersonRecord, error)
}

// PersonRecord is one line of the person view.
type PersonRecord struct {
	Area    string // "Mailing list"
	Summary string // "Subscribed to Newsletter (confirmed)"
	URL     string // admin page of the record
	At      time.Time
}

func donationTarget(id int64) string { return "donation:" + strconv.FormatInt(id, 10) }

// donationFilter reads the list filters from the query string; unknown
// values are dropped, never an error.
func (s *Server) donationFilter(r *http.Request) (donations.Filter, url.Values) {
	q := r.URL.Query()
	clean := url.Values{}
	f := donations.Filter{Q: clipString(strings.TrimSpace(q.Get("q")), 200)}
	if f.Q != "" {
		clean.Set("q", f.Q)
	}
	if t, err := time.Parse("2006-01-02", q.Get("from")); err == nil {
		f.From = t.UTC()
		clean.Set("from", q.Get("from"))
	}
	if t, err := time.Parse("2006-01-02", q.Get("to")); err == nil {
		f.To = t.UTC().AddDate(0, 0, 1)
		clean.Set("to", q.Get("to"))
	}
	if id, err := strconv.ParseInt(q.Get("appeal"), 10, 64); err == nil && id > 0 {
		f.AppealID = id
		clean.Set("appeal", q.Get("appeal"))
	}
	for _, st := range donations.Statuses {
		if q.Get("status") == string(st) {
			f.Status = st
			clean.Set("status", string(st))
		}
	}
	for _, m := range donations.Methods {
		if q.Get("method") == string(m) {
			f.Method = m
			clean.Set("method", string(m))
		}
	}
	switch donations.Kind(q.Get("kind")) {
	case donations.KindOneOff, donations.KindMonthly:
		f.Kind = donations.Kind(q.Get("kind"))
		clean.Set("kind", q.Get("kind"))
	}
	return f, clean
}

type donationRow struct {
	donations.Donation
	Amount   string
	Refunded string
}

func rowsOf(list []donations.Donation) []donationRow {
	out := make([]donationRow, len(list))
	for i, d := range list {
		out[i] = donationRow{Donation: d, Amount: donations.Display(d.AmountMinor, d.Currency)}
		if d.RefundedMinor > 0 {
			out[i].Refunded = donations.Display(d.RefundedMinor, d.Currency)
		}
	}
	return out
}

type totalView struct {
	Currency string
	Amount   string
	Count    int
}

func totalsOf(ts []donations.Total) []totalView {
	out := make([]totalView, len(ts))
	for i, t := range ts {
		out[i] = totalView{Currency: t.Currency, Amount: donations.Display(t.Minor, t.Currency), Count: t.Count}
	}
	return out
}

// chartBar is one month of the SVG chart.
type chartBar struct {
	X, Y, W, H int
	LabelX     int
	Month      string // "Nov"
	Full       string // "November 2026"
	Amount     string
	Count      int
}

// chartView is a server-rendered bar chart of one currency's months, with
// the same figures as a table for screen readers and for reading exactly.
type chartView struct {
	ID       string
	Currency string
	Bars     []chartBar
	Max      string
	Desc     string
	Width    int
	Height   int
	Base     int
}

func (s *Server) chartOf(r *http.Request, ms donations.MonthlySeries) chartView {
	l := s.locale(r)
	const w, h, top, bottom, gap = 720, 240, 16, 28, 8
	c := chartView{ID: "chart-" + strings.ToLower(ms.Currency), Currency: ms.Currency, Width: w, Height: h, Base: h - bottom}
	var peak int64
	for _, m := range ms.Months {
		peak = max(peak, m.Minor)
	}
	n := len(ms.Months)
	slot := w / max(n, 1)
	var desc []string
	for i, m := range ms.Months {
		bh := 0
		if peak > 0 && m.Minor > 0 {
			bh = max(int(m.Minor*int64(h-top-bottom)/peak), 1)
		}
		full := l.Month(m.Month.Month()) + " " + strconv.Itoa(m.Month.Year())
		amt := donations.Display(m.Minor, ms.Currency)
		c.Bars = append(c.Bars, chartBar{X: i*slot + gap/2, Y: h - bottom - bh, W: slot - gap, H: bh, LabelX: i*slot + slot/2,
			Month: l.Month(m.Month.Month())[:3], Full: full, Amount: amt, Count: m.Count})
		desc = append(desc, full+": "+amt)
	}
	c.Max = donations.Display(peak, ms.Currency)
	c.Desc = s.t(r, "Gifts received each month, net of refunds, in %s.", ms.Currency) + " " + strings.Join(desc, "; ") + "."
	return c
}

type adminDonationsPage struct {
	Base
	Rows      []donationRow
	Totals    []totalView
	Recurring []totalView
	Charts    []chartView
	Pager     Pager
	Filter    donations.Filter
	FromText  string
	ToText    string
	Appeals   []donations.Appeal
	Statuses  []donations.Status
	Methods   []donations.Method
	Online    bool
	ExportURL string
}

func (s *Server) adminDonations(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, clean := s.donationFilter(r)
	pg := pageParam(r)
	const per = 50
	f.Limit, f.Offset = per, (pg-1)*per
	list, total, err := s.Donations.List(ctx, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	totals, err := s.Donations.Totals(ctx, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	recurring, err := s.Donations.RecurringTotals(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	series, err := s.Donations.ByMonth(ctx, 12, s.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	appeals, err := s.Donations.Appeals(ctx, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminDonationsPage{Base: s.adminBase(w, r, s.t(r, "Donations"), "donations"), Rows: rowsOf(list), Totals: totalsOf(totals), Recurring: totalsOf(recurring),
		Pager: s.newPager(r, pg, per, total), Filter: f, FromText: clean.Get("from"), ToText: clean.Get("to"), Appeals: appeals,
		Statuses: donations.Statuses, Methods: donations.Methods, Online: s.Donations.Online()}
	p.ExportURL = "/admin/donations/export.csv"
	if e := clean.Encode(); e != "" {
		p.ExportURL += "?" + e
	}
	for _, ms := range series {
		p.Charts = append(p.Charts, s.chartOf(r, ms))
	}
	s.render(w, r, http.StatusOK, "admin/donations", p)
}

// adminDonationsExport streams the filtered gifts as CSV for the accountant.
func (s *Server) adminDonationsExport(w http.ResponseWriter, r *http.Request) {
	f, _ := s.donationFilter(r)
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="donations-`+s.Now().UTC().Format("2006-01-02")+`.csv"`)
	h.Set("Cache-Control", "private, no-store")
	s.audit(r, audit.Entry{Action: "donations.export", Detail: r.URL.RawQuery})
	if err := s.Donations.ExportCSV(r.Context(), f, w); err != nil {
		// Headers are gone; the truncated file must not pass for a whole one.
		s.Log.Error("donations export", "err", err)
		panic(http.ErrAbortHandler)
	}
}

type adminDonationPage struct {
	Base
	D         donationRow
	Plan      *donations.Plan
	PlanGifts []donationRow
	Today     string
	Error     string
}

func (s *Server) adminDonation(w http.ResponseWriter, r *http.Request) {
	s.renderDonation(w, r, http.StatusOK, "")
}

func (s *Server) renderDonation(w http.ResponseWriter, r *http.Request, status int, msg string) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	d, err := s.Donations.Get(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	who := d.DonorName
	if who == "" {
		who = d.DonorEmail
	}
	title := s.t(r, "Gift from %s", who)
	if d.Status == donations.StatusPledged {
		title = s.t(r, "Pledge from %s", who)
	}
	p := &adminDonationPage{Base: s.adminBase(w, r, title, "donations"), D: rowsOf([]donations.Donation{d})[0],
		Today: s.Now().UTC().Format("2006-01-02"), Error: msg}
	if d.PlanID != 0 {
		pl, err := s.Donations.Plan(ctx, d.PlanID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Plan = &pl
		gifts, err := s.Donations.PlanGifts(ctx, pl.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.PlanGifts = rowsOf(gifts)
	}
	s.render(w, r, status, "admin/donation", p)
}

// donationAction runs one change on a gift, audits it and returns to the
// gift's page, showing a refusal there.
func (s *Server) donationAction(w http.ResponseWriter, r *http.Request, action, done string, do func(id int64) error) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := do(id)
	if ie, ok := errs.AsInvalid(err); ok {
		s.renderDonation(w, r, http.StatusConflict, s.t(r, ie.Msg))
		return
	}
	if errors.Is(err, donations.ErrProvider) {
		s.Log.Error(action, "err", err)
		s.renderDonation(w, r, http.StatusBadGateway, s.t(r, "The payment service could not be reached. Nothing was changed; please try again."))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: action, Target: donationTarget(id)})
	s.flash(w, r, done)
	http.Redirect(w, r, "/admin/donations/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (s *Server) adminDonationReceived(w http.ResponseWriter, r *http.Request) {
	s.donationAction(w, r, "donation.received", s.t(r, "Marked received; the receipt is issued."), func(id int64) error {
		var day time.Time
		if v := strings.TrimSpace(r.PostFormValue("received_on")); v != "" {
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				return errs.Invalid("received_on", "Enter the date the money arrived, like 2026-03-31.")
			}
			day = t.UTC()
		}
		return s.Donations.MarkReceived(r.Context(), id, day, r.PostFormValue("send_receipt") == "yes")
	})
}

func (s *Server) adminDonationCancel(w http.ResponseWriter, r *http.Request) {
	s.donationAction(w, r, "donation.cancel", s.t(r, "Pledge cancelled."), func(id int64) error {
		return s.Donations.CancelPledge(r.Context(), id)
	})
}

func (s *Server) adminDonationRefund(w http.ResponseWriter, r *http.Request) {
	s.donationAction(w, r, "donation.refund", s.t(r, "Marked refunded."), func(id int64) error {
		return s.Donations.MarkRefunded(r.Context(), id)
	})
}

func (s *Server) adminDonationResend(w http.ResponseWriter, r *http.Request) {
	s.donationAction(w, r, "donation.resend", s.t(r, "The receipt is on its way."), func(id int64) error {
		return s.Donations.ResendReceipt(r.Context(), id)
	})
}

func (s *Server) adminDonationPlanCancel(w http.ResponseWriter, r *http.Request) {
	s.donationAction(w, r, "donation.monthly.cancel", s.t(r, "The monthly gift is cancelled."), func(id int64) error {
		d, err := s.Donations.Get(r.Context(), id)
		if err != nil {
			return err
		}
		if d.PlanID == 0 {
			return errs.Invalid("", "This gift is not part of a monthly gift.")
		}
		return s.Donations.CancelPlan(r.Context(), d.PlanID)
	})
}

func (s *Server) adminDonationReceipt(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	d, err := s.Donations.Get(r.Context(), id)
	if err == nil && !d.HasReceipt() {
		err = errs.ErrNotFound
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sendReceiptPDF(w, r, d)
}

type adminPledgePage struct {
	Base
	Form       donations.PledgeRequest
	Errors     map[string]string
	Currencies []donations.Currency
	Appeals    []donations.Appeal
	Methods    []donations.Method
	Today      string
}

// Err returns the message for a field.
func (p *adminPledgePage) Err(field string) string { return p.Errors[field] }

func (s *Server) renderPledge(w http.ResponseWriter, r *http.Request, status int, f donations.PledgeRequest, fieldErrs map[string]string) {
	appeals, err := s.Donations.Appeals(r.Context(), true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminPledgePage{Base: s.adminBase(w, r, s.t(r, "Record a bank transfer or cheque"), "donations"), Form: f, Errors: fieldErrs,
		Currencies: s.Donations.Currencies(), Appeals: appeals, Methods: donations.Methods[1:], Today: s.Now().UTC().Format("2006-01-02")}
	s.render(w, r, status, "admin/pledge", p)
}

func (s *Server) adminPledgeForm(w http.ResponseWriter, r *http.Request) {
	s.renderPledge(w, r, http.StatusOK, donations.PledgeRequest{Method: "bank_transfer", Currency: s.Donations.Currencies()[0].Code, SendReceipt: true}, nil)
}

func (s *Server) adminPledge(w http.ResponseWriter, r *http.Request) {
	appeal, _ := strconv.ParseInt(r.PostFormValue("appeal"), 10, 64) //nolint:errcheck // 0: no appeal
	f := donations.PledgeRequest{
		Name: clipString(r.PostFormValue("name"), 1000), Email: clipString(r.PostFormValue("email"), 1000),
		Amount: clipString(r.PostFormValue("amount"), 30), Currency: clipString(r.PostFormValue("currency"), 10),
		Method: r.PostFormValue("method"), AppealID: appeal, Dedication: clipString(r.PostFormValue("dedication"), 1000),
		Note: clipString(r.PostFormValue("note"), 4000), Received: r.PostFormValue("received") == "yes",
		ReceivedOn: clipString(r.PostFormValue("received_on"), 20), SendReceipt: r.PostFormValue("send_receipt") == "yes",
	}
	var by int64
	if u := userFrom(r.Context()); u != nil {
		by = u.ID
	}
	d, err := s.Donations.RecordPledge(r.Context(), by, f)
	if fe, ok := donations.AsFormError(err); ok {
		msgs := map[string]string{}
		for k, v := range fe.Fields {
			msgs[k] = s.t(r, v)
		}
		s.renderPledge(w, r, http.StatusUnprocessableEntity, f, msgs)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "donation.pledge", Target: donationTarget(d.ID), Detail: string(d.Status) + " " + donations.Display(d.AmountMinor, d.Currency)})
	if d.Status == donations.StatusPaid {
		s.flash(w, r, s.t(r, "Gift recorded; receipt %s issued.", d.ReceiptNo))
	} else {
		s.flash(w, r, s.t(r, "Pledge recorded. Mark it received when the money arrives."))
	}
	http.Redirect(w, r, "/admin/donations/"+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
}

type donorRow struct {
	donations.DonorSummary
	Totals []totalView
}

type adminDonorsPage struct {
	Base
	Donors []donorRow
	Q      string
	Pager  Pager
}

func (s *Server) adminDonors(w http.ResponseWriter, r *http.Request) {
	q := clipString(strings.TrimSpace(r.URL.Query().Get("q")), 200)
	pg := pageParam(r)
	const per = 50
	list, total, err := s.Donations.Donors(r.Context(), q, per, (pg-1)*per)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminDonorsPage{Base: s.adminBase(w, r, s.t(r, "Donors"), "donors"), Q: q, Pager: s.newPager(r, pg, per, total)}
	for _, d := range list {
		p.Donors = append(p.Donors, donorRow{DonorSummary: d, Totals: totalsOf(d.Totals)})
	}
	s.render(w, r, http.StatusOK, "admin/donors", p)
}

type planView struct {
	donations.Plan
	Amount string
}

type adminPersonPage struct {
	Base
	Email      string
	Donor      *donorRow
	Gifts      []donationRow
	Plans      []planView
	Accounts   []accounts.User
	Records    []PersonRecord
	NoMailHook bool
}

// adminDonor shows a donor as a person: their gifts and monthly gifts, and
// the site's other records with the same e-mail address.
func (s *Server) adminDonor(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	d, err := s.Donations.DonorByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderPerson(w, r, d.Email, &d)
}

// adminPerson is the person view by e-mail address (/admin/people?email=).
func (s *Server) adminPerson(w http.ResponseWriter, r *http.Request) {
	email, err := accounts.NormalizeEmail(clipString(r.URL.Query().Get("email"), 300))
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, s.t(r, "Enter a valid e-mail address, like name@example.org."))
		return
	}
	var donor *donations.DonorSummary
	d, err := s.Donations.DonorByEmail(r.Context(), email)
	switch {
	case err == nil:
		donor = &d
	case !errors.Is(err, errs.ErrNotFound):
		s.fail(w, r, err)
		return
	}
	s.renderPerson(w, r, email, donor)
}

func (s *Server) renderPerson(w http.ResponseWriter, r *http.Request, email string, d *donations.DonorSummary) {
	ctx := r.Context()
	title := email
	if d != nil && d.Name != "" {
		title = d.Name
	}
	p := &adminPersonPage{Base: s.adminBase(w, r, title, "donors"), Email: email, NoMailHook: s.Subscribers == nil}
	if d != nil {
		p.Donor = &donorRow{DonorSummary: *d, Totals: totalsOf(d.Totals)}
		list, _, err := s.Donations.List(ctx, donations.Filter{DonorID: d.ID, Limit: 200})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Gifts = rowsOf(list)
		plans, err := s.Donations.DonorPlans(ctx, d.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, pl := range plans {
			p.Plans = append(p.Plans, planView{Plan: pl, Amount: donations.Display(pl.AmountMinor, pl.Currency)})
		}
	}
	if email != "" {
		if u, err := s.Accounts.ByEmail(ctx, email); err == nil {
			p.Accounts = append(p.Accounts, u)
		} else if !errors.Is(err, errs.ErrNotFound) {
			s.fail(w, r, err)
			return
		}
		if s.Subscribers != nil {
			recs, err := s.Subscribers.PersonRecords(ctx, email)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			p.Records = recs
		}
	}
	if d == nil && len(p.Accounts) == 0 && len(p.Records) == 0 {
		s.notFound(w, r)
		return
	}
	s.render(w, r, http.StatusOK, "admin/person", p)
}

type adminAppealsPage struct {
	Base
	Appeals []appealView
}

func (s *Server) adminAppeals(w http.ResponseWriter, r *http.Request) {
	list, err := s.Donations.Appeals(r.Context(), true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminAppealsPage{Base: s.adminBase(w, r, s.t(r, "Appeals"), "appeals")}
	for _, a := range list {
		v, err := s.appealView(r, a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Appeals = append(p.Appeals, v)
	}
	s.render(w, r, http.StatusOK, "admin/appeals", p)
}

type adminAppealPage struct {
	Base
	ID         int64
	Form       donations.AppealForm
	Errors     map[string]string
	Currencies []donations.Currency
}

// Err returns the message for a field.
func (p *adminAppealPage) Err(field string) string { return p.Errors[field] }

func (s *Server) renderAppeal(w http.ResponseWriter, r *http.Request, status int, id int64, f donations.AppealForm, fieldErrs map[string]string) {
	title := s.t(r, "New appeal")
	if id != 0 {
		title = s.t(r, "Edit appeal")
	}
	p := &adminAppealPage{Base: s.adminBase(w, r, title, "appeals"), ID: id, Form: f, Errors: fieldErrs, Currencies: s.Donations.Currencies()}
	s.render(w, r, status, "admin/appeal", p)
}

func (s *Server) adminAppealNew(w http.ResponseWriter, r *http.Request) {
	s.renderAppeal(w, r, http.StatusOK, 0, donations.AppealForm{Currency: s.Donations.Currencies()[0].Code, Published: true}, nil)
}

func (s *Server) adminAppealEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a, err := s.Donations.AppealByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, _ := donations.LookupCurrency(a.Currency)
	f := donations.AppealForm{Title: a.Title, Slug: a.Slug, Summary: a.Summary, ArticleSlug: a.ArticleSlug,
		Goal: donations.FormatAmount(a.GoalMinor, c), Currency: a.Currency, Published: a.Published}
	if !a.StartsAt.IsZero() {
		f.StartsOn = a.StartsAt.Format("2006-01-02")
	}
	if !a.EndsAt.IsZero() {
		f.EndsOn = a.EndsAt.Format("2006-01-02")
	}
	s.renderAppeal(w, r, http.StatusOK, id, f, nil)
}

func (s *Server) adminAppealSave(w http.ResponseWriter, r *http.Request) {
	var id int64
	if r.PathValue("id") != "" {
		var ok bool
		if id, ok = pathID(r, "id"); !ok {
			s.notFound(w, r)
			return
		}
	}
	f := donations.AppealForm{
		Title: clipString(r.PostFormValue("title"), 1000), Slug: clipString(r.PostFormValue("slug"), 200),
		Summary: clipString(r.PostFormValue("summary"), 20000), ArticleSlug: clipString(r.PostFormValue("article_slug"), 200),
		Goal: clipString(r.PostFormValue("goal"), 30), Currency: clipString(r.PostFormValue("currency"), 10),
		StartsOn: clipString(r.PostFormValue("starts_on"), 20), EndsOn: clipString(r.PostFormValue("ends_on"), 20),
		Published: r.PostFormValue("published") == "yes",
	}
	a, err := s.Donations.SaveAppeal(r.Context(), id, f)
	if fe, ok := donations.AsFormError(err); ok {
		msgs := map[string]string{}
		for k, v := range fe.Fields {
			msgs[k] = s.t(r, v)
		}
		s.renderAppeal(w, r, http.StatusUnprocessableEntity, id, f, msgs)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "appeal.save", Target: fmt.Sprintf("appeal:%d", a.ID), Detail: a.Slug})
	s.flash(w, r, s.t(r, "Appeal saved."))
	http.Redirect(w, r, "/admin/appeals", http.StatusSeeOther)
}

type adminDonationSettingsPage struct {
	Base
	Presets     string
	GiftAid     bool
	GiftAidText string
	OtherWays   string
	Error       string
	Online      bool
	WebhookURL  string
	Events      []donations.EventLog
}

func (s *Server) renderDonationSettings(w http.ResponseWriter, r *http.Request, status int, p *adminDonationSettingsPage) {
	p.Base = s.adminBase(w, r, s.t(r, "Donation settings"), "donations")
	p.Online = s.Donations.Online()
	p.WebhookURL = s.Config.BaseURL + "/webhooks/stripe"
	events, err := s.Donations.Events(r.Context(), 20)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Events = events
	s.render(w, r, status, "admin/donation_settings", p)
}

func (s *Server) adminDonationSettings(w http.ResponseWriter, r *http.Request) {
	gs, err := s.Donations.Settings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var parts []string
	for _, v := range gs.Presets {
		parts = append(parts, strconv.FormatInt(v, 10))
	}
	s.renderDonationSettings(w, r, http.StatusOK, &adminDonationSettingsPage{Presets: strings.Join(parts, ", "), GiftAid: gs.GiftAid,
		GiftAidText: gs.GiftAidText, OtherWays: gs.OtherWays})
}

func (s *Server) adminSaveDonationSettings(w http.ResponseWriter, r *http.Request) {
	p := &adminDonationSettingsPage{Presets: clipString(r.PostFormValue("presets"), 200), GiftAid: r.PostFormValue("gift_aid") == "yes",
		GiftAidText: clipString(r.PostFormValue("gift_aid_text"), 8000), OtherWays: clipString(r.PostFormValue("other_ways"), 8000)}
	err := s.Donations.SaveSettings(r.Context(), p.Presets, p.GiftAid, p.GiftAidText, p.OtherWays)
	if ie, ok := errs.AsInvalid(err); ok {
		p.Error = s.t(r, ie.Msg)
		s.renderDonationSettings(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "donations.settings"})
	s.flash(w, r, s.t(r, "Donation settings saved."))
	http.Redirect(w, r, "/admin/donations/settings", http.StatusSeeOther)
}
