package web

import (
	"net/http"
	"strings"

	"coalition/internal/accounts"
	"coalition/internal/audit"
	"coalition/internal/errs"
	"coalition/internal/mail"
)

type adminDashboardPage struct {
	Base
	Users       int
	HeldMail    int
	PendingMail int
	Recent      []audit.Entry
	NoSMTP      bool
}

func (s *Server) adminDashboard(w http.ResponseWriter, r *http.Request) {
	p := &adminDashboardPage{Base: s.adminBase(w, r, s.t(r, "Dashboard"), "dashboard")}
	ctx := r.Context()
	q := func(sql string, dst *int) {
		if err := s.DB.R.QueryRowContext(ctx, sql).Scan(dst); err != nil {
			s.Log.Error("dashboard", "err", err)
		}
	}
	q("SELECT COUNT(*) FROM users WHERE NOT disabled", &p.Users)
	q("SELECT COUNT(*) FROM outbox WHERE status = 'held'", &p.HeldMail)
	q("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')", &p.PendingMail)
	p.NoSMTP = !s.Outbox.HasTransport()
	if p.User.IsAdmin() {
		entries, _, err := s.Audit.List(ctx, audit.Filter{Limit: 10})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Recent = entries
	}
	s.render(w, r, http.StatusOK, "admin/dashboard", p)
}

// adminBase is the Base of an admin page.
func (s *Server) adminBase(w http.ResponseWriter, r *http.Request, title, section string) Base {
	b := s.base(w, r, title)
	b.Admin, b.Section, b.NoIndex = true, section, true
	return b
}

type adminUsersPage struct {
	Base
	Users []accounts.User
	Roles []accounts.Role
	Form  inviteForm
	Error string
}

type inviteForm struct {
	Email string
	Name  string
	Role  string
}

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, inviteForm{Role: "editor"}, "")
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, f inviteForm, msg string) {
	users, err := s.Accounts.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminUsersPage{Base: s.adminBase(w, r, s.t(r, "Users"), "users"), Users: users, Roles: accounts.Roles, Form: f, Error: msg}
	s.render(w, r, status, "admin/users", p)
}

// adminInviteUser creates an account without a password and e-mails a link
// to choose one.
func (s *Server) adminInviteUser(w http.ResponseWriter, r *http.Request) {
	f := inviteForm{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role")}
	u, err := s.Accounts.Create(r.Context(), accounts.NewUser{Email: f.Email, Name: f.Name, Role: accounts.Role(f.Role)})
	if ie, ok := errs.AsInvalid(err); ok {
		s.renderUsers(w, r, http.StatusBadRequest, f, ie.Msg)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.sendInvite(r, u); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "user.invite", Target: userTarget(u.ID), Detail: u.Email + " as " + string(u.Role)})
	s.flash(w, r, s.t(r, "Invitation sent to %s.", u.Email))
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}

func (s *Server) adminReinviteUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	u, err := s.Accounts.ByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.sendInvite(r, u); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "user.reinvite", Target: userTarget(u.ID), Detail: u.Email})
	s.flash(w, r, s.t(r, "Invitation sent to %s.", u.Email))
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}

// sendInvite e-mails a link to set a password (valid for a week).
func (s *Server) sendInvite(r *http.Request, u accounts.User) error {
	ctx := r.Context()
	tok, err := s.Accounts.NewToken(ctx, u.ID, accounts.PurposeInvite, accounts.InviteTTL)
	if err != nil {
		return err
	}
	site, _ := s.Settings.Get(ctx) //nolint:errcheck // defaults are fine for a mail signature
	l := s.locale(r)
	inviter := userFrom(ctx)
	from := site.OrgName
	if inviter != nil {
		from = inviter.DisplayName() + " (" + site.OrgName + ")"
	}
	body := l.T("Hello %s,", u.DisplayName()) + "\n\n" +
		l.T("%s has invited you to the website of %s.", from, site.OrgName) + "\n\n" +
		l.T("Choose your password here within seven days:") + "\n" + s.Config.BaseURL + "/welcome/" + tok + "\n\n" +
		l.T("Then sign in with this e-mail address: %s", u.Email) + "\n\n— " + site.OrgName + "\n"
	return s.Outbox.Enqueue(ctx, "invite", mail.Message{To: u.Email, Subject: l.T("Your account at %s", site.OrgName), Text: body})
}

func (s *Server) adminSetRole(w http.ResponseWriter, r *http.Request) {
	s.userAction(w, r, "user.role", func(id int64) error {
		return s.Accounts.SetRole(r.Context(), id, accounts.Role(r.PostFormValue("role")))
	}, func() string { return "role " + r.PostFormValue("role") })
}

func (s *Server) adminDisableUser(w http.ResponseWriter, r *http.Request) {
	s.userAction(w, r, "user.disable", func(id int64) error {
		if u := userFrom(r.Context()); u.ID == id {
			return errs.Invalid("user", s.t(r, "You cannot disable your own account."))
		}
		return s.Accounts.SetDisabled(r.Context(), id, true)
	}, nil)
}

func (s *Server) adminEnableUser(w http.ResponseWriter, r *http.Request) {
	s.userAction(w, r, "user.enable", func(id int64) error { return s.Accounts.SetDisabled(r.Context(), id, false) }, nil)
}

// userAction runs one change on a user, audits it and returns to the list,
// showing validation problems on the list page.
func (s *Server) userAction(w http.ResponseWriter, r *http.Request, action string, do func(int64) error, detail func() string) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := do(id)
	if ie, ok := errs.AsInvalid(err); ok {
		s.renderUsers(w, r, http.StatusBadRequest, inviteForm{Role: "editor"}, ie.Msg)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	e := audit.Entry{Action: action, Target: userTarget(id)}
	if detail != nil {
		e.Detail = detail()
	}
	s.audit(r, e)
	s.flash(w, r, s.t(r, "Saved."))
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}
