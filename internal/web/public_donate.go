package web

import (
	"errors"
	"html"
	"html/template"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"coalition/internal/content"
	"coalition/internal/donations"
	"coalition/internal/errs"
)

// The donate form posts to /donate, which answers with a 303 to the payment
// provider's page. Chrome applies the page's form-action directive to that
// redirect too, so the donate page (and only it) lists the provider's
// Checkout origin in form-action; everything else keeps 'self'. No provider
// script is ever loaded: Checkout is a plain redirect.
func (s *Server) allowCheckoutFormAction(w http.ResponseWriter) {
	origins := s.Donations.CheckoutOrigins()
	if len(origins) == 0 {
		return
	}
	h := w.Header()
	csp := h.Get("Content-Security-Policy")
	h.Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+strings.Join(origins, " "), 1))
}

type presetOption struct {
	Value   string
	Checked bool
}

type donatePage struct {
	Base
	Form        donations.GiftRequest
	Errors      map[string]string
	Currencies  []donations.Currency
	Presets     []presetOption
	OtherActive bool
	Settings    donations.GiveSettings
	Online      bool
	Appeal      *appealView
	OpenAppeals []donations.Appeal // offered when the gift is for no appeal
	Notice      string
	MinText     string
	MaxText     string
	Consent     string
}

// Err returns the message for a field ("" when it is fine).
func (p *donatePage) Err(field string) string { return p.Errors[field] }

func (s *Server) donatePage(w http.ResponseWriter, r *http.Request, status int, f donations.GiftRequest, fieldErrs map[string]string, notice string) {
	ctx := r.Context()
	gs, err := s.Donations.Settings(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &donatePage{Base: s.base(w, r, s.t(r, "Donate")), Form: f, Errors: fieldErrs, Currencies: s.Donations.Currencies(),
		Settings: gs, Online: s.Donations.Online(), Notice: notice, Consent: s.t(r, donations.NewsletterConsent)}
	p.Section = "get-involved"
	p.Description = s.t(r, "Support the coalition with a one-off or monthly gift.")
	if p.Form.Currency == "" {
		p.Form.Currency = p.Currencies[0].Code
	}
	if p.Form.Frequency == "" {
		p.Form.Frequency = "once"
	}
	chosen := f.Amount
	if f.OtherAmount != "" || f.Amount == "other" {
		chosen, p.OtherActive = "", true
	}
	if chosen == "" && !p.OtherActive && len(gs.Presets) > 1 {
		chosen = strconv.FormatInt(gs.Presets[1], 10) // a suggestion, not a trap: any amount can be typed
	}
	for _, v := range gs.Presets {
		val := strconv.FormatInt(v, 10)
		p.Presets = append(p.Presets, presetOption{Value: val, Checked: val == chosen})
	}
	lo, hi := s.Donations.Limits()
	p.MinText = strconv.FormatInt(lo, 10)
	p.MaxText = p.L.Number(hi)
	if slug := strings.TrimSpace(p.Form.Appeal); slug != "" {
		if a, err := s.Donations.AppealBySlug(ctx, slug); err == nil && a.Published {
			if a.Open(s.Now()) {
				v, err := s.appealView(r, a)
				if err != nil {
					s.fail(w, r, err)
					return
				}
				p.Appeal = &v
			} else if p.Notice == "" {
				p.Notice = s.t(r, "The appeal “%s” has ended. Your gift will support the coalition's work as a whole.", a.Title)
				p.Form.Appeal = ""
			}
		} else if err != nil && !isNotFound(err) {
			s.fail(w, r, err)
			return
		} else {
			p.Form.Appeal = ""
		}
	}
	if p.Appeal == nil && p.Online {
		list, err := s.Donations.Appeals(ctx, false)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, a := range list {
			if a.Open(s.Now()) && len(p.OpenAppeals) < 5 {
				p.OpenAppeals = append(p.OpenAppeals, a)
			}
		}
	}
	s.allowCheckoutFormAction(w)
	s.render(w, r, status, "pages/donate", p)
}

// isNotFound reports whether err means "no such thing".
func isNotFound(err error) bool { return errors.Is(err, errs.ErrNotFound) }

func (s *Server) donateForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := donations.GiftRequest{Appeal: clipString(q.Get("appeal"), 100)}
	if q.Get("frequency") == "monthly" {
		f.Frequency = "monthly"
	}
	if c, ok := s.Donations.Currency(q.Get("currency")); ok {
		f.Currency = c.Code
	}
	s.donatePage(w, r, http.StatusOK, f, nil, "")
}

