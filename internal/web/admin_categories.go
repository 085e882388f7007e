package web

import (
	"net/http"
	"strconv"
	"strings"

	"coalition/internal/audit"
	"coalition/internal/content"
	"coalition/internal/errs"
)

type adminCategoriesPage struct {
	Base
	Categories []content.Category
	Form       content.Category
	Error      string
	ErrorField string
	ErrorID    int64 // the category whose row shows the error (0: the new-category form)
}

func (s *Server) renderCategories(w http.ResponseWriter, r *http.Request, status int, p *adminCategoriesPage) {
	cats, err := s.Content.Categories(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Base = s.adminBase(w, r, s.t(r, "Categories"), "categories")
	p.Categories = cats
	s.render(w, r, status, "admin/categories", p)
}

// adminCategories lists categories with forms to edit them and add one.
func (s *Server) adminCategories(w http.ResponseWriter, r *http.Request) {
	s.renderCategories(w, r, http.StatusOK, &adminCategoriesPage{})
}

func categoryForm(r *http.Request) content.Category {
	pos, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue("position"))) //nolint:errcheck // 0 when empty
	return content.Category{Name: r.PostFormValue("name"), Slug: r.PostFormValue("slug"), Description: r.PostFormValue("description"),
		Position: pos, TOC: r.PostFormValue("toc") != ""}
}

// adminCreateCategory adds a category.
func (s *Server) adminCreateCategory(w http.ResponseWriter, r *http.Request) {
	c, err := s.Content.SaveCategory(r.Context(), categoryForm(r))
	if ie, ok := errs.AsInvalid(err); ok {
		s.renderCategories(w, r, http.StatusUnprocessableEntity, &adminCategoriesPage{Form: categoryForm(r), Error: ie.Msg, ErrorField: ie.Field})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "category.create", Target: "category:" + strconv.FormatInt(c.ID, 10), Detail: c.Name})
	s.flash(w, r, s.t(r, "Category “%s” added.", c.Name))
	http.Redirect(w, r, "/admin/categories", http.StatusSeeOther)
}

// adminUpdateCategory saves one category's name, description, order and
// contents-list setting.
func (s *Server) adminUpdateCategory(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	f := categoryForm(r)
	f.ID = id
	c, err := s.Content.SaveCategory(r.Context(), f)
	if ie, ok := errs.AsInvalid(err); ok {
		s.renderCategories(w, r, http.StatusUnprocessableEntity, &adminCategoriesPage{Error: ie.Msg, ErrorField: ie.Field, ErrorID: id})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "category.update", Target: "category:" + strconv.FormatInt(c.ID, 10), Detail: c.Name})
	s.flash(w, r, s.t(r, "Category “%s” saved.", c.Name))
	http.Redirect(w, r, "/admin/categories", http.StatusSeeOther)
}

// adminDeleteCategory removes an empty category.
func (s *Server) adminDeleteCategory(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := s.Content.DeleteCategory(r.Context(), id)
	if ie, ok := errs.AsInvalid(err); ok {
		s.renderCategories(w, r, http.StatusConflict, &adminCategoriesPage{Error: ie.Msg, ErrorID: id})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "category.delete", Target: "category:" + strconv.FormatInt(id, 10)})
	s.flash(w, r, s.t(r, "Category deleted."))
	http.Redirect(w, r, "/admin/categories", http.StatusSeeOther)
}
