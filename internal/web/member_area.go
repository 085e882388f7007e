package web

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"coalition/internal/audit"
	"coalition/internal/errs"
	"coalition/internal/members"
	"coalition/internal/places"
)

// The member area (/member): the people of a member organisation see their
// organisation, its colleagues and submissions, and members-only material.
// Object-level rights are checked here, always against the signed-in user's
// own organisation: no organisation id is ever taken from a URL or a form.

type memberCtx struct {
	Org      members.Organisation
	OrgAdmin bool
}

// memberOrg returns the signed-in user's organisation. Staff without one
// are sent to the admin, where they manage every organisation.
func (s *Server) memberOrg(w http.ResponseWriter, r *http.Request) (memberCtx, bool) {
	u := userFrom(r.Context())
	if u.OrganisationID == 0 {
		if u.IsStaff() {
			s.flash(w, r, s.t(r, "The member area is for the people of member organisations; staff manage organisations here."))
			http.Redirect(w, r, "/admin/members", http.StatusSeeOther)
			return memberCtx{}, false
		}
		s.errorPage(w, r, http.StatusForbidden, s.t(r, "Your account does not belong to a member organisation."))
		return memberCtx{}, false
	}
	o, err := s.Members.ByID(r.Context(), u.OrganisationID)
	if err != nil {
		s.fail(w, r, err)
		return memberCtx{}, false
	}
	admin, err := s.Members.IsOrgAdmin(r.Context(), u.ID, o.ID)
	if err != nil {
		s.fail(w, r, err)
		return memberCtx{}, false
	}
	return memberCtx{Org: o, OrgAdmin: admin}, true
}

// requireOrgAdmin answers 403 unless the user administers their organisation.
func (s *Server) requireOrgAdmin(w http.ResponseWriter, r *http.Request, mc memberCtx) bool {
	if !mc.OrgAdmin {
		s.errorPage(w, r, http.StatusForbidden, s.t(r, "Only your organisation's admin can do this. Ask them, or the secretariat."))
		return false
	}
	return true
}

type memberAreaPage struct {
	Base
	memberCtx
	People       []members.Person
	Submissions  []members.Submission
	MembersOnly  []members.Submission
	Related      []RelatedItem
	HasRelated   bool
	Invite       inviteForm
	InviteErrors formErrors
}

