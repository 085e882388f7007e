package web

import (
	"net/http"
	"strconv"

	"coalition/internal/audit"
	"coalition/internal/errs"
	"coalition/internal/library"
	"coalition/internal/places"
)

// adminTagsPage is /admin/tags: the coalition's regions, themes, crises and
// document types, which editors create, rename and delete.
type adminTagsPage struct {
	Base
	Groupings []tagRow
	Themes    []tagRow
	Crises    []tagRow
	Types     []library.Type
	Error     string
	ErrorKind string
}

type tagRow struct {
	places.Tag
	Countries int
}

func (s *Server) adminTags(w http.ResponseWriter, r *http.Request) {
	p, err := s.tagsPage(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin/tags", p)
}

func (s *Server) tagsPage(w http.ResponseWriter, r *http.Request) (*adminTagsPage, error) {
	p := &adminTagsPage{Base: s.adminBase(w, r, s.t(r, "Regions, themes and crises"), "tags")}
	load := func(kind places.Kind) ([]tagRow, error) {
		ts, err := s.Places.List(r.Context(), kind)
		if err != nil {
			return nil, err
		}
		out := make([]tagRow, len(ts))
		for i, t := range ts {
			out[i] = tagRow{Tag: t}
			if kind == places.KindGrouping {
				cs, err := s.Places.GroupingCountries(r.Context(), t.ID)
				if err != nil {
					return nil, err
				}
				out[i].Countries = len(cs)
			}
		}
		return out, nil
	}
	var err error
	if p.Groupings, err = load(places.KindGrouping); err != nil {
		return nil, err
	}
	if p.Themes, err = load(places.KindTheme); err != nil {
		return nil, err
	}
	if p.Crises, err = load(places.KindCrisis); err != nil {
		return nil, err
	}
	if p.Types, err = s.Library.ListTypes(r.Context()); err != nil {
		return nil, err
	}
	return p, nil
}

// tagFormError shows the tags page again with a message.
func (s *Server) tagFormError(w http.ResponseWriter, r *http.Request, kind string, err error) {
	ie, ok := errs.AsInvalid(err)
	if !ok {
		s.fail(w, r, err)
		return
	}
	p, perr := s.tagsPage(w, r)
	if perr != nil {
		s.fail(w, r, perr)
		return
	}
	p.Error, p.ErrorKind = ie.Msg, kind
	s.render(w, r, http.StatusUnprocessableEntity, "admin/tags", p)
}

func (s *Server) adminCreateTag(w http.ResponseWriter, r *http.Request) {
	kind := r.PostFormValue("kind")
	name := r.PostFormValue("name")
	if kind == "type" {
		t, err := s.Library.CreateType(r.Context(), name)
		if err != nil {
			s.tagFormError(w, r, kind, err)
			return
		}
		s.forgetTags()
		s.audit(r, audit.Entry{Action: "doctype.create", Target: "doctype:" + t.Slug})
		s.flash(w, r, s.t(r, "Added “%s”.", t.Name))
		http.Redirect(w, r, "/admin/tags#types", http.StatusSeeOther)
		return
	}
	k, err := places.ParseKind(kind)
	if err == nil && !k.Editable() {
		err = errs.Invalid("kind", s.t(r, "Regions and countries come from the UN M49 data and cannot be added."))
	}
	if err != nil {
		s.tagFormError(w, r, kind, err)
		return
	}
	t, err := s.Places.Create(r.Context(), k, name, "")
	if err != nil {
		s.tagFormError(w, r, kind, err)
		return
	}
	s.forgetTags()
	s.audit(r, audit.Entry{Action: "tag.create", Target: "tag:" + strconv.FormatInt(t.ID, 10), Detail: string(k) + " " + t.Name})
	s.flash(w, r, s.t(r, "Added “%s”.", t.Name))
	if k == places.KindGrouping {
		http.Redirect(w, r, "/admin/tags/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin/tags#"+string(k), http.StatusSeeOther)
}

func (s *Server) adminRenameTag(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	t, err := s.Places.ByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Places.Rename(r.Context(), id, r.PostFormValue("name")); err != nil {
		s.tagFormError(w, r, string(t.Kind), err)
		return
	}
	s.forgetTags()
	s.audit(r, audit.Entry{Action: "tag.rename", Target: "tag:" + strconv.FormatInt(id, 10), Detail: r.PostFormValue("name")})
	s.flash(w, r, s.t(r, "Renamed."))
	http.Redirect(w, r, "/admin/tags#"+string(t.Kind), http.StatusSeeOther)
}

func (s *Server) adminDeleteTag(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	t, err := s.Places.ByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Places.Delete(r.Context(), id); err != nil {
		s.tagFormError(w, r, string(t.Kind), err)
		return
	}
	// The index's tags went with the tag (cascade); refresh the facets.
	if err := s.Search.Reexpand(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.forgetTags()
	s.audit(r, audit.Entry{Action: "tag.delete", Target: "tag:" + strconv.FormatInt(id, 10), Detail: t.Name})
	s.flash(w, r, s.t(r, "“%s” was deleted; documents tagged with it keep their other tags.", t.Name))
	http.Redirect(w, r, "/admin/tags#"+string(t.Kind), http.StatusSeeOther)
}

// adminGroupingPage is /admin/tags/{id}: a coalition region's countries,
// chosen with checkboxes grouped by UN region (works without JavaScript).
type adminGroupingPage struct {
	Base
	Tag     places.Tag
	Regions []groupingRegion
	Error   string
}

type groupingRegion struct {
	Name      string
	Countries []groupingCountry
}

type groupingCountry struct {
	places.Tag
	Checked bool
}

func (s *Server) adminGrouping(w http.ResponseWriter, r *http.Request) {
	s.renderGrouping(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderGrouping(w http.ResponseWriter, r *http.Request, status int, msg string, checked map[string]bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	t, err := s.Places.ByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if t.Kind != places.KindGrouping {
		s.notFound(w, r)
		return
	}
	if checked == nil {
		checked = map[string]bool{}
		cs, err := s.Places.GroupingCountries(r.Context(), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, c := range cs {
			checked[c.Code] = true
		}
	}
	c, err := s.loadTags(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminGroupingPage{Base: s.adminBase(w, r, t.Name, "tags"), Tag: t, Error: msg}
	for _, reg := range c.byKind[places.KindRegion] {
		gr := groupingRegion{Name: reg.Name}
		for _, ct := range c.byKind[places.KindCountry] {
			sub := c.byID[ct.ParentID]
			if sub.ParentID == reg.ID || ct.ParentID == reg.ID {
				gr.Countries = append(gr.Countries, groupingCountry{Tag: ct, Checked: checked[ct.Code]})
			}
		}
		p.Regions = append(p.Regions, gr)
	}
	s.render(w, r, status, "admin/grouping", p)
}

func (s *Server) adminSetGroupingCountries(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	codes := r.PostForm["countries"]
	if err := s.Places.SetGroupingCountries(r.Context(), id, codes); err != nil {
		if ie, ok := errs.AsInvalid(err); ok {
			checked := map[string]bool{}
			for _, c := range codes {
				checked[c] = true
			}
			s.renderGrouping(w, r, http.StatusUnprocessableEntity, ie.Msg, checked)
			return
		}
		s.fail(w, r, err)
		return
	}
	// Documents follow their countries into and out of the region.
	if err := s.Search.Reexpand(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "grouping.countries", Target: "tag:" + strconv.FormatInt(id, 10), Detail: strconv.Itoa(len(codes)) + " countries"})
	s.flash(w, r, s.t(r, "Countries saved."))
	http.Redirect(w, r, "/admin/tags/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (s *Server) adminRenameType(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if err := s.Library.RenameType(r.Context(), id, r.PostFormValue("name")); err != nil {
		s.tagFormError(w, r, "type", err)
		return
	}
	s.forgetTags()
	s.audit(r, audit.Entry{Action: "doctype.rename", Target: "doctype:" + strconv.FormatInt(id, 10), Detail: r.PostFormValue("name")})
	s.flash(w, r, s.t(r, "Renamed."))
	http.Redirect(w, r, "/admin/tags#types", http.StatusSeeOther)
}

func (s *Server) adminDeleteType(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if err := s.Library.DeleteType(r.Context(), id); err != nil {
		s.tagFormError(w, r, "type", err)
		return
	}
	s.forgetTags()
	s.audit(r, audit.Entry{Action: "doctype.delete", Target: "doctype:" + strconv.FormatInt(id, 10)})
	s.flash(w, r, s.t(r, "Type deleted."))
	http.Redirect(w, r, "/admin/tags#types", http.StatusSeeOther)
}
