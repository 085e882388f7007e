package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/content"
	"coalition/internal/errs"
	"coalition/internal/mail"
	"coalition/internal/places"
)

// The public side of the mailing lists: the subscribe form (also in the
// "Get involved" block of every page), double opt-in confirmation, the
// preference centre reached by a signed link, RFC 8058 one-click
// unsubscribe, and the archive of sent newsletters.

// Consent texts, shown next to the forms and recorded word for word (in the
// reader's language) with each subscription.
const (
	consentSubscribe = "We will send you an e-mail to confirm your address; nothing else is sent until you do. We use your address only for what you chose here, never share it, and every message has a link to change your choices or leave at once."
	consentShort     = "We will e-mail you to confirm. Every message has a one-click unsubscribe link; we never share your address."
)

func (s *Server) subscribeLimits() {
	s.limits.setRule("subscribe", 20*time.Second, 10) // per client address
	s.limits.setRule("subscribe-email", 5*time.Minute, 3)
	s.limits.setRule("prefs", 2*time.Second, 30)
}

// isMember reports whether the signed-in user may choose members-only lists.
func isMember(u *accounts.User) bool {
	return u != nil && (u.IsStaff() || (u.Role == accounts.RoleMember && u.OrganisationID != 0))
}

// followChoices are the tags a reader can follow for alerts.
type followChoices struct {
	Regions   []places.Tag
	Groupings []places.Tag
	Countries []places.Tag
	Themes    []places.Tag
	Crises    []places.Tag
}

func (s *Server) followChoices(ctx context.Context) (followChoices, error) {
	var f followChoices
	for _, k := range []struct {
		kind places.Kind
		dst  *[]places.Tag
	}{{places.KindRegion, &f.Regions}, {places.KindGrouping, &f.Groupings}, {places.KindCountry, &f.Countries},
		{places.KindTheme, &f.Themes}, {places.KindCrisis, &f.Crises}} {
		ts, err := s.Places.List(ctx, k.kind)
		if err != nil {
			return f, err
		}
		*k.dst = ts
	}
	return f, nil
}

// subscribeForm is what the form held (to show it again after an error).
type subscribeForm struct {
	Email, Name string
	Lists       []int64
	Follows     []int64
	Frequency   string
}

// HasList reports whether a list is ticked.
func (f subscribeForm) HasList(id int64) bool { return slices.Contains(f.Lists, id) }

// Following reports whether a tag is ticked.
func (f subscribeForm) Following(id int64) bool { return slices.Contains(f.Follows, id) }

type subscribePage struct {
	Base
	ListChoices []mail.List
	Choices     followChoices
	Form        subscribeForm
	Errors      formErrors
	Consent     string
}

func (s *Server) renderSubscribe(w http.ResponseWriter, r *http.Request, status int, f subscribeForm, fe formErrors) {
	ctx := r.Context()
	p := &subscribePage{Base: s.base(w, r, s.t(r, "Subscribe")), Form: f, Errors: fe, Consent: s.t(r, consentSubscribe)}
	p.Description = s.t(r, "Choose our newsletters and alerts by country, region, theme or crisis.")
	var err error
	if p.ListChoices, err = s.Mail.OfferedLists(ctx, isMember(p.User)); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Choices, err = s.followChoices(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "pages/subscribe", p)
}

// subscribeForm is GET /subscribe. ?list=<slug> and ?follow=<tag id> tick
// boxes in advance (links from crisis and country pages).
func (s *Server) subscribeForm(w http.ResponseWriter, r *http.Request) {
	f := subscribeForm{Frequency: mail.FrequencyInstant}
	q := r.URL.Query()
	if ls := q["list"]; len(ls) > 0 {
		all, err := s.Mail.OfferedLists(r.Context(), isMember(userFrom(r.Context())))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, l := range all {
			if slices.Contains(ls, l.Slug) {
				f.Lists = append(f.Lists, l.ID)
			}
		}
	}
	f.Follows = formIDs(q["follow"])
	s.renderSubscribe(w, r, http.StatusOK, f, nil)
}

