package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"coalition/internal/audit"
	"coalition/internal/crises"
	"coalition/internal/errs"
	"coalition/internal/places"
)

type crisisForm struct {
	Title           string
	Slug            string
	StatusID        int64
	Summary         string
	Countries       []string
	Sections        []crises.Section
	Recommendations string // one per line
	Published       bool
}

// HasCountry reports whether the form has a country (for the select).
func (f crisisForm) HasCountry(iso3 string) bool {
	for _, c := range f.Countries {
		if strings.EqualFold(c, iso3) {
			return true
		}
	}
	return false
}

func readCrisisForm(r *http.Request) crisisForm {
	st, _ := strconv.ParseInt(r.PostFormValue("status"), 10, 64) //nolint:errcheck // 0 is refused with a message
	f := crisisForm{Title: r.PostFormValue("title"), Slug: strings.TrimSpace(r.PostFormValue("slug")), StatusID: st,
		Summary: r.PostFormValue("summary"), Countries: r.PostForm["countries"], Recommendations: r.PostFormValue("recommendations"),
		Published: r.PostFormValue("published") == "1"}
	heads, bodies := r.PostForm["section_heading"], r.PostForm["section_body"]
	for i := range heads {
		sec := crises.Section{Heading: heads[i]}
		if i < len(bodies) {
			sec.Body = bodies[i]
		}
		f.Sections = append(f.Sections, sec)
	}
	return f
}

func (f crisisForm) input() crises.Input {
	return crises.Input{Title: f.Title, Slug: f.Slug, StatusID: f.StatusID, Summary: f.Summary, Countries: f.Countries,
		Sections: f.Sections, Recommendations: strings.Split(strings.ReplaceAll(f.Recommendations, "\r\n", "\n"), "\n"), Published: f.Published}
}

type adminCrisesPage struct {
	Base
	Crises   []crises.Crisis
	Statuses []crises.Status
}