func (s *Server) renderMemberArea(w http.ResponseWriter, r *http.Request, status int, mc memberCtx, inv inviteForm, fe formErrors) {
	ctx := r.Context()
	p := &memberAreaPage{Base: s.base(w, r, s.t(r, "Member area")), memberCtx: mc, Invite: inv, InviteErrors: fe}
	p.NoIndex = true
	p.Section = "members"
	var err error
	if p.People, err = s.Members.People(ctx, mc.Org.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Submissions, err = s.Members.SubmissionsOf(ctx, mc.Org.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.MembersOnly, err = s.Members.MembersOnlyNews(ctx, 10); err != nil {
		s.fail(w, r, err)
		return
	}
	if s.Related != nil {
		p.HasRelated = true
		if p.Related, err = s.Related.MembersOnly(ctx, 10); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	w.Header().Set("Cache-Control", "private, no-cache")
	s.render(w, r, status, "pages/member_area", p)
}

// memberArea is /member.
func (s *Server) memberArea(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.memberOrg(w, r)
	if !ok {
		return
	}
	s.renderMemberArea(w, r, http.StatusOK, mc, inviteForm{}, formErrors{})
}

type memberProfileForm struct {
	Name         string
	Description  string
	Website      string
	Country      string
	ContactEmail string
	Public       bool
}

type memberProfileEditPage struct {
	Base
	memberCtx
	Form      memberProfileForm
	Countries []places.Country
	Errors    formErrors
}

func (s *Server) renderProfileEdit(w http.ResponseWriter, r *http.Request, status int, mc memberCtx, f memberProfileForm, fe formErrors) {
	p := &memberProfileEditPage{Base: s.base(w, r, s.t(r, "Edit your organisation's profile")), memberCtx: mc, Form: f, Countries: s.countryOptions(), Errors: fe}
	p.NoIndex = true
	p.Section = "members"
	s.render(w, r, status, "pages/member_profile_edit", p)
}

// memberProfileForm is /member/profile (the organisation's admin only).
func (s *Server) memberProfileForm(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.memberOrg(w, r)
	if !ok || !s.requireOrgAdmin(w, r, mc) {
		return
	}
	o := mc.Org
	s.renderProfileEdit(w, r, http.StatusOK, mc, memberProfileForm{Name: o.Name, Description: o.Description, Website: o.Website,
		Country: o.Country, ContactEmail: o.ContactEmail, Public: o.Public}, formErrors{})
}

// readUpload returns an uploaded file's bytes (nil when none was chosen),
// refusing more than limit bytes.
func readUpload(r *http.Request, field string, limit int64) (name string, data []byte, err error) {
	if r.MultipartForm == nil {
		return "", nil, nil
	}
	f, h, err := r.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, errs.Invalid(field, "The file could not be read. Please try again.")
	}
	defer func(f multipart.File) { _ = f.Close() }(f) //nolint:errcheck // read-only
	if h.Size > limit {
		return "", nil, errs.Invalid(field, "The file is too large: the limit is "+strconv.FormatInt(limit>>20, 10)+" MB.")
	}
	data, err = io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return "", nil, errs.Invalid(field, "The file could not be read. Please try again.")
	}
	if int64(len(data)) > limit {
		return "", nil, errs.Invalid(field, "The file is too large: the limit is "+strconv.FormatInt(limit>>20, 10)+" MB.")
	}
	if len(data) == 0 && h.Filename == "" {
		return "", nil, nil
	}
	return h.Filename, data, nil
}

// memberProfileSave saves the organisation's own profile and logo.
func (s *Server) memberProfileSave(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.memberOrg(w, r)
	if !ok || !s.requireOrgAdmin(w, r, mc) {
		return
	}
	f := memberProfileForm{Name: r.PostFormValue("name"), Description: r.PostFormValue("description"), Website: r.PostFormValue("website"),
		Country: r.PostFormValue("country"), ContactEmail: r.PostFormValue("contact_email"), Public: r.PostFormValue("public") == "1"}
	fe := formErrors{}
	ctx := r.Context()
	_, logo, err := readUpload(r, "logo", members.LogoMaxBytes)
	if fe.add(err) {
		s.renderProfileEdit(w, r, http.StatusUnprocessableEntity, mc, f, fe)
		return
	}
	// The organisation is always the user's own: mc.Org.ID, never a form value.
	err = s.Members.UpdateProfile(ctx, mc.Org.ID, members.ProfileInput{Name: f.Name, Description: f.Description, Website: f.Website,
		Country: f.Country, ContactEmail: f.ContactEmail, Public: f.Public})
	if err == nil && len(logo) > 0 {
		err = s.Members.SetLogo(ctx, mc.Org.ID, logo)
	}
	if err == nil && r.PostFormValue("remove_logo") == "1" && len(logo) == 0 {
		err = s.Members.DeleteLogo(ctx, mc.Org.ID)
	}
	if fe.add(err) {
		s.renderProfileEdit(w, r, http.StatusUnprocessableEntity, mc, f, fe)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "organisation.profile", Target: orgTarget(mc.Org.ID)})
	s.flash(w, r, s.t(r, "Your organisation's profile is saved."))
	http.Redirect(w, r, "/member", http.StatusSeeOther)
}

func orgTarget(id int64) string { return "organisation:" + strconv.FormatInt(id, 10) }

// inviteMail is the hook that e-mails an invitation to a colleague.
func (s *Server) inviteMail(r *http.Request, orgName string) members.InviteHook {
	l := s.locale(r)
	inviter := userFrom(r.Context())
	site := s.orgName(r.Context())
	sig := s.signature(r.Context())
	return func(ctx context.Context, tx *sql.Tx, inv members.Invite) error {
		from := site
		if inviter != nil {
			from = inviter.DisplayName()
		}
		body := l.T("Hello %s,", inv.DisplayName()) + "\n\n" +
			l.T("%s has invited you to sign in to the website of %s for %s.", from, site, orgName) + "\n\n" +
			l.T("Choose your password here within seven days:") + "\n" + s.Config.BaseURL + "/welcome/" + inv.Token + "\n\n" +
			l.T("Then sign in with this e-mail address: %s", inv.Email) + sig
		return s.enqueueAll(ctx, tx, "member-invite", []string{inv.Email}, l.T("Your account at %s", site), body)
	}
}

