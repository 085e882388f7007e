package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"coalition/internal/errs"
	"coalition/internal/members"
	"coalition/internal/places"
)

type joinForm struct {
	OrgName      string
	Website      string
	Country      string
	Description  string
	ContactName  string
	ContactEmail string
	TierID       int64
	Statement    string
	Answer       string
}

func (f joinForm) input() members.ApplicationInput {
	return members.ApplicationInput{OrgName: f.OrgName, Website: f.Website, Country: f.Country, Description: f.Description,
		ContactName: f.ContactName, ContactEmail: f.ContactEmail, TierID: f.TierID, Statement: f.Statement}
}

func readJoinForm(r *http.Request) joinForm {
	tier, _ := strconv.ParseInt(r.PostFormValue("tier"), 10, 64) //nolint:errcheck // 0 is refused with a message
	return joinForm{
		OrgName: r.PostFormValue("org_name"), Website: r.PostFormValue("website"), Country: r.PostFormValue("country"),
		Description: r.PostFormValue("description"), ContactName: r.PostFormValue("contact_name"),
		ContactEmail: strings.TrimSpace(r.PostFormValue("contact_email")), TierID: tier, Statement: r.PostFormValue("statement"),
		Answer: r.PostFormValue("answer"),
	}
}

type joinPage struct {
	Base
	Tiers     []members.Tier
	Countries []places.Country
	Form      joinForm
	Errors    formErrors
	// The applicant's own page (signed link).
	App     *members.Application
	AppLink string
}

func (s *Server) countryOptions() []places.Country {
	out := append([]places.Country(nil), s.Places.Gaz.Countries...)
	sortCountries(out)
	return out
}

func sortCountries(cs []places.Country) {
	slices.SortFunc(cs, func(a, b places.Country) int { return strings.Compare(a.Name, b.Name) })
}