// donate validates the form, records the gift as pending and sends the donor
// to the payment page. The redirect target comes from the provider's API
// answer, never from the request.
func (s *Server) donate(w http.ResponseWriter, r *http.Request) {
	f := donations.GiftRequest{
		Frequency:   r.PostFormValue("frequency"),
		Amount:      clipString(r.PostFormValue("amount"), 30),
		OtherAmount: clipString(r.PostFormValue("other_amount"), 30),
		Currency:    clipString(r.PostFormValue("currency"), 10),
		Name:        clipString(r.PostFormValue("name"), 1000),
		Email:       clipString(r.PostFormValue("email"), 1000),
		Dedication:  clipString(r.PostFormValue("dedication"), 1000),
		Newsletter:  r.PostFormValue("newsletter") == "yes",
		GiftAid:     r.PostFormValue("gift_aid") == "yes",
		Appeal:      clipString(r.PostFormValue("appeal"), 100),
	}
	if r.PostFormValue("website") != "" { // the honeypot: people never see it
		s.donatePage(w, r, http.StatusBadRequest, f, nil, s.t(r, "Your gift could not be sent. Please try again."))
		return
	}
	if !s.limits.allow("donate", s.clientIP(r)) {
		w.Header().Set("Retry-After", "60")
		s.donatePage(w, r, http.StatusTooManyRequests, f, nil, s.t(r, "Too many attempts from your address. Please wait a minute and try again."))
		return
	}
	st, err := s.Donations.Start(r.Context(), f)
	if fe, ok := donations.AsFormError(err); ok {
		msgs := map[string]string{}
		for k, v := range fe.Fields {
			msgs[k] = s.t(r, v)
		}
		s.donatePage(w, r, http.StatusUnprocessableEntity, f, msgs, "")
		return
	}
	if ie, ok := errs.AsInvalid(err); ok {
		s.donatePage(w, r, http.StatusUnprocessableEntity, f, nil, s.t(r, ie.Msg))
		return
	}
	if errors.Is(err, donations.ErrProvider) {
		s.Log.Error("start checkout", "err", err)
		s.donatePage(w, r, http.StatusBadGateway, f, nil,
			s.t(r, "We could not reach the payment service. Nothing has been charged; please try again in a moment."))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, st.URL, http.StatusSeeOther)
}

type donateThanksPage struct {
	Base
	Thanks  donations.Thanks
	Amount  string
	Refresh string // the URL the page reloads to while the payment is pending
}