// sourceOf is the page a subscribe form was on: the form's own "source"
// field when it names a local path, else /subscribe.
func sourceOf(r *http.Request) string {
	src := r.PostFormValue("source")
	if src == "" || !strings.HasPrefix(src, "/") || strings.HasPrefix(src, "//") || len(src) > 300 || strings.ContainsAny(src, "\r\n\x00") {
		return "/subscribe"
	}
	return src
}

// subscribe is POST /subscribe, from the page or the "Get involved" block.
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	f := subscribeForm{
		Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Lists: formIDs(r.PostForm["list"]), Follows: formIDs(r.PostForm["follow"]), Frequency: r.PostFormValue("frequency"),
	}
	if f.Frequency == "" {
		f.Frequency = mail.FrequencyInstant
	}
	// Bots fill every field; people never see this one.
	if r.PostFormValue("website") != "" {
		s.Log.Info("subscribe honeypot filled", "ip", s.clientIP(r))
		http.Redirect(w, r, "/subscribe/thanks", http.StatusSeeOther)
		return
	}
	if !s.limits.allow("subscribe", s.clientIP(r)) {
		w.Header().Set("Retry-After", "60")
		s.errorPage(w, r, http.StatusTooManyRequests, s.t(r, "Too many sign-ups from your address. Please wait a minute and try again."))
		return
	}
	consent := s.t(r, consentSubscribe)
	if r.PostFormValue("form") == "short" {
		consent = s.t(r, consentShort)
	}
	in := mail.SubscribeInput{Email: f.Email, Name: f.Name, ListIDs: f.Lists, Follows: f.Follows, Frequency: f.Frequency,
		Source: sourceOf(r), ConsentText: consent, Member: isMember(userFrom(r.Context()))}
	var err error
	// One address gets at most a few confirmation e-mails, whoever asks.
	if strings.Contains(f.Email, "@") && !s.limits.allow("subscribe-email", strings.ToLower(f.Email)) {
		err = nil // answer as if sent: the address already has a recent link
	} else {
		err = s.Mail.Subscribe(r.Context(), in)
	}
	fe := formErrors{}
	if fe.add(err) {
		s.renderSubscribe(w, r, http.StatusUnprocessableEntity, f, fe)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/subscribe/thanks", http.StatusSeeOther)
}

type messagePage struct {
	Base
	Heading string
	Lines   []string
	Links   []pageLink
}

type pageLink struct{ Label, URL string }

func (s *Server) message(w http.ResponseWriter, r *http.Request, status int, heading string, lines []string, links ...pageLink) {
	p := &messagePage{Base: s.base(w, r, heading), Heading: heading, Lines: lines, Links: links}
	p.NoIndex = true
	s.render(w, r, status, "pages/message", p)
}

func (s *Server) subscribeThanks(w http.ResponseWriter, r *http.Request) {
	s.message(w, r, http.StatusOK, s.t(r, "Check your inbox"), []string{
		s.t(r, "We have sent you an e-mail with a link to confirm your subscription. Nothing will be sent until you follow it."),
		s.t(r, "If it has not arrived within a few minutes, look in your spam folder, or subscribe again."),
	}, pageLink{s.t(r, "Back to the news"), "/news"})
}

type tokenPage struct {
	Base
	Extra   template.URL // a second way out (the preference centre)
	Token   string
	Heading string
	Text    string
	Button  string
	Action  string
}

// confirmForm is GET /subscribe/confirm/{token}: a button rather than an
// immediate confirmation, because mail scanners follow links.
func (s *Server) confirmForm(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	if _, _, _, err := s.Mail.Verify(r.Context(), mail.PurposeConfirm, tok); err != nil {
		s.badLink(w, r, err)
		return
	}
	p := &tokenPage{Base: s.base(w, r, s.t(r, "Confirm your subscription")), Token: tok,
		Heading: s.t(r, "Confirm your subscription"),
		Text:    s.t(r, "Press the button to confirm that you want to receive the e-mails you chose."),
		Button:  s.t(r, "Yes, subscribe me"), Action: "/subscribe/confirm/" + url.PathEscape(tok)}
	p.NoIndex = true
	s.render(w, r, http.StatusOK, "pages/token_action", p)
}