func (s *Server) renderJoin(w http.ResponseWriter, r *http.Request, status int, f joinForm, fe formErrors) {
	tiers, err := s.Members.Tiers(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &joinPage{Base: s.base(w, r, s.t(r, "Join the coalition")), Tiers: tiers, Countries: s.countryOptions(), Form: f, Errors: fe}
	p.Section = "members"
	p.Description = s.t(r, "How civil society organisations join the coalition: the tiers of membership, their criteria, and the application.")
	s.render(w, r, status, "pages/join", p)
}

// joinForm is /join: the tiers, their criteria and the application form.
func (s *Server) joinForm(w http.ResponseWriter, r *http.Request) {
	f := joinForm{}
	if t, err := strconv.ParseInt(r.URL.Query().Get("tier"), 10, 64); err == nil {
		f.TierID = t
	}
	s.renderJoin(w, r, http.StatusOK, f, formErrors{})
}

// appSig signs an application's id for the applicant's own link
// (/join/application/{id}/{sig}): they can follow and answer it without an
// account, and no one can guess another applicant's link.
func (s *Server) appSig(id int64) string {
	m := hmac.New(sha256.New, s.linkKey)
	m.Write([]byte("member-application:" + strconv.FormatInt(id, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (s *Server) appLink(id int64) string {
	return s.Config.BaseURL + "/join/application/" + strconv.FormatInt(id, 10) + "/" + s.appSig(id)
}

// join takes an application. A filled honeypot gets the normal answer and
// nothing is stored; the rate limit is per address.
func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	f := readJoinForm(r)
	if r.PostFormValue("nickname") != "" {
		s.Log.Info("join honeypot filled", "ip", s.clientIP(r))
		http.Redirect(w, r, "/join/thanks", http.StatusSeeOther)
		return
	}
	if !s.limits.allow("join", s.clientIP(r)) {
		w.Header().Set("Retry-After", "600")
		s.errorPage(w, r, http.StatusTooManyRequests, s.t(r, "Too many applications from your address. Please wait a few minutes and try again."))
		return
	}
	ctx := r.Context()
	staff, err := s.staffRecipients(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l := s.locale(r)
	org := s.orgName(ctx)
	sig := s.signature(ctx)
	_, err = s.Members.Apply(ctx, f.input(), func(ctx context.Context, tx *sql.Tx, a members.Application) error {
		ref := members.ApplicationRef(a.ID)
		body := l.T("Hello %s,", a.ContactName) + "\n\n" +
			l.T("Thank you for applying on behalf of %s to join %s. Your reference is %s.", a.OrgName, org, ref) + "\n\n" +
			l.T("The secretariat reviews applications and will write to you at this address. You can follow your application here:") + "\n" +
			s.appLink(a.ID) + sig
		if err := s.enqueueAll(ctx, tx, "member-application", []string{a.ContactEmail}, l.T("Your application to join %s (%s)", org, ref), body); err != nil {
			return err
		}
		note := l.T("%s has applied to join the coalition as %s.", a.OrgName, a.TierName) + "\n\n" +
			l.T("Contact: %s <%s>", a.ContactName, a.ContactEmail) + "\n" + l.T("Country: %s", a.CountryName) + "\n\n" +
			l.T("Review it here:") + "\n" + s.Config.BaseURL + "/admin/applications/" + strconv.FormatInt(a.ID, 10) + sig
		return s.enqueueAll(ctx, tx, "member-application-staff", staff, l.T("New application: %s (%s)", a.OrgName, ref), note)
	})
	fe := formErrors{}
	if fe.add(err) {
		s.renderJoin(w, r, http.StatusUnprocessableEntity, f, fe)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/join/thanks", http.StatusSeeOther)
}

type joinThanksPage struct{ Base }

func (s *Server) joinThanks(w http.ResponseWriter, r *http.Request) {
	p := &joinThanksPage{Base: s.base(w, r, s.t(r, "Thank you for applying"))}
	p.Section = "members"
	p.NoIndex = true
	s.render(w, r, http.StatusOK, "pages/join_thanks", p)
}

// applicationFromLink checks the signed link and loads the application.
func (s *Server) applicationFromLink(r *http.Request) (members.Application, error) {
	id, ok := pathID(r, "id")
	if !ok || !hmac.Equal([]byte(r.PathValue("sig")), []byte(s.appSig(id))) {
		return members.Application{}, errs.ErrNotFound
	}
	return s.Members.Application(r.Context(), id)
}

func (s *Server) renderApplication(w http.ResponseWriter, r *http.Request, status int, a members.Application, f joinForm, fe formErrors) {
	tiers, err := s.Members.Tiers(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &joinPage{Base: s.base(w, r, s.t(r, "Your application")), Tiers: tiers, Countries: s.countryOptions(), Form: f, Errors: fe, App: &a,
		AppLink: "/join/application/" + strconv.FormatInt(a.ID, 10) + "/" + s.appSig(a.ID)}
	p.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.render(w, r, status, "pages/join_application", p)
}

// joinApplication is the applicant's page: the state of the application
// and, when the secretariat asked for more, the form to answer.
func (s *Server) joinApplication(w http.ResponseWriter, r *http.Request) {
	a, err := s.applicationFromLink(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := joinForm{OrgName: a.OrgName, Website: a.Website, Country: a.Country, Description: a.Description, ContactName: a.ContactName,
		ContactEmail: a.ContactEmail, TierID: a.TierID, Statement: a.Statement}
	s.renderApplication(w, r, http.StatusOK, a, f, formErrors{})
}

// joinAnswer records the applicant's answer and tells the secretariat.
func (s *Server) joinAnswer(w http.ResponseWriter, r *http.Request) {
	a, err := s.applicationFromLink(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.limits.allow("join-answer", s.clientIP(r)) {
		s.errorPage(w, r, http.StatusTooManyRequests, s.t(r, "Too many requests from your address. Please wait a few minutes and try again."))
		return
	}
	ctx := r.Context()
	f := readJoinForm(r)
	staff, err := s.staffRecipients(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l := s.locale(r)
	sig := s.signature(ctx)
	err = s.Members.Answer(ctx, a.ID, f.input(), f.Answer, func(ctx context.Context, tx *sql.Tx, a members.Application) error {
		ref := members.ApplicationRef(a.ID)
		body := l.T("%s has answered the secretariat's question about their application:", a.ContactName) + "\n\n" + f.Answer + "\n\n" +
			l.T("Review it here:") + "\n" + s.Config.BaseURL + "/admin/applications/" + strconv.FormatInt(a.ID, 10) + sig
		return s.enqueueAll(ctx, tx, "member-application-staff", staff, l.T("Application answered: %s (%s)", a.OrgName, ref), body)
	})
	fe := formErrors{}
	if fe.add(err) {
		s.renderApplication(w, r, http.StatusUnprocessableEntity, a, f, fe)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(w, r, s.t(r, "Thank you: your answer has been sent to the secretariat."))
	http.Redirect(w, r, "/join/application/"+strconv.FormatInt(a.ID, 10)+"/"+s.appSig(a.ID), http.StatusSeeOther)
}