// donateThanks is where the payment page sends the donor back. It shows
// what the webhook has confirmed, and reloads itself (a meta refresh: no
// script) for a couple of minutes while the confirmation is on its way.
func (s *Server) donateThanks(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	t, err := s.Donations.ThanksFor(r.Context(), ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &donateThanksPage{Base: s.base(w, r, s.t(r, "Thank you")), Thanks: t, Amount: donations.Display(t.AmountMinor, t.Currency)}
	p.NoIndex = true
	if !t.Confirmed && !t.Failed {
		n, _ := strconv.Atoi(r.URL.Query().Get("n")) //nolint:errcheck // 0 when absent
		if n < 24 {
			p.Refresh = "5; url=/donate/thanks/" + ref + "?n=" + strconv.Itoa(n+1)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.render(w, r, http.StatusOK, "pages/donate_thanks", p)
}

// donateCancelled is where the payment page sends a donor who turned back:
// the form again, with what they had chosen.
func (s *Server) donateCancelled(w http.ResponseWriter, r *http.Request) {
	f, err := s.Donations.Retry(r.Context(), r.PathValue("ref"))
	if err != nil && !isNotFound(err) {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.donatePage(w, r, http.StatusOK, f, nil, s.t(r, "You left the payment page, so nothing has been charged. You can try again below."))
}

// donateReceipt serves a receipt PDF from a signed link (no sign-in).
func (s *Server) donateReceipt(w http.ResponseWriter, r *http.Request) {
	if !s.limits.allow("contact", s.clientIP(r)) {
		s.errorPage(w, r, http.StatusTooManyRequests, s.t(r, "Too many requests from your address. Please wait a minute and try again."))
		return
	}
	d, err := s.Donations.ReceiptByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sendReceiptPDF(w, r, d)
}

func (s *Server) sendReceiptPDF(w http.ResponseWriter, r *http.Request, d donations.Donation) {
	pdf, err := donations.ReceiptPDF(d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="receipt-`+d.ReceiptNo+`.pdf"`)
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Length", strconv.Itoa(len(pdf)))
	_, _ = w.Write(pdf) //nolint:errcheck // the client has gone
}

type monthlyCancelPage struct {
	Base
	Plan   donations.Plan
	Token  string
	Amount string
	Done   bool
	Error  string
}

func (s *Server) monthlyCancelPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	plan, err := s.Donations.PlanByCancelToken(r.Context(), r.PathValue("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &monthlyCancelPage{Base: s.base(w, r, s.t(r, "Stop your monthly gift")), Plan: plan, Token: r.PathValue("token"),
		Amount: donations.Display(plan.AmountMinor, plan.Currency), Done: plan.Status == donations.PlanCancelled, Error: msg}
	p.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.render(w, r, status, "pages/donate_cancel", p)
}

func (s *Server) monthlyCancelForm(w http.ResponseWriter, r *http.Request) {
	s.monthlyCancelPage(w, r, http.StatusOK, "")
}

// monthlyCancel stops a monthly gift from the signed link in its e-mails:
// the link shows a confirmation page, and only this POST (with the form's
// CSRF token) cancels, so a mail scanner following links cancels nothing.
func (s *Server) monthlyCancel(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	plan, err := s.Donations.PlanByCancelToken(ctx, r.PathValue("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.Donations.CancelPlan(ctx, plan.ID)
	if ie, ok := errs.AsInvalid(err); ok {
		s.monthlyCancelPage(w, r, http.StatusConflict, s.t(r, ie.Msg))
		return
	}
	if errors.Is(err, donations.ErrProvider) {
		s.Log.Error("cancel monthly gift", "plan", plan.ID, "err", err)
		s.monthlyCancelPage(w, r, http.StatusBadGateway, s.t(r, "We could not reach the payment service, so your gift is not cancelled yet. Please try again in a moment."))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Log.Info("monthly gift cancelled by donor", "plan", plan.ID)
	s.flash(w, r, s.t(r, "Your monthly gift is cancelled. No further payments will be taken."))
	http.Redirect(w, r, "/donate/monthly/"+r.PathValue("token"), http.StatusSeeOther)
}

// stripeWebhook receives Stripe's events. Only a valid signature is
// accepted (400 otherwise, and nothing changes); a duplicate is answered
// 200 and ignored; a failure to apply answers 500 so that Stripe retries.
func (s *Server) stripeWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	err = s.Donations.HandleWebhook(r.Context(), "stripe", body, r.Header)
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n") //nolint:errcheck // the client has gone
	case errors.Is(err, donations.ErrBadSignature):
		s.Log.Warn("stripe webhook with a bad signature", "ip", s.clientIP(r), "err", err)
		http.Error(w, "invalid signature", http.StatusBadRequest)
	case errors.Is(err, errs.ErrNotFound):
		http.Error(w, "card payments are not configured", http.StatusNotFound)
	default:
		s.Log.Error("stripe webhook", "err", err)
		http.Error(w, "temporary failure, retry later", http.StatusInternalServerError)
	}
}

// appealView is an appeal with its progress, ready for a template.
type appealView struct {
	donations.Appeal
	Progress donations.Progress
	Raised   string
	Goal     string
	Other    []string
	Story    template.HTML
	Open     bool
	// Article is the appeal's full story, when it is a live public article.
	Article *content.Article
}

func (s *Server) appealView(r *http.Request, a donations.Appeal) (appealView, error) {
	pr, err := s.Donations.Progress(r.Context(), a)
	if err != nil {
		return appealView{}, err
	}
	v := appealView{Appeal: a, Progress: pr, Raised: donations.Display(pr.RaisedMinor, a.Currency),
		Goal: donations.Display(a.GoalMinor, a.Currency), Open: a.Open(s.Now())}
	for _, t := range pr.Other {
		v.Other = append(v.Other, donations.Display(t.Minor, t.Currency))
	}
	v.Story = s.markdown(a.Summary)
	if a.ArticleSlug != "" && s.Content != nil {
		if art, err := s.Content.BySlug(r.Context(), content.KindArticle, a.ArticleSlug); err == nil && art.Live() && art.Visibility == content.Public {
			v.Article = &art
		}
	}
	return v, nil
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

// plainText turns rendered HTML into one line of text (for a description).
func plainText(h template.HTML) string {
	return strings.Join(strings.Fields(html.UnescapeString(tagRe.ReplaceAllString(string(h), " "))), " ")
}

type appealsPage struct {
	Base
	Appeals []appealView
}

func (s *Server) appealsList(w http.ResponseWriter, r *http.Request) {
	list, err := s.Donations.Appeals(r.Context(), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &appealsPage{Base: s.base(w, r, s.t(r, "Appeals"))}
	p.Section = "get-involved"
	for _, a := range list {
		v, err := s.appealView(r, a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Appeals = append(p.Appeals, v)
	}
	s.render(w, r, http.StatusOK, "pages/appeals", p)
}

type appealPage struct {
	Base
	Appeal appealView
}

func (s *Server) appealShow(w http.ResponseWriter, r *http.Request) {
	a, err := s.Donations.AppealBySlug(r.Context(), r.PathValue("slug"))
	if err == nil && !a.Published && !userFrom(r.Context()).IsStaff() {
		err = errs.ErrNotFound
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.appealView(r, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &appealPage{Base: s.base(w, r, a.Title), Appeal: v}
	p.Section = "get-involved"
	p.Description = clipString(plainText(v.Story), 300)
	s.render(w, r, http.StatusOK, "pages/appeal", p)
}