// badLink answers for a signed link that is wrong, void or expired.
func (s *Server) badLink(w http.ResponseWriter, r *http.Request, err error) {
	if ie, ok := errs.AsInvalid(err); ok {
		s.message(w, r, http.StatusGone, s.t(r, "This link has expired"), []string{ie.Msg}, pageLink{s.t(r, "Subscribe"), "/subscribe"})
		return
	}
	if errors.Is(err, errs.ErrNotFound) {
		s.message(w, r, http.StatusNotFound, s.t(r, "This link does not work"), []string{
			s.t(r, "The link may be incomplete (some mail programs cut long links) or it was replaced by a newer one. Use the link in the most recent e-mail, or subscribe again."),
		}, pageLink{s.t(r, "Subscribe"), "/subscribe"})
		return
	}
	s.fail(w, r, err)
}

func (s *Server) confirmSubscription(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	sub, err := s.Mail.Confirm(r.Context(), tok)
	if err != nil {
		s.badLink(w, r, err)
		return
	}
	prefs, err := s.Mail.PreferencesURL(r.Context(), sub)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.message(w, r, http.StatusOK, s.t(r, "You are subscribed"), []string{
		s.t(r, "Thank you: %s is confirmed.", sub.Email),
		s.t(r, "Every e-mail we send has a link to change what you receive or to leave at once."),
	}, pageLink{s.t(r, "Choose what you receive"), strings.TrimPrefix(prefs, s.Config.BaseURL)})
}

type preferencesPage struct {
	Base
	Prefs   mail.Preferences
	Choices followChoices
	Form    subscribeForm
	Errors  formErrors
	Action  string
}

