package web

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"time"

	"coalition/internal/audit"
	"coalition/internal/errs"
	"coalition/internal/members"
	"coalition/internal/places"
)

type orgForm struct {
	Name         string
	Description  string
	Website      string
	Country      string
	ContactEmail string
	TierID       int64
	JoinedAt     string // yyyy-mm-dd
	Public       bool
}

func readOrgForm(r *http.Request) orgForm {
	tier, _ := strconv.ParseInt(r.PostFormValue("tier"), 10, 64) //nolint:errcheck // 0 is refused with a message
	return orgForm{Name: r.PostFormValue("name"), Description: r.PostFormValue("description"), Website: r.PostFormValue("website"),
		Country: r.PostFormValue("country"), ContactEmail: r.PostFormValue("contact_email"), TierID: tier,
		JoinedAt: strings.TrimSpace(r.PostFormValue("joined")), Public: r.PostFormValue("public") == "1"}
}

func (f orgForm) input() (members.OrgInput, error) {
	in := members.OrgInput{Name: f.Name, Description: f.Description, Website: f.Website, Country: f.Country, ContactEmail: f.ContactEmail,
		TierID: f.TierID, Public: f.Public}
	if f.JoinedAt != "" {
		t, err := time.Parse("2006-01-02", f.JoinedAt)
		if err != nil {
			return in, errs.Invalid("joined", "Enter the date as year-month-day, like 2024-05-31.")
		}
		in.JoinedAt = t
	}
	return in, nil
}

type adminMembersPage struct {
	Base
	Orgs         []members.Organisation
	Query        string
	Applications int
	Queue        int
}

