package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/audit"
	"coalition/internal/errs"
	"coalition/internal/mail"
)

type loginPage struct {
	Base
	Email string
	Next  string
	Error string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if u := userFrom(r.Context()); u != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	p := &loginPage{Base: s.base(w, r, s.t(r, "Member sign in")), Next: next}
	p.NoIndex = true
	s.render(w, r, http.StatusOK, "pages/login", p)
}

// login signs a user in. Unknown e-mail, wrong password and disabled account
// get the same status and text; repeated failures are slowed, then refused.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	pw := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	ip := s.clientIP(r)
	ctx := r.Context()

	show := func(status int, msg string) {
		p := &loginPage{Base: s.base(w, r, s.t(r, "Member sign in")), Email: email, Next: next, Error: msg}
		p.NoIndex = true
		s.render(w, r, status, "pages/login", p)
	}
	delay, err := s.Accounts.Delay(ctx, email, ip)
	var te *accounts.ThrottledError
	if errors.As(err, &te) {
		w.Header().Set("Retry-After", itoa(int(te.RetryAfter.Seconds())+1))
		show(http.StatusTooManyRequests, s.t(r, "Too many failed attempts. Please wait %d minutes and try again, or reset your password.", int(te.RetryAfter.Minutes()+0.99)))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return
		}
	}
	u, err := s.Accounts.Authenticate(ctx, email, pw, ip)
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", itoa(int(te.RetryAfter.Seconds())+1))
		show(http.StatusTooManyRequests, s.t(r, "Too many failed attempts. Please wait %d minutes and try again, or reset your password.", int(te.RetryAfter.Minutes()+0.99)))
		return
	case errors.Is(err, accounts.ErrBadCredentials):
		s.audit(r, audit.Entry{Action: "login.failure", ActorEmail: clipString(email, 254)})
		show(http.StatusUnauthorized, s.t(r, "The e-mail address or password is not correct."))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	// Rotate: the old session (if any) and the CSRF cookie are replaced, so a
	// value planted before sign-in is worthless after it.
	if c, err := r.Cookie(sessionCookie); err == nil {
		_ = s.Accounts.DeleteSession(ctx, c.Value) //nolint:errcheck // best effort; the new session replaces it
	}
	tok, sess, err := s.Accounts.CreateSession(ctx, u.ID, ip, r.UserAgent())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.secureCookies(r), Expires: sess.ExpiresAt})
	s.newCSRFCookie(w, r)
	s.audit(r.WithContext(context.WithValue(ctx, userKey, &u)), audit.Entry{Action: "login.success"})
	if next == "/" && u.IsStaff() {
		next = "/admin"
	} else if next == "/" && u.OrganisationID != 0 {
		next = "/member"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.Accounts.DeleteSession(r.Context(), c.Value); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if u := userFrom(r.Context()); u != nil {
		s.audit(r, audit.Entry{Action: "logout"})
	}
	http.SetCookie(w, s.expiredCookie(sessionCookie))
	s.newCSRFCookie(w, r)
	s.flash(w, r, s.t(r, "You are signed out."))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

type forgotPage struct {
	Base
	Email string
	Sent  bool
	Error string
}

func (s *Server) forgotForm(w http.ResponseWriter, r *http.Request) {
	p := &forgotPage{Base: s.base(w, r, s.t(r, "Forgotten password"))}
	p.NoIndex = true
	s.render(w, r, http.StatusOK, "pages/forgot", p)
}

// forgot sends a reset link if the address belongs to an active account.
// The reply is the same either way.
func (s *Server) forgot(w http.ResponseWriter, r *http.Request) {
	p := &forgotPage{Base: s.base(w, r, s.t(r, "Forgotten password")), Email: strings.TrimSpace(r.PostFormValue("email"))}
	p.NoIndex = true
	email, err := accounts.NormalizeEmail(p.Email)
	if err != nil {
		p.Error = s.t(r, "Enter a valid e-mail address, like name@example.org.")
		s.render(w, r, http.StatusBadRequest, "pages/forgot", p)
		return
	}
	if !s.limits.allow("forgot", s.clientIP(r)) {
		s.errorPage(w, r, http.StatusTooManyRequests, s.t(r, "Too many requests from your address. Please wait a few minutes and try again."))
		return
	}
	if s.limits.allow("forgot-email", email) {
		if err := s.sendReset(r, email); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	p.Sent = true
	s.render(w, r, http.StatusOK, "pages/forgot", p)
}

func (s *Server) sendReset(r *http.Request, email string) error {
	ctx := r.Context()
	u, err := s.Accounts.ByEmail(ctx, email)
	if errors.Is(err, errs.ErrNotFound) || err == nil && u.Disabled {
		return nil
	}
	if err != nil {
		return err
	}
	tok, err := s.Accounts.NewToken(ctx, u.ID, accounts.PurposeReset, accounts.ResetTTL)
	if err != nil {
		return err
	}
	site, _ := s.Settings.Get(ctx) //nolint:errcheck // defaults are fine for a mail signature
	l := s.locale(r)
	link := s.Config.BaseURL + "/password/reset/" + tok
	body := l.T("Hello %s,", u.DisplayName()) + "\n\n" +
		l.T("Someone (we hope you) asked to reset the password of your account at %s.", site.OrgName) + "\n\n" +
		l.T("Choose a new password here within one hour:") + "\n" + link + "\n\n" +
		l.T("The link works once. If you did not ask for this, ignore this message: your password has not changed.") + "\n\n— " + site.OrgName + "\n"
	return s.Outbox.Enqueue(ctx, "password-reset", mail.Message{To: u.Email, Subject: l.T("Reset your password"), Text: body})
}

type resetPage struct {
	Base
	Invite  bool
	Token   string
	Email   string
	Invalid bool
	Error   string
}

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) {
	s.tokenForm(w, r, accounts.PurposeReset)
}

func (s *Server) inviteForm(w http.ResponseWriter, r *http.Request) {
	s.tokenForm(w, r, accounts.PurposeInvite)
}

func (s *Server) tokenForm(w http.ResponseWriter, r *http.Request, purpose string) {
	title := s.t(r, "Choose a new password")
	if purpose == accounts.PurposeInvite {
		title = s.t(r, "Welcome: choose your password")
	}
	p := &resetPage{Base: s.base(w, r, title), Invite: purpose == accounts.PurposeInvite, Token: r.PathValue("token")}
	p.NoIndex = true
	u, err := s.Accounts.CheckToken(r.Context(), p.Token, purpose)
	status := http.StatusOK
	switch {
	case errors.Is(err, accounts.ErrTokenInvalid):
		p.Invalid = true
		status = http.StatusGone
	case err != nil:
		s.fail(w, r, err)
		return
	default:
		p.Email = u.Email
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "pages/reset", p)
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	s.useToken(w, r, accounts.PurposeReset)
}

func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) {
	s.useToken(w, r, accounts.PurposeInvite)
}