func (s *Server) renderPreferences(w http.ResponseWriter, r *http.Request, status int, pr mail.Preferences, f subscribeForm, fe formErrors) {
	p := &preferencesPage{Base: s.base(w, r, s.t(r, "Your subscription")), Prefs: pr, Form: f, Errors: fe,
		Action: "/subscribe/manage/" + url.PathEscape(pr.Token)}
	p.NoIndex = true
	var err error
	if p.Choices, err = s.followChoices(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Referrer-Policy", "no-referrer") // the address holds a secret
	s.render(w, r, status, "pages/preferences", p)
}

// ListChoices are the lists the preference centre offers.
func (p *preferencesPage) ListChoices() []mail.List {
	out := make([]mail.List, 0, len(p.Prefs.Lists))
	for _, sub := range p.Prefs.Lists {
		out = append(out, sub.List)
	}
	return out
}

func prefsForm(pr mail.Preferences) subscribeForm {
	f := subscribeForm{Email: pr.Subscriber.Email, Name: pr.Subscriber.Name, Follows: pr.Follows, Frequency: pr.Subscriber.Frequency}
	for _, sub := range pr.Lists {
		if sub.Status == mail.SubActive || sub.Status == mail.SubPending {
			f.Lists = append(f.Lists, sub.List.ID)
		}
	}
	return f
}

// preferencesForm is GET /subscribe/manage/{token}: the preference centre.
func (s *Server) preferencesForm(w http.ResponseWriter, r *http.Request) {
	pr, err := s.Mail.PreferencesFor(r.Context(), r.PathValue("token"), isMember(userFrom(r.Context())))
	if err != nil {
		s.badLink(w, r, err)
		return
	}
	s.renderPreferences(w, r, http.StatusOK, pr, prefsForm(pr), nil)
}

func (s *Server) savePreferences(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	if !s.limits.allow("prefs", s.clientIP(r)) {
		w.Header().Set("Retry-After", "10")
		s.errorPage(w, r, http.StatusTooManyRequests, s.t(r, "Too many changes at once. Please wait a moment and try again."))
		return
	}
	f := subscribeForm{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Lists: formIDs(r.PostForm["list"]), Follows: formIDs(r.PostForm["follow"]), Frequency: r.PostFormValue("frequency")}
	pending, err := s.Mail.SavePreferences(r.Context(), tok, mail.PreferencesInput{Name: f.Name, Email: f.Email, ListIDs: f.Lists,
		Follows: f.Follows, Frequency: f.Frequency, Member: isMember(userFrom(r.Context()))})
	fe := formErrors{}
	if fe.add(err) {
		pr, perr := s.Mail.PreferencesFor(r.Context(), tok, isMember(userFrom(r.Context())))
		if perr != nil {
			s.badLink(w, r, perr)
			return
		}
		s.renderPreferences(w, r, http.StatusUnprocessableEntity, pr, f, fe)
		return
	}
	if err != nil {
		s.badLink(w, r, err)
		return
	}
	msg := s.t(r, "Your choices are saved.")
	if pending {
		msg += " " + s.t(r, "We have sent a link to your new address; the change applies once you follow it.")
	}
	s.flash(w, r, msg)
	http.Redirect(w, r, "/subscribe/manage/"+url.PathEscape(tok), http.StatusSeeOther)
}

// leaveAll is POST /subscribe/manage/{token}/leave: every list and alert.
func (s *Server) leaveAll(w http.ResponseWriter, r *http.Request) {
	if err := s.Mail.LeaveAll(r.Context(), r.PathValue("token")); err != nil {
		s.badLink(w, r, err)
		return
	}
	s.message(w, r, http.StatusOK, s.t(r, "You have left every list"), []string{
		s.t(r, "You will receive no more newsletters or alerts from us."),
		s.t(r, "Changed your mind? You can subscribe again at any time (we will ask you to confirm)."),
	}, pageLink{s.t(r, "Subscribe again"), "/subscribe"})
}

func (s *Server) addressForm(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	if _, _, _, err := s.Mail.Verify(r.Context(), mail.PurposeAddress, tok); err != nil {
		s.badLink(w, r, err)
		return
	}
	p := &tokenPage{Base: s.base(w, r, s.t(r, "Confirm your new address")), Token: tok,
		Heading: s.t(r, "Confirm your new address"),
		Text:    s.t(r, "Press the button to receive our e-mails at this address from now on."),
		Button:  s.t(r, "Use this address"), Action: "/subscribe/address/" + url.PathEscape(tok)}
	p.NoIndex = true
	s.render(w, r, http.StatusOK, "pages/token_action", p)
}

func (s *Server) confirmAddress(w http.ResponseWriter, r *http.Request) {
	sub, err := s.Mail.ConfirmAddress(r.Context(), r.PathValue("token"))
	if err != nil {
		s.badLink(w, r, err)
		return
	}
	prefs, err := s.Mail.PreferencesURL(r.Context(), sub)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.message(w, r, http.StatusOK, s.t(r, "Your address is changed"), []string{s.t(r, "We will now write to %s.", sub.Email)},
		pageLink{s.t(r, "Choose what you receive"), strings.TrimPrefix(prefs, s.Config.BaseURL)})
}

// unsubscribeForm is GET /unsubscribe/{token}, the link in every message's
// footer: one button (mail scanners follow links, so GET changes nothing).
func (s *Server) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	sid, ver, _, err := s.Mail.Verify(r.Context(), mail.PurposeUnsub, tok)
	if err != nil {
		s.badLink(w, r, err)
		return
	}
	p := &tokenPage{Base: s.base(w, r, s.t(r, "Unsubscribe")), Token: tok, Heading: s.t(r, "Unsubscribe"),
		Text:   s.t(r, "Press the button and you will receive no more of these e-mails."),
		Button: s.t(r, "Unsubscribe"), Action: "/unsubscribe/" + url.PathEscape(tok)}
	if prefs, err := s.Mail.PreferencesURL(r.Context(), mail.Subscriber{ID: sid, TokenVersion: ver}); err == nil {
		p.Text += " " + s.t(r, "To change what you receive instead, open your preferences:")
		p.Extra = template.URL(strings.TrimPrefix(prefs, s.Config.BaseURL)) //nolint:gosec // our own signed path
	}
	p.NoIndex = true
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.render(w, r, http.StatusOK, "pages/token_action", p)
}