// adminMembers lists every organisation, public or hidden.
func (s *Server) adminMembers(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := &adminMembersPage{Base: s.adminBase(w, r, s.t(r, "Member organisations"), "members"), Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	var err error
	if p.Orgs, err = s.Members.List(ctx, members.Filter{Query: p.Query}); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Applications, err = s.Members.CountOpenApplications(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Queue, err = s.Members.CountQueue(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin/members", p)
}

type adminOrgPage struct {
	Base
	Org       *members.Organisation
	Form      orgForm
	Errors    formErrors
	Tiers     []members.Tier
	Countries []places.Country
	People    []members.Person
	Invite    inviteForm
}

func (s *Server) renderOrg(w http.ResponseWriter, r *http.Request, status int, p *adminOrgPage) {
	ctx := r.Context()
	var err error
	if p.Tiers, err = s.Members.Tiers(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	p.Countries = s.countryOptions()
	if p.Org != nil {
		if p.People, err = s.Members.People(ctx, p.Org.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if p.Errors == nil {
		p.Errors = formErrors{}
	}
	s.render(w, r, status, "admin/member_edit", p)
}

func (s *Server) adminNewOrg(w http.ResponseWriter, r *http.Request) {
	p := &adminOrgPage{Base: s.adminBase(w, r, s.t(r, "New member organisation"), "members"), Form: orgForm{Public: true}}
	if tiers, err := s.Members.Tiers(r.Context()); err == nil && len(tiers) > 0 {
		p.Form.TierID = tiers[0].ID
	}
	s.renderOrg(w, r, http.StatusOK, p)
}

func (s *Server) adminCreateOrg(w http.ResponseWriter, r *http.Request) {
	f := readOrgForm(r)
	p := &adminOrgPage{Base: s.adminBase(w, r, s.t(r, "New member organisation"), "members"), Form: f, Errors: formErrors{}}
	in, err := f.input()
	var o members.Organisation
	if err == nil {
		o, err = s.Members.Create(r.Context(), in)
	}
	if p.Errors.add(err) {
		s.renderOrg(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "organisation.create", Target: orgTarget(o.ID), Detail: o.Name})
	s.flash(w, r, s.t(r, "%s is added. Invite its people below.", o.Name))
	http.Redirect(w, r, "/admin/members/"+strconv.FormatInt(o.ID, 10), http.StatusSeeOther)
}

func (s *Server) adminOrg(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	o, err := s.Members.ByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminOrgPage{Base: s.adminBase(w, r, o.Name, "members"), Org: &o, Form: orgForm{Name: o.Name, Description: o.Description,
		Website: o.Website, Country: o.Country, ContactEmail: o.ContactEmail, TierID: o.TierID, JoinedAt: o.JoinedAt.Format("2006-01-02"), Public: o.Public}}
	s.renderOrg(w, r, http.StatusOK, p)
}

func (s *Server) adminSaveOrg(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	o, err := s.Members.ByID(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := readOrgForm(r)
	p := &adminOrgPage{Base: s.adminBase(w, r, o.Name, "members"), Org: &o, Form: f, Errors: formErrors{}}
	in, err := f.input()
	var logo []byte
	if err == nil {
		_, logo, err = readUpload(r, "logo", members.LogoMaxBytes)
	}
	if err == nil {
		err = s.Members.Update(ctx, id, in)
	}
	if err == nil && len(logo) > 0 {
		err = s.Members.SetLogo(ctx, id, logo)
	}
	if err == nil && len(logo) == 0 && r.PostFormValue("remove_logo") == "1" {
		err = s.Members.DeleteLogo(ctx, id)
	}
	if p.Errors.add(err) {
		s.renderOrg(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "organisation.update", Target: orgTarget(id)})
	s.flash(w, r, s.t(r, "Saved."))
	http.Redirect(w, r, "/admin/members/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (s *Server) adminDeleteOrg(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if r.PostFormValue("confirm") != "1" {
		s.errorPage(w, r, http.StatusBadRequest, s.t(r, "Tick the box to confirm that the organisation should be deleted."))
		return
	}
	if err := s.Members.Delete(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "organisation.delete", Target: orgTarget(id)})
	s.flash(w, r, s.t(r, "The organisation is deleted."))
	http.Redirect(w, r, "/admin/members", http.StatusSeeOther)
}

// adminOrgInvite invites a person to an organisation (as its admin if asked).
func (s *Server) adminOrgInvite(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	o, err := s.Members.ByID(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	inv := inviteForm{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	got, err := s.Members.InvitePerson(ctx, id, inv.Email, inv.Name, r.PostFormValue("org_admin") == "1", s.inviteMail(r, o.Name))
	fe := formErrors{}
	if fe.add(err) {
		p := &adminOrgPage{Base: s.adminBase(w, r, o.Name, "members"), Org: &o, Form: orgForm{Name: o.Name, Description: o.Description,
			Website: o.Website, Country: o.Country, ContactEmail: o.ContactEmail, TierID: o.TierID, JoinedAt: o.JoinedAt.Format("2006-01-02"), Public: o.Public},
			Invite: inv, Errors: formErrors{"invite": fe.Summary()}}
		s.renderOrg(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "organisation.invite", Target: orgTarget(id), Detail: got.Email})
	s.flash(w, r, s.t(r, "Invitation sent to %s.", got.Email))
	http.Redirect(w, r, "/admin/members/"+strconv.FormatInt(id, 10)+"#people", http.StatusSeeOther)
}

// adminOrgPerson runs one change on a person of an organisation.
func (s *Server) adminOrgPerson(w http.ResponseWriter, r *http.Request) {
	id, ok1 := pathID(r, "id")
	uid, ok2 := pathID(r, "uid")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	o, err := s.Members.ByID(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var msg string
	switch r.PathValue("action") {
	case "invite":
		var inv members.Invite
		inv, err = s.Members.Reinvite(ctx, id, uid, s.inviteMail(r, o.Name))
		msg = s.t(r, "Invitation sent to %s.", inv.Email)
	case "remove":
		var p members.Person
		p, err = s.Members.RemovePerson(ctx, id, uid)
		msg = s.t(r, "%s no longer has an account.", p.Email)
	case "admin":
		err = s.Members.SetOrgAdmin(ctx, id, uid, r.PostFormValue("admin") == "1")
		msg = s.t(r, "Saved.")
	default:
		s.notFound(w, r)
		return
	}
	if ie, ok := errs.AsInvalid(err); ok {
		s.flash(w, r, ie.Msg)
		http.Redirect(w, r, "/admin/members/"+strconv.FormatInt(id, 10)+"#people", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "organisation.person." + r.PathValue("action"), Target: userTarget(uid), Detail: orgTarget(id)})
	s.flash(w, r, msg)
	http.Redirect(w, r, "/admin/members/"+strconv.FormatInt(id, 10)+"#people", http.StatusSeeOther)
}

type adminTiersPage struct {
	Base
	Tiers  []members.Tier
	New    members.TierInput
	Errors formErrors
}

func (s *Server) renderTiers(w http.ResponseWriter, r *http.Request, status int, in members.TierInput, fe formErrors) {
	tiers, err := s.Members.Tiers(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Position == 0 {
		in.Position = len(tiers) + 1
	}
	p := &adminTiersPage{Base: s.adminBase(w, r, s.t(r, "Membership tiers"), "members"), Tiers: tiers, New: in, Errors: fe}
	s.render(w, r, status, "admin/member_tiers", p)
}

func (s *Server) adminTiers(w http.ResponseWriter, r *http.Request) {
	s.renderTiers(w, r, http.StatusOK, members.TierInput{}, formErrors{})
}

func readTier(r *http.Request) members.TierInput {
	pos, _ := strconv.Atoi(r.PostFormValue("position")) //nolint:errcheck // 0 sorts first
	return members.TierInput{Name: r.PostFormValue("name"), Description: r.PostFormValue("description"), Criteria: r.PostFormValue("criteria"), Position: pos}
}

func (s *Server) adminCreateTier(w http.ResponseWriter, r *http.Request) {
	in := readTier(r)
	t, err := s.Members.CreateTier(r.Context(), in)
	fe := formErrors{}
	if fe.add(err) {
		s.renderTiers(w, r, http.StatusUnprocessableEntity, in, fe)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "tier.create", Target: "tier:" + strconv.FormatInt(t.ID, 10), Detail: t.Name})
	s.flash(w, r, s.t(r, "Saved."))
	http.Redirect(w, r, "/admin/member-tiers", http.StatusSeeOther)
}

func (s *Server) adminSaveTier(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	var err error
	action := "tier.update"
	if r.PostFormValue("delete") == "1" {
		action = "tier.delete"
		err = s.Members.DeleteTier(r.Context(), id)
	} else {
		err = s.Members.UpdateTier(r.Context(), id, readTier(r))
	}
	fe := formErrors{}
	if fe.add(err) {
		s.renderTiers(w, r, http.StatusUnprocessableEntity, members.TierInput{}, fe)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: action, Target: "tier:" + strconv.FormatInt(id, 10)})
	s.flash(w, r, s.t(r, "Saved."))
	http.Redirect(w, r, "/admin/member-tiers", http.StatusSeeOther)
}

type adminApplicationsPage struct {
	Base
	Apps  []members.Application
	State string
}

func (s *Server) adminApplications(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	switch state {
	case "", "all", members.AppSubmitted, members.AppInfoRequested, members.AppApproved, members.AppRejected:
	default:
		state = ""
	}
	apps, err := s.Members.Applications(r.Context(), state)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminApplicationsPage{Base: s.adminBase(w, r, s.t(r, "Applications to join"), "applications"), Apps: apps, State: state}
	s.render(w, r, http.StatusOK, "admin/applications", p)
}

type adminApplicationPage struct {
	Base
	App    members.Application
	Note   string
	Errors formErrors
}

func (s *Server) renderAdminApplication(w http.ResponseWriter, r *http.Request, status int, id int64, note string, fe formErrors) {
	a, err := s.Members.Application(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminApplicationPage{Base: s.adminBase(w, r, a.OrgName, "applications"), App: a, Note: note, Errors: fe}
	s.render(w, r, status, "admin/application", p)
}

func (s *Server) adminApplication(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	s.renderAdminApplication(w, r, http.StatusOK, id, "", formErrors{})
}

// adminDecideApplication approves, rejects or asks the applicant for more;
// the applicant hears of it by e-mail in the same transaction.
func (s *Server) adminDecideApplication(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	note := r.PostFormValue("note")
	l := s.locale(r)
	org := s.orgName(ctx)
	sig := s.signature(ctx)
	by := actor(r)
	action := r.PathValue("action")
	var err error
	var msg string
	switch action {
	case "approve":
		var ap members.Approval
		ap, err = s.Members.ApproveApplication(ctx, id, by, note, func(ctx context.Context, tx *sql.Tx, ap members.Approval) error {
			a := ap.Application
			body := l.T("Hello %s,", a.ContactName) + "\n\n" +
				l.T("We are delighted to tell you that %s is now a member of %s (%s).", a.OrgName, org, ap.Organisation.TierName) + "\n\n"
			if note != "" {
				body += strings.TrimSpace(note) + "\n\n"
			}
			body += l.T("You administer your organisation's account: you can edit its profile, invite colleagues and submit news and documents. Choose your password here within seven days:") +
				"\n" + s.Config.BaseURL + "/welcome/" + ap.Invite.Token + "\n\n" +
				l.T("Then sign in with this e-mail address: %s", ap.Invite.Email) + "\n" +
				l.T("Your organisation's profile: %s", s.Config.BaseURL+ap.Organisation.URL()) + sig
			return s.enqueueAll(ctx, tx, "member-approved", []string{a.ContactEmail}, l.T("Welcome to %s", org), body)
		})
		msg = s.t(r, "Approved: %s is a member and %s has been invited.", ap.Organisation.Name, ap.Invite.Email)
	case "reject":
		err = s.Members.Reject(ctx, id, by, note, func(ctx context.Context, tx *sql.Tx, a members.Application) error {
			body := l.T("Hello %s,", a.ContactName) + "\n\n" +
				l.T("Thank you for your interest in %s. After reviewing the application of %s (%s), the secretariat is not able to accept it:", org, a.OrgName, members.ApplicationRef(a.ID)) +
				"\n\n" + a.LastNote() + sig
			return s.enqueueAll(ctx, tx, "member-rejected", []string{a.ContactEmail}, l.T("Your application to join %s: decision", org), body)
		})
		msg = s.t(r, "The application is rejected and the applicant has been told.")
	case "ask":
		err = s.Members.RequestInfo(ctx, id, by, note, func(ctx context.Context, tx *sql.Tx, a members.Application) error {
			body := l.T("Hello %s,", a.ContactName) + "\n\n" +
				l.T("The secretariat of %s is reviewing the application of %s (%s) and needs more information:", org, a.OrgName, members.ApplicationRef(a.ID)) +
				"\n\n" + a.LastNote() + "\n\n" + l.T("Please answer, and correct your application if needed, here:") + "\n" + s.appLink(a.ID) + sig
			return s.enqueueAll(ctx, tx, "member-info-requested", []string{a.ContactEmail}, l.T("Your application to join %s: a question", org), body)
		})
		msg = s.t(r, "Your question has been sent to the applicant.")
	default:
		s.notFound(w, r)
		return
	}
	fe := formErrors{}
	if fe.add(err) {
		s.renderAdminApplication(w, r, http.StatusUnprocessableEntity, id, note, fe)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "application." + action, Target: "application:" + strconv.FormatInt(id, 10)})
	s.flash(w, r, msg)
	http.Redirect(w, r, "/admin/applications/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

type adminSubmissionsPage struct {
	Base
	Subs  []members.Submission
	State string
}

func (s *Server) adminSubmissions(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	switch state {
	case "", members.SubSubmitted, members.SubReturned, members.SubApproved, "all":
	default:
		state = ""
	}
	subs, err := s.Members.Queue(r.Context(), state)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminSubmissionsPage{Base: s.adminBase(w, r, s.t(r, "Submissions from members"), "submissions"), Subs: subs, State: state}
	s.render(w, r, http.StatusOK, "admin/submissions", p)
}

func (s *Server) adminSubmission(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	sub, err := s.Members.Submission(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &submissionPage{Base: s.adminBase(w, r, sub.Title, "submissions"), Sub: &sub, Form: formFromSubmission(sub), Staff: true,
		Action: "/admin/submissions/" + strconv.FormatInt(id, 10)}
	s.renderSubmission(w, r, http.StatusOK, p)
}

// adminReviewSubmission saves an editor's changes, then approves or
// returns the submission when asked; the member hears of it by e-mail.
func (s *Server) adminReviewSubmission(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	sub, err := s.Members.Submission(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := readSubmissionForm(r)
	f.Kind = sub.Kind
	note := r.PostFormValue("note")
	p := &submissionPage{Base: s.adminBase(w, r, sub.Title, "submissions"), Sub: &sub, Form: f, Staff: true, Errors: formErrors{},
		Action: "/admin/submissions/" + strconv.FormatInt(id, 10)}
	l := s.locale(r)
	sig := s.signature(ctx)
	by := actor(r)
	action := r.PostFormValue("action")
	if sub.State != members.SubApproved && action != "return" {
		err = s.Members.Edit(ctx, id, by, f.input())
	}
	msg := s.t(r, "Saved.")
	switch {
	case err != nil:
	case action == "approve":
		_, err = s.Members.ApproveSubmission(ctx, id, by, func(ctx context.Context, tx *sql.Tx, sub members.Submission) error {
			to := s.submissionContact(ctx, sub)
			if to == "" {
				return nil
			}
			body := l.T("Hello %s,", sub.SubmitterName) + "\n\n" +
				l.T("Good news: “%s” has been approved and published under the name of %s.", sub.Title, sub.OrgName) + "\n\n" +
				absURL(s.Config.BaseURL, sub.PublishedURL) + sig
			return s.enqueueAll(ctx, tx, "member-submission-approved", []string{to}, l.T("Published: %s", sub.Title), body)
		})
		msg = s.t(r, "Approved and published.")
	case action == "return":
		err = s.Members.ReturnSubmission(ctx, id, by, note, func(ctx context.Context, tx *sql.Tx, sub members.Submission) error {
			to := s.submissionContact(ctx, sub)
			if to == "" {
				return nil
			}
			body := l.T("Hello %s,", sub.SubmitterName) + "\n\n" +
				l.T("The editors have returned “%s” with this note:", sub.Title) + "\n\n" + sub.ReviewNote + "\n\n" +
				l.T("You can change it and send it again here:") + "\n" + s.Config.BaseURL + "/member/submissions/" + strconv.FormatInt(sub.ID, 10) + sig
			return s.enqueueAll(ctx, tx, "member-submission-returned", []string{to}, l.T("Returned with a note: %s", sub.Title), body)
		})
		msg = s.t(r, "Returned to the member with your note.")
	}
	if p.Errors.add(err) {
		if action == "return" {
			p.Errors["note"] = p.Errors.Summary()
		}
		p.Note = note
		s.renderSubmission(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	auditAction := "submission.edit"
	if action == "approve" || action == "return" {
		auditAction = "submission." + action
	}
	s.audit(r, audit.Entry{Action: auditAction, Target: "submission:" + strconv.FormatInt(id, 10)})
	s.flash(w, r, msg)
	http.Redirect(w, r, "/admin/submissions/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// submissionContact is who hears about a submission: its author, or the
// organisation's contact address if the author's account is gone.
func (s *Server) submissionContact(ctx context.Context, sub members.Submission) string {
	if sub.SubmitterEmail != "" {
		return sub.SubmitterEmail
	}
	o, err := s.Members.ByID(ctx, sub.OrganisationID)
	if err != nil {
		s.Log.Warn("submission contact", "submission", sub.ID, "err", err)
		return ""
	}
	return o.ContactEmail
}

func absURL(base, u string) string {
	if strings.HasPrefix(u, "/") {
		return base + u
	}
	return u
}

func (s *Server) adminSubmissionFile(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	s.sendSubmissionFile(w, r, id)
}
