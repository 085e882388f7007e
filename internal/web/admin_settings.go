package web

import (
	"net/http"
	"strconv"

	"coalition/internal/audit"
	"coalition/internal/errs"
	"coalition/internal/i18n"
	"coalition/internal/mail"
	"coalition/internal/settings"
)

type adminSettingsPage struct {
	Base
	Form       settings.Settings
	Error      string
	ErrorField string
}

func (s *Server) adminSettings(w http.ResponseWriter, r *http.Request) {
	p := &adminSettingsPage{Base: s.adminBase(w, r, s.t(r, "Settings"), "settings")}
	p.Form = p.Site
	s.render(w, r, http.StatusOK, "admin/settings", p)
}

func (s *Server) adminSaveSettings(w http.ResponseWriter, r *http.Request) {
	f := settings.Settings{
		OrgName:       r.PostFormValue("org.name"),
		Tagline:       r.PostFormValue("org.tagline"),
		PostalAddress: r.PostFormValue("org.address"),
		ContactEmail:  r.PostFormValue("org.email"),
		Social: settings.Social{
			Facebook: r.PostFormValue("social.facebook"),
			Twitter:  r.PostFormValue("social.twitter"),
			LinkedIn: r.PostFormValue("social.linkedin"),
			Bluesky:  r.PostFormValue("social.bluesky"),
			Mastodon: r.PostFormValue("social.mastodon"),
			YouTube:  r.PostFormValue("social.youtube"),
			Blog:     r.PostFormValue("social.blog"),
		},
	}
	err := s.Settings.Save(r.Context(), f)
	if ie, ok := errs.AsInvalid(err); ok {
		p := &adminSettingsPage{Base: s.adminBase(w, r, s.t(r, "Settings"), "settings"), Form: f, Error: ie.Msg, ErrorField: ie.Field}
		s.render(w, r, http.StatusBadRequest, "admin/settings", p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "settings.save"})
	s.flash(w, r, s.t(r, "Settings saved."))
	http.Redirect(w, r, "/admin/settings", http.StatusSeeOther)
}

type adminOutboxPage struct {
	Base
	Messages []mail.OutboxMessage
	Pager    Pager
	NoSMTP   bool
}

func (s *Server) adminOutbox(w http.ResponseWriter, r *http.Request) {
	pg := pageParam(r)
	const per = 50
	msgs, total, err := s.Outbox.List(r.Context(), per, (pg-1)*per)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminOutboxPage{Base: s.adminBase(w, r, s.t(r, "Outbox"), "outbox"), Messages: msgs,
		Pager: s.newPager(r, pg, per, total), NoSMTP: !s.Outbox.HasTransport()}
	s.render(w, r, http.StatusOK, "admin/outbox", p)
}

type adminOutboxMessagePage struct {
	Base
	Msg mail.OutboxMessage
}

func (s *Server) adminOutboxMessage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	m, err := s.Outbox.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminOutboxMessagePage{Base: s.adminBase(w, r, m.Subject, "outbox"), Msg: m}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "admin/outbox_message", p)
}

type adminAuditPage struct {
	Base
	Entries []audit.Entry
	Pager   Pager
	Action  string
}

func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request) {
	pg := pageParam(r)
	const per = 100
	action := r.URL.Query().Get("action")
	if len(action) > 50 {
		action = action[:50]
	}
	entries, total, err := s.Audit.List(r.Context(), audit.Filter{Action: action, Limit: per, Offset: (pg - 1) * per})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminAuditPage{Base: s.adminBase(w, r, s.t(r, "Audit log"), "audit"), Entries: entries, Pager: s.newPager(r, pg, per, total), Action: action}
	s.render(w, r, http.StatusOK, "admin/audit", p)
}

// Pager is the state of a paginated listing.
type Pager struct {
	Page, Pages, Total int
	PrevURL, NextURL   string
	L                  *i18n.Locale
}

// pageParam reads ?page=, defaulting to 1 and capping absurd values.
func pageParam(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, 100000)
}

func (s *Server) newPager(r *http.Request, page, per, total int) Pager {
	p := Pager{Page: page, Total: total, Pages: (total + per - 1) / per, L: s.locale(r)}
	link := func(n int) string {
		q := r.URL.Query()
		if n == 1 {
			q.Del("page")
		} else {
			q.Set("page", strconv.Itoa(n))
		}
		if e := q.Encode(); e != "" {
			return r.URL.Path + "?" + e
		}
		return r.URL.Path
	}
	if page > 1 {
		p.PrevURL = link(page - 1)
	}
	if page < p.Pages {
		p.NextURL = link(page + 1)
	}
	return p
}