func (s *Server) adminCrises(w http.ResponseWriter, r *http.Request) {
	list, err := s.Crises.List(r.Context(), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminCrisesPage{Base: s.adminBase(w, r, s.t(r, "Crises"), "crises"), Crises: list}
	s.render(w, r, http.StatusOK, "admin/crises", p)
}

type adminCrisisPage struct {
	Base
	Crisis    *crises.Crisis
	Form      crisisForm
	Errors    formErrors
	Statuses  []crises.Status
	Countries []places.Country
	Update    updateForm
	UErrors   formErrors
	Today     string
	Chosen    []string
}

type updateForm struct {
	ID      int64
	Date    string
	Title   string
	Body    string
	Publish bool
}

func (s *Server) renderCrisis(w http.ResponseWriter, r *http.Request, status int, p *adminCrisisPage) {
	var err error
	if p.Statuses, err = s.Crises.Statuses(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	p.Countries = s.countryOptions()
	p.Chosen = s.countryNames(p.Form.Countries)
	if p.Errors == nil {
		p.Errors = formErrors{}
	}
	if p.UErrors == nil {
		p.UErrors = formErrors{}
	}
	// Two empty sections to fill in (no script needed to add one).
	p.Form.Sections = append(p.Form.Sections, crises.Section{}, crises.Section{})
	p.Today = s.Now().UTC().Format("2006-01-02")
	if p.Update.Date == "" {
		p.Update.Date = p.Today
		p.Update.Publish = true
	}
	s.render(w, r, status, "admin/crisis_edit", p)
}

func (s *Server) adminNewCrisis(w http.ResponseWriter, r *http.Request) {
	p := &adminCrisisPage{Base: s.adminBase(w, r, s.t(r, "New crisis"), "crises")}
	if sts, err := s.Crises.Statuses(r.Context()); err == nil && len(sts) > 0 {
		p.Form.StatusID = sts[0].ID
	}
	s.renderCrisis(w, r, http.StatusOK, p)
}

func (s *Server) adminCreateCrisis(w http.ResponseWriter, r *http.Request) {
	f := readCrisisForm(r)
	c, err := s.Crises.Create(r.Context(), f.input())
	fe := formErrors{}
	if fe.add(err) {
		p := &adminCrisisPage{Base: s.adminBase(w, r, s.t(r, "New crisis"), "crises"), Form: f, Errors: fe}
		s.renderCrisis(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "crisis.create", Target: "crisis:" + strconv.FormatInt(c.ID, 10), Detail: c.Title})
	s.flash(w, r, s.t(r, "The crisis is saved. Add updates to its timeline below."))
	http.Redirect(w, r, "/admin/crises/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

func formFromCrisis(c crises.Crisis) crisisForm {
	return crisisForm{Title: c.Title, Slug: c.Slug, StatusID: c.Status.ID, Summary: c.Summary, Countries: c.CountryCodes(),
		Sections: append([]crises.Section(nil), c.Sections...), Recommendations: strings.Join(c.Recommendations, "\n"), Published: c.Published}
}

func (s *Server) adminCrisis(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	c, err := s.Crises.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminCrisisPage{Base: s.adminBase(w, r, c.Title, "crises"), Crisis: &c, Form: formFromCrisis(c)}
	if uid, err := strconv.ParseInt(r.URL.Query().Get("update"), 10, 64); err == nil {
		for _, u := range c.Updates {
			if u.ID == uid {
				p.Update = updateForm{ID: u.ID, Date: u.HappenedOn.Format("2006-01-02"), Title: u.Title, Body: u.Body, Publish: u.Published()}
			}
		}
	}
	s.renderCrisis(w, r, http.StatusOK, p)
}

func (s *Server) adminSaveCrisis(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	c, err := s.Crises.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := readCrisisForm(r)
	f.Slug = c.Slug
	err = s.Crises.Update(r.Context(), id, f.input())
	fe := formErrors{}
	if fe.add(err) {
		p := &adminCrisisPage{Base: s.adminBase(w, r, c.Title, "crises"), Crisis: &c, Form: f, Errors: fe}
		s.renderCrisis(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "crisis.update", Target: "crisis:" + strconv.FormatInt(id, 10)})
	s.flash(w, r, s.t(r, "Saved."))
	http.Redirect(w, r, "/admin/crises/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (s *Server) adminDeleteCrisis(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if r.PostFormValue("confirm") != "1" {
		s.errorPage(w, r, http.StatusBadRequest, s.t(r, "Tick the box to confirm that the crisis should be deleted."))
		return
	}
	if err := s.Crises.Delete(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "crisis.delete", Target: "crisis:" + strconv.FormatInt(id, 10)})
	s.flash(w, r, s.t(r, "The crisis is deleted; its tag stays for the articles and documents filed under it."))
	http.Redirect(w, r, "/admin/crises", http.StatusSeeOther)
}

// adminCrisisUpdate adds a timeline update, or edits or deletes one
// (update_id); publishing one alerts its subscribers.
func (s *Server) adminCrisisUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	c, err := s.Crises.Get(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	uid, _ := strconv.ParseInt(r.PostFormValue("update_id"), 10, 64) //nolint:errcheck // 0: a new update
	uf := updateForm{ID: uid, Date: strings.TrimSpace(r.PostFormValue("date")), Title: r.PostFormValue("title"), Body: r.PostFormValue("body"),
		Publish: r.PostFormValue("publish") == "1"}
	in := crises.UpdateInput{Title: uf.Title, Body: uf.Body, Publish: uf.Publish}
	if uf.Date != "" {
		d, perr := time.Parse("2006-01-02", uf.Date)
		if perr != nil {
			err = errs.Invalid("date", s.t(r, "Enter the date as year-month-day, like 2024-05-31."))
		}
		in.HappenedOn = d
	}
	action, msg := "crisis.update.add", s.t(r, "The update is saved.")
	switch {
	case err != nil:
	case r.PostFormValue("delete") == "1" && uid != 0:
		action, msg = "crisis.update.delete", s.t(r, "The update is deleted.")
		err = s.Crises.DeleteUpdate(ctx, id, uid)
	case uid != 0:
		action = "crisis.update.edit"
		err = s.Crises.EditUpdate(ctx, id, uid, in)
	default:
		var u crises.Update
		u, err = s.Crises.AddUpdate(ctx, id, in, userFrom(ctx).ID)
		uid = u.ID
	}
	if uf.Publish && err == nil && action != "crisis.update.delete" {
		msg = s.t(r, "The update is published.")
		if c.Published {
			msg = s.t(r, "The update is published and its alerts are on their way.")
		}
	}
	fe := formErrors{}
	if fe.add(err) {
		p := &adminCrisisPage{Base: s.adminBase(w, r, c.Title, "crises"), Crisis: &c, Form: formFromCrisis(c), Update: uf, UErrors: fe}
		s.renderCrisis(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: action, Target: "crisis:" + strconv.FormatInt(id, 10), Detail: "update " + strconv.FormatInt(uid, 10)})
	s.flash(w, r, msg)
	http.Redirect(w, r, "/admin/crises/"+strconv.FormatInt(id, 10)+"#timeline", http.StatusSeeOther)
}

type adminStatusesPage struct {
	Base
	Statuses []crises.Status
	New      crises.StatusInput
	Errors   formErrors
}

func (s *Server) renderStatuses(w http.ResponseWriter, r *http.Request, status int, in crises.StatusInput, fe formErrors) {
	sts, err := s.Crises.Statuses(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Gravity == 0 {
		in.Gravity = len(sts) + 1
	}
	if in.Colour == "" {
		in.Colour = "#5a6b7b"
	}
	p := &adminStatusesPage{Base: s.adminBase(w, r, s.t(r, "Crisis status scale"), "crises"), Statuses: sts, New: in, Errors: fe}
	s.render(w, r, status, "admin/crisis_statuses", p)
}

func (s *Server) adminStatuses(w http.ResponseWriter, r *http.Request) {
	s.renderStatuses(w, r, http.StatusOK, crises.StatusInput{}, formErrors{})
}

func readStatus(r *http.Request) crises.StatusInput {
	g, _ := strconv.Atoi(r.PostFormValue("gravity")) //nolint:errcheck // 0 is refused with a message
	return crises.StatusInput{Name: r.PostFormValue("name"), Description: r.PostFormValue("description"), Gravity: g, Colour: r.PostFormValue("colour")}
}

func (s *Server) adminCreateStatus(w http.ResponseWriter, r *http.Request) {
	in := readStatus(r)
	st, err := s.Crises.CreateStatus(r.Context(), in)
	fe := formErrors{}
	if fe.add(err) {
		s.renderStatuses(w, r, http.StatusUnprocessableEntity, in, fe)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "crisis.status.create", Target: "status:" + strconv.FormatInt(st.ID, 10), Detail: st.Name})
	s.flash(w, r, s.t(r, "Saved."))
	http.Redirect(w, r, "/admin/crisis-statuses", http.StatusSeeOther)
}

func (s *Server) adminSaveStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	var err error
	action := "crisis.status.update"
	if r.PostFormValue("delete") == "1" {
		action = "crisis.status.delete"
		err = s.Crises.DeleteStatus(r.Context(), id)
	} else {
		err = s.Crises.UpdateStatus(r.Context(), id, readStatus(r))
	}
	fe := formErrors{}
	if fe.add(err) {
		s.renderStatuses(w, r, http.StatusUnprocessableEntity, crises.StatusInput{}, fe)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: action, Target: "status:" + strconv.FormatInt(id, 10)})
	s.flash(w, r, s.t(r, "Saved."))
	http.Redirect(w, r, "/admin/crisis-statuses", http.StatusSeeOther)
}