// oneClickUnsubscribe is POST /unsubscribe/{token}: RFC 8058 one-click from
// the mail client (body List-Unsubscribe=One-Click), or the button of the
// page above. No cookie, session or CSRF token is needed: the signed token
// is the authority. Mail clients get 200 with a short text.
func (s *Server) oneClickUnsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	_ = r.ParseForm() //nolint:errcheck // a bad body is the same as an empty one
	sub, err := s.Mail.OneClick(r.Context(), r.PathValue("token"))
	machine := r.PostFormValue("List-Unsubscribe") == "One-Click"
	if err != nil {
		if machine {
			status := http.StatusNotFound
			if !errors.Is(err, errs.ErrNotFound) {
				status = http.StatusServiceUnavailable
				s.Log.Error("one-click unsubscribe", "err", err)
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, "This unsubscribe link is not valid.\n") //nolint:errcheck // client gone
			return
		}
		s.badLink(w, r, err)
		return
	}
	if machine {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "Unsubscribed.\n") //nolint:errcheck // client gone
		return
	}
	s.message(w, r, http.StatusOK, s.t(r, "You are unsubscribed"), []string{
		s.t(r, "%s will receive no more of these e-mails.", sub.Email),
		s.t(r, "Changed your mind? You can subscribe again at any time (we will ask you to confirm)."),
	}, pageLink{s.t(r, "Subscribe again"), "/subscribe"})
}

type newslettersPage struct {
	Base
	Campaigns []mail.Campaign
	Pager     Pager
}

// newslettersArchive is GET /newsletters: sent campaigns the editors chose
// to show.
func (s *Server) newslettersArchive(w http.ResponseWriter, r *http.Request) {
	const per = 20
	page := pageParam(r)
	cs, total, err := s.Mail.Archived(r.Context(), per, (page-1)*per)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if page > 1 && len(cs) == 0 {
		s.notFound(w, r)
		return
	}
	p := &newslettersPage{Base: s.base(w, r, s.t(r, "Newsletter archive")), Campaigns: cs, Pager: s.newPager(r, page, per, total)}
	p.Description = s.t(r, "Every newsletter we have sent, to read on the web.")
	p.Section = "news"
	s.render(w, r, http.StatusOK, "pages/newsletters", p)
}

type newsletterPage struct {
	Base
	Campaign mail.Campaign
	Articles []content.Article
	Body     template.HTML
}

// newsletterArchived is GET /newsletters/{slug}: the web version of a sent
// newsletter (its articles and text, without anyone's personal links).
func (s *Server) newsletterArchived(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := s.Mail.ArchivedBySlug(ctx, r.PathValue("slug"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &newsletterPage{Base: s.base(w, r, c.Subject), Campaign: c}
	for _, id := range c.ArticleIDs {
		a, err := s.Content.ByID(ctx, id)
		if err != nil || !a.Live() || a.Visibility != content.Public {
			continue // since unpublished or members-only: left out of the public copy
		}
		p.Articles = append(p.Articles, a)
	}
	p.Body = s.markdown(c.Body)
	p.Description = c.Preheader
	p.Section = "news"
	s.render(w, r, http.StatusOK, "pages/newsletter", p)
}

// bounceWebhook is POST /webhooks/bounce: the generic JSON format or Amazon
// SNS notifications of SES bounces and complaints. The caller proves itself
// with --bounce-secret (?secret= or Authorization: Bearer) or an API token.
func (s *Server) bounceWebhook(w http.ResponseWriter, r *http.Request) {
	if !s.bounceAllowed(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "a valid secret is required"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "the body is too large"})
		return
	}
	bs, subscribeURL, err := mail.ParseBounces(body)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if subscribeURL != "" {
		// SNS asks once to confirm the subscription; the admin confirms it
		// by opening this address (we make no outgoing request ourselves).
		s.Log.Warn("SNS subscription confirmation received: open this URL to confirm it", "url", subscribeURL)
		writeJSON(w, http.StatusOK, map[string]any{"confirm": subscribeURL})
		return
	}
	if err := s.Mail.RecordBounces(r.Context(), bs); err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"recorded": len(bs)})
}

func (s *Server) bounceAllowed(r *http.Request) bool {
	secret := s.Config.BounceSecret
	given := r.URL.Query().Get("secret")
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if strings.EqualFold(scheme, "Bearer") {
		tok = strings.TrimSpace(tok)
		if _, err := s.Accounts.APITokenRole(r.Context(), tok); err == nil {
			return true
		}
		if given == "" {
			given = tok
		}
	}
	return secret != "" && given != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(given)) == 1
}