// memberInvite adds a colleague (the organisation's admin only).
func (s *Server) memberInvite(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.memberOrg(w, r)
	if !ok || !s.requireOrgAdmin(w, r, mc) {
		return
	}
	if !s.limits.allow("member-invite", strconv.FormatInt(mc.Org.ID, 10)) {
		s.errorPage(w, r, http.StatusTooManyRequests, s.t(r, "Too many invitations at once. Please wait a minute and try again."))
		return
	}
	f := inviteForm{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	admin := r.PostFormValue("org_admin") == "1"
	inv, err := s.Members.InvitePerson(r.Context(), mc.Org.ID, f.Email, f.Name, admin, s.inviteMail(r, mc.Org.Name))
	fe := formErrors{}
	if fe.add(err) {
		s.renderMemberArea(w, r, http.StatusUnprocessableEntity, mc, f, fe)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "organisation.invite", Target: orgTarget(mc.Org.ID), Detail: inv.Email})
	s.flash(w, r, s.t(r, "Invitation sent to %s.", inv.Email))
	http.Redirect(w, r, "/member#people", http.StatusSeeOther)
}

// memberPersonAction runs one change on a colleague of the user's own
// organisation; people of other organisations are not found.
func (s *Server) memberPersonAction(w http.ResponseWriter, r *http.Request, action string, do func(mc memberCtx, id int64) (string, error)) {
	mc, ok := s.memberOrg(w, r)
	if !ok || !s.requireOrgAdmin(w, r, mc) {
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	msg, err := do(mc, id)
	fe := formErrors{}
	if fe.add(err) {
		s.renderMemberArea(w, r, http.StatusUnprocessableEntity, mc, inviteForm{}, fe)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: action, Target: userTarget(id), Detail: orgTarget(mc.Org.ID)})
	s.flash(w, r, msg)
	http.Redirect(w, r, "/member#people", http.StatusSeeOther)
}

func (s *Server) memberRemovePerson(w http.ResponseWriter, r *http.Request) {
	s.memberPersonAction(w, r, "organisation.remove", func(mc memberCtx, id int64) (string, error) {
		if id == userFrom(r.Context()).ID {
			return "", errs.Invalid("user", s.t(r, "You cannot remove yourself; ask another admin of your organisation."))
		}
		p, err := s.Members.RemovePerson(r.Context(), mc.Org.ID, id)
		return s.t(r, "%s no longer has an account.", p.Email), err
	})
}

func (s *Server) memberSetAdmin(w http.ResponseWriter, r *http.Request) {
	s.memberPersonAction(w, r, "organisation.admin", func(mc memberCtx, id int64) (string, error) {
		return s.t(r, "Saved."), s.Members.SetOrgAdmin(r.Context(), mc.Org.ID, id, r.PostFormValue("admin") == "1")
	})
}

func (s *Server) memberReinvite(w http.ResponseWriter, r *http.Request) {
	s.memberPersonAction(w, r, "organisation.reinvite", func(mc memberCtx, id int64) (string, error) {
		inv, err := s.Members.Reinvite(r.Context(), mc.Org.ID, id, s.inviteMail(r, mc.Org.Name))
		return s.t(r, "Invitation sent to %s.", inv.Email), err
	})
}

type submissionForm struct {
	Kind        string
	Title       string
	Summary     string
	Body        string
	MembersOnly bool
	Countries   []string
	ThemeIDs    []int64
	FileName    string
}

// HasCountry reports whether the form has a country (for the select).
func (f submissionForm) HasCountry(iso3 string) bool {
	for _, c := range f.Countries {
		if strings.EqualFold(c, iso3) {
			return true
		}
	}
	return false
}

// HasTheme reports whether the form has a theme (for the checkboxes).
func (f submissionForm) HasTheme(id int64) bool {
	for _, t := range f.ThemeIDs {
		if t == id {
			return true
		}
	}
	return false
}

func readSubmissionForm(r *http.Request) submissionForm {
	f := submissionForm{Kind: r.PostFormValue("kind"), Title: r.PostFormValue("title"), Summary: r.PostFormValue("summary"),
		Body: r.PostFormValue("body"), MembersOnly: r.PostFormValue("members_only") == "1"}
	f.Countries = r.PostForm["countries"]
	for _, v := range r.PostForm["themes"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			f.ThemeIDs = append(f.ThemeIDs, id)
		}
	}
	return f
}

func (f submissionForm) input() members.SubmissionInput {
	return members.SubmissionInput{Kind: f.Kind, Title: f.Title, Summary: f.Summary, Body: f.Body, MembersOnly: f.MembersOnly,
		Countries: f.Countries, ThemeIDs: f.ThemeIDs}
}