func (s *Server) useToken(w http.ResponseWriter, r *http.Request, purpose string) {
	tok := r.PathValue("token")
	pw, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
	title := s.t(r, "Choose a new password")
	if purpose == accounts.PurposeInvite {
		title = s.t(r, "Welcome: choose your password")
	}
	p := &resetPage{Base: s.base(w, r, title), Invite: purpose == accounts.PurposeInvite, Token: tok}
	p.NoIndex = true
	if pw != confirm {
		p.Error = s.t(r, "The two passwords are not the same.")
		if u, err := s.Accounts.CheckToken(r.Context(), tok, purpose); err == nil {
			p.Email = u.Email
		}
		s.render(w, r, http.StatusBadRequest, "pages/reset", p)
		return
	}
	u, err := s.Accounts.UseToken(r.Context(), tok, purpose, pw)
	if ie, ok := errs.AsInvalid(err); ok {
		p.Error = ie.Msg
		if u, err := s.Accounts.CheckToken(r.Context(), tok, purpose); err == nil {
			p.Email = u.Email
		}
		s.render(w, r, http.StatusBadRequest, "pages/reset", p)
		return
	}
	if errors.Is(err, accounts.ErrTokenInvalid) {
		p.Invalid = true
		s.render(w, r, http.StatusGone, "pages/reset", p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "password." + purpose, ActorID: u.ID, ActorEmail: u.Email, Target: userTarget(u.ID)})
	s.flash(w, r, s.t(r, "Your password is set. You can sign in now."))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type accountPage struct {
	Base
	Error string
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	p := &accountPage{Base: s.base(w, r, s.t(r, "Your account"))}
	p.NoIndex = true
	s.render(w, r, http.StatusOK, "pages/account", p)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	p := &accountPage{Base: s.base(w, r, s.t(r, "Your account"))}
	p.NoIndex = true
	ok, err := s.Accounts.CheckPassword(r.Context(), u.ID, r.PostFormValue("current"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch {
	case !ok:
		p.Error = s.t(r, "Your current password is not correct.")
	case r.PostFormValue("password") != r.PostFormValue("confirm"):
		p.Error = s.t(r, "The two passwords are not the same.")
	}
	if p.Error == "" {
		err = s.Accounts.SetPassword(r.Context(), u.ID, r.PostFormValue("password"))
		if ie, ok := errs.AsInvalid(err); ok {
			p.Error = ie.Msg
		} else if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if p.Error != "" {
		s.render(w, r, http.StatusBadRequest, "pages/account", p)
		return
	}
	s.audit(r, audit.Entry{Action: "password.change", Target: userTarget(u.ID)})
	http.SetCookie(w, s.expiredCookie(sessionCookie))
	s.flash(w, r, s.t(r, "Your password is changed. Please sign in again."))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
