package web

import (
	"net/http"
	"strconv"
	"strings"

	"coalition/internal/audit"
	"coalition/internal/mail"
)

// Admin pages of the mailing lists: the lists themselves (here), the
// subscribers (admin_mail_subscribers.go) and the campaigns
// (admin_mail_campaigns.go).

type adminListsPage struct {
	Base
	Lists  []mail.List
	New    mail.ListInput
	Errors formErrors // the create form's
	// EditID is the list whose inline form failed; Edit keeps what was typed.
	EditID     int64
	Edit       mail.ListInput
	EditErrors formErrors
}

func readListForm(r *http.Request) mail.ListInput {
	pos, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue("position"))) //nolint:errcheck // 0 is a fine position
	return mail.ListInput{Name: strings.TrimSpace(r.PostFormValue("name")), Slug: strings.TrimSpace(r.PostFormValue("slug")),
		Description: strings.TrimSpace(r.PostFormValue("description")), MembersOnly: r.PostFormValue("members_only") == "1", Position: pos}
}

func (s *Server) renderLists(w http.ResponseWriter, r *http.Request, status int, p *adminListsPage) {
	lists, err := s.Mail.Lists(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Base = s.adminBase(w, r, s.t(r, "Mailing lists"), "lists")
	p.Lists = lists
	if p.Errors == nil {
		p.Errors = formErrors{}
	}
	if p.EditErrors == nil {
		p.EditErrors = formErrors{}
	}
	if status == http.StatusOK && p.New.Position == 0 {
		p.New.Position = len(lists) + 1
	}
	s.render(w, r, status, "admin/mail_lists", p)
}

func (s *Server) adminLists(w http.ResponseWriter, r *http.Request) {
	s.renderLists(w, r, http.StatusOK, &adminListsPage{})
}

func (s *Server) adminCreateList(w http.ResponseWriter, r *http.Request) {
	in := readListForm(r)
	l, err := s.Mail.CreateList(r.Context(), in)
	if fe := (formErrors{}); fe.add(err) {
		s.renderLists(w, r, http.StatusUnprocessableEntity, &adminListsPage{New: in, Errors: fe})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "mail.list.create", Target: listTarget(l.ID), Detail: l.Name})
	s.flash(w, r, s.t(r, "The list %s is created.", l.Name))
	http.Redirect(w, r, "/admin/lists", http.StatusSeeOther)
}

func (s *Server) adminSaveList(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	in := readListForm(r)
	err := s.Mail.UpdateList(r.Context(), id, in)
	if fe := (formErrors{}); fe.add(err) {
		s.renderLists(w, r, http.StatusUnprocessableEntity, &adminListsPage{EditID: id, Edit: in, EditErrors: fe})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "mail.list.update", Target: listTarget(id), Detail: in.Name})
	s.flash(w, r, s.t(r, "The list %s is saved.", in.Name))
	http.Redirect(w, r, "/admin/lists", http.StatusSeeOther)
}

func (s *Server) adminDeleteList(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	l, err := s.Mail.GetList(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if r.PostFormValue("confirm") != "1" {
		s.errorPage(w, r, http.StatusBadRequest, s.t(r, "Tick the box to confirm that the list and its subscriptions should be deleted."))
		return
	}
	if err := s.Mail.DeleteList(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "mail.list.delete", Target: listTarget(id), Detail: l.Name})
	s.flash(w, r, s.t(r, "The list %s and its subscriptions are deleted.", l.Name))
	http.Redirect(w, r, "/admin/lists", http.StatusSeeOther)
}

func listTarget(id int64) string { return "mail-list:" + strconv.FormatInt(id, 10) }