func formFromSubmission(sub members.Submission) submissionForm {
	f := submissionForm{Kind: sub.Kind, Title: sub.Title, Summary: sub.Summary, Body: sub.Body, MembersOnly: sub.MembersOnly, Countries: sub.Countries()}
	for _, t := range sub.Tags {
		if t.Kind != places.KindCountry {
			f.ThemeIDs = append(f.ThemeIDs, t.ID)
		}
	}
	if sub.File != nil {
		f.FileName = sub.File.Name
	}
	return f
}

type submissionPage struct {
	Base
	memberCtx
	Sub       *members.Submission // nil for a new one
	Form      submissionForm
	Errors    formErrors
	Countries []places.Country
	Themes    []places.Tag
	Action    string
	Staff     bool   // the editors' view
	Note      string // the editor's note when returning
	Chosen    []string
}

func (s *Server) renderSubmission(w http.ResponseWriter, r *http.Request, status int, p *submissionPage) {
	ctx := r.Context()
	themes, err := s.Places.List(ctx, places.KindTheme)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	crisisTags, err := s.Places.List(ctx, places.KindCrisis)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Themes = append(themes, crisisTags...)
	p.Countries = s.countryOptions()
	p.Chosen = s.countryNames(p.Form.Countries)
	if p.Errors == nil {
		p.Errors = formErrors{}
	}
	p.NoIndex = true
	w.Header().Set("Cache-Control", "private, no-cache")
	page := "pages/member_submission"
	if p.Staff {
		page = "admin/submission"
	}
	s.render(w, r, status, page, p)
}

// memberSubmitForm is /member/submit/{kind}: "submit news" or "submit a document".
func (s *Server) memberSubmitForm(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.memberOrg(w, r)
	if !ok {
		return
	}
	kind := r.PathValue("kind")
	if kind != members.KindNews && kind != members.KindDocument {
		s.notFound(w, r)
		return
	}
	title := s.t(r, "Submit news")
	if kind == members.KindDocument {
		title = s.t(r, "Submit a document")
	}
	p := &submissionPage{Base: s.base(w, r, title), memberCtx: mc, Form: submissionForm{Kind: kind, Countries: []string{mc.Org.Country}}, Action: "/member/submissions"}
	p.Section = "members"
	s.renderSubmission(w, r, http.StatusOK, p)
}

// submissionMail returns the hook that tells the submitter and the
// secretariat about a new or changed submission.
func (s *Server) submissionMail(r *http.Request, staff []string, resubmitted bool) members.SubmissionHook {
	l := s.locale(r)
	sig := s.signature(r.Context())
	return func(ctx context.Context, tx *sql.Tx, sub members.Submission) error {
		kind := l.T("news")
		if sub.Kind == members.KindDocument {
			kind = l.T("document")
		}
		subject := l.T("New submission from %s: %s", sub.OrgName, sub.Title)
		if resubmitted {
			subject = l.T("Submission changed by %s: %s", sub.OrgName, sub.Title)
		}
		body := l.T("%s has submitted %s for publication: %s", sub.OrgName, kind, sub.Title) + "\n\n" +
			l.T("Review it here:") + "\n" + s.Config.BaseURL + "/admin/submissions/" + strconv.FormatInt(sub.ID, 10) + sig
		if err := s.enqueueAll(ctx, tx, "member-submission-staff", staff, subject, body); err != nil {
			return err
		}
		if sub.SubmitterEmail == "" || resubmitted {
			return nil
		}
		ack := l.T("Hello %s,", sub.SubmitterName) + "\n\n" +
			l.T("Thank you: “%s” has reached the editors. You will hear from us when it is published or if anything needs changing.", sub.Title) + "\n\n" +
			l.T("You can follow it in the member area:") + "\n" + s.Config.BaseURL + "/member/submissions/" + strconv.FormatInt(sub.ID, 10) + sig
		return s.enqueueAll(ctx, tx, "member-submission", []string{sub.SubmitterEmail}, l.T("Received: %s", sub.Title), ack)
	}
}

// memberSubmit records a new submission from the user's organisation.
func (s *Server) memberSubmit(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.memberOrg(w, r)
	if !ok {
		return
	}
	if !s.limits.allow("member-submit", strconv.FormatInt(mc.Org.ID, 10)) {
		s.errorPage(w, r, http.StatusTooManyRequests, s.t(r, "Too many submissions at once. Please wait a minute and try again."))
		return
	}
	f := readSubmissionForm(r)
	if f.Kind != members.KindDocument {
		f.Kind = members.KindNews
	}
	title := s.t(r, "Submit news")
	if f.Kind == members.KindDocument {
		title = s.t(r, "Submit a document")
	}
	p := &submissionPage{Base: s.base(w, r, title), memberCtx: mc, Form: f, Action: "/member/submissions", Errors: formErrors{}}
	p.Section = "members"
	in := f.input()
	name, data, err := readUpload(r, "file", members.MaxDocumentBytes)
	if err == nil && data != nil {
		in.File = &members.Upload{Name: name, Data: data}
	}
	staff, serr := s.staffRecipients(r.Context())
	if serr != nil {
		s.fail(w, r, serr)
		return
	}
	var sub members.Submission
	if err == nil {
		sub, err = s.Members.Submit(r.Context(), mc.Org.ID, actor(r), in, s.submissionMail(r, staff, false))
	}
	if p.Errors.add(err) {
		s.renderSubmission(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(w, r, s.t(r, "Thank you: your submission has been sent to the editors."))
	http.Redirect(w, r, "/member/submissions/"+strconv.FormatInt(sub.ID, 10), http.StatusSeeOther)
}

// ownSubmission loads a submission of the user's own organisation; any
// other is not found.
func (s *Server) ownSubmission(w http.ResponseWriter, r *http.Request, mc memberCtx) (members.Submission, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return members.Submission{}, false
	}
	sub, err := s.Members.Submission(r.Context(), id)
	if err == nil && sub.OrganisationID != mc.Org.ID {
		err = errs.ErrNotFound
	}
	if err != nil {
		s.fail(w, r, err)
		return sub, false
	}
	return sub, true
}

// memberSubmission shows a submission's state and history, with the form to
// change it while it is not published.
func (s *Server) memberSubmission(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.memberOrg(w, r)
	if !ok {
		return
	}
	sub, ok := s.ownSubmission(w, r, mc)
	if !ok {
		return
	}
	p := &submissionPage{Base: s.base(w, r, sub.Title), memberCtx: mc, Sub: &sub, Form: formFromSubmission(sub),
		Action: "/member/submissions/" + strconv.FormatInt(sub.ID, 10)}
	p.Section = "members"
	s.renderSubmission(w, r, http.StatusOK, p)
}

// memberResubmit saves the member's changes; a returned submission goes
// back to the editors.
func (s *Server) memberResubmit(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.memberOrg(w, r)
	if !ok {
		return
	}
	sub, ok := s.ownSubmission(w, r, mc)
	if !ok {
		return
	}
	f := readSubmissionForm(r)
	f.Kind = sub.Kind
	p := &submissionPage{Base: s.base(w, r, sub.Title), memberCtx: mc, Sub: &sub, Form: f, Errors: formErrors{},
		Action: "/member/submissions/" + strconv.FormatInt(sub.ID, 10)}
	p.Section = "members"
	in := f.input()
	name, data, err := readUpload(r, "file", members.MaxDocumentBytes)
	if err == nil && data != nil {
		in.File = &members.Upload{Name: name, Data: data}
	}
	staff, serr := s.staffRecipients(r.Context())
	if serr != nil {
		s.fail(w, r, serr)
		return
	}
	if err == nil {
		err = s.Members.Resubmit(r.Context(), mc.Org.ID, sub.ID, actor(r), in, s.submissionMail(r, staff, true))
	}
	if p.Errors.add(err) {
		s.renderSubmission(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(w, r, s.t(r, "Your changes are saved and the editors have been told."))
	http.Redirect(w, r, "/member/submissions/"+strconv.FormatInt(sub.ID, 10), http.StatusSeeOther)
}

// memberSubmissionFile downloads the file of one of the organisation's submissions.
func (s *Server) memberSubmissionFile(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.memberOrg(w, r)
	if !ok {
		return
	}
	sub, ok := s.ownSubmission(w, r, mc)
	if !ok {
		return
	}
	s.sendSubmissionFile(w, r, sub.ID)
}

// countryNames names the chosen countries under a multiple select, whose
// selection is easy to lose sight of in a long list.
func (s *Server) countryNames(codes []string) []string {
	var out []string
	for _, c := range codes {
		if ct, ok := s.Places.Gaz.Country(c); ok {
			out = append(out, ct.Name)
		}
	}
	return out
}
