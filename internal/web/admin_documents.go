package web

import (
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"coalition/internal/audit"
	"coalition/internal/errs"
	"coalition/internal/library"
	"coalition/internal/places"
)

type adminDocumentsPage struct {
	Base
	Docs   []library.Document
	Pager  Pager
	State  string
	Query  string
	Counts map[string]int
	States []stateOption
	Types  map[string]string
}

type stateOption struct {
	Value, Label string
	Count        int
}

func (s *Server) stateLabel(r *http.Request, st string) string {
	switch st {
	case library.StatePending:
		return s.t(r, "Waiting for text extraction")
	case library.StateRunning:
		return s.t(r, "Extracting text")
	case library.StateDone:
		return s.t(r, "Text extracted")
	case library.StateEmpty:
		return s.t(r, "No text extracted")
	case library.StateFailed:
		return s.t(r, "Extraction failed")
	case library.StateNone:
		return s.t(r, "Link (no file)")
	}
	return st
}

func (s *Server) adminDocuments(w http.ResponseWriter, r *http.Request) {
	pg := pageParam(r)
	const per = 50
	state := r.URL.Query().Get("state")
	q := clipString(r.URL.Query().Get("q"), 200)
	docs, total, err := s.Library.List(r.Context(), library.ListFilter{State: state, Query: q, Limit: per, Offset: (pg - 1) * per})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	counts, err := s.Library.StateCounts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	types, err := s.Library.ListTypes(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminDocumentsPage{Base: s.adminBase(w, r, s.t(r, "Documents"), "documents"), Docs: docs, Pager: s.newPager(r, pg, per, total),
		State: state, Query: q, Counts: counts, Types: map[string]string{}}
	for _, t := range types {
		p.Types[t.Slug] = t.Name
	}
	for _, st := range []string{library.StatePending, library.StateRunning, library.StateDone, library.StateEmpty, library.StateFailed, library.StateNone} {
		p.States = append(p.States, stateOption{Value: st, Label: s.stateLabel(r, st), Count: counts[st]})
	}
	s.render(w, r, http.StatusOK, "admin/documents", p)
}

// documentForm is the add/edit form's state.
type documentForm struct {
	Base
	Doc       *library.Document // nil when adding
	In        library.Input
	Types     []library.Type
	Countries []places.Tag
	Themes    []places.Tag
	Crises    []places.Tag
	Selected  map[string]bool // "country:SYR", "theme:slug", "crisis:slug"
	// SelectedCountries are shown above the long list.
	SelectedCountries []places.Tag
	Errors            []string
	ErrorField        string
	MaxMB             int
	Preview           string
	StateLabel        string
	Results           []uploadResult
}

type uploadResult struct {
	Name  string
	ID    int64
	Error string
}

func (s *Server) documentFormPage(w http.ResponseWriter, r *http.Request, title string, doc *library.Document, in library.Input) (*documentForm, error) {
	p := &documentForm{Base: s.adminBase(w, r, title, "documents"), Doc: doc, In: in, Selected: map[string]bool{}, MaxMB: s.Config.MaxUploadMB}
	var err error
	if p.Types, err = s.Library.ListTypes(r.Context()); err != nil {
		return nil, err
	}
	if p.Countries, err = s.Places.List(r.Context(), places.KindCountry); err != nil {
		return nil, err
	}
	if p.Themes, err = s.Places.List(r.Context(), places.KindTheme); err != nil {
		return nil, err
	}
	if p.Crises, err = s.Places.List(r.Context(), places.KindCrisis); err != nil {
		return nil, err
	}
	for _, c := range in.Countries {
		p.Selected["country:"+strings.ToUpper(c)] = true
	}
	for _, c := range p.Countries {
		if p.Selected["country:"+c.Code] {
			p.SelectedCountries = append(p.SelectedCountries, c)
		}
	}
	for _, c := range in.Themes {
		p.Selected["theme:"+c] = true
	}
	for _, c := range in.Crises {
		p.Selected["crisis:"+c] = true
	}
	return p, nil
}

func inputFromDoc(d library.Document) library.Input {
	in := library.Input{Title: d.Title, Date: d.Date.UTC().Format("2006-01-02"), Type: d.Type, Source: d.Source, Language: d.Language,
		Summary: d.Summary, Access: d.Access, LinkURL: d.LinkURL, Countries: d.CountryCodes()}
	for _, t := range d.Themes() {
		in.Themes = append(in.Themes, t.Slug)
	}
	for _, t := range d.Crises() {
		in.Crises = append(in.Crises, t.Slug)
	}
	return in
}

func inputFromForm(r *http.Request) library.Input {
	f := r.PostForm
	if r.MultipartForm != nil {
		f = r.MultipartForm.Value
	}
	get := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	return library.Input{Title: get("title"), Date: get("date"), Type: get("type"), Source: get("source"), Language: get("language"),
		Summary: get("summary"), Access: get("access"), LinkURL: get("link"), Countries: f["countries"], Themes: f["themes"], Crises: f["crises"]}
}

func (s *Server) adminNewDocument(w http.ResponseWriter, r *http.Request) {
	in := library.Input{Date: s.Now().UTC().Format("2006-01-02"), Language: "en", Access: library.AccessPublic, Type: "statement"}
	p, err := s.documentFormPage(w, r, s.t(r, "Add documents"), nil, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin/document_form", p)
}

// wantsJSON reports whether the upload came from the enhancing script, which
// sends one file per request and shows progress.
func wantsJSON(r *http.Request) bool { return r.Header.Get("X-Requested-With") == "coalition-upload" }

// adminCreateDocuments adds one document per uploaded file (all with the
// form's details), or one linked document when no file is sent.
func (s *Server) adminCreateDocuments(w http.ResponseWriter, r *http.Request) {
	in := inputFromForm(r)
	var files []*multipart.FileHeader
	if r.MultipartForm != nil {
		files = r.MultipartForm.File["files"]
	}
	u := userFrom(r.Context())
	var results []uploadResult
	var firstErr error
	if len(files) == 0 {
		d, err := s.Library.Create(r.Context(), in, nil, u.ID)
		if err != nil {
			firstErr = err
		} else {
			results = append(results, uploadResult{Name: d.Title, ID: d.ID})
		}
	}
	for _, fh := range files {
		one := in
		if len(files) > 1 {
			one.Title = "" // each file names its own document
		}
		res := uploadResult{Name: fh.Filename}
		f, err := fh.Open()
		if err == nil {
			var d library.Document
			d, err = s.Library.Create(r.Context(), one, &library.File{Name: fh.Filename, Body: f}, u.ID)
			f.Close()
			res.ID = d.ID
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			res.Error = s.userMessage(r, err)
		}
		results = append(results, res)
	}
	added := 0
	for _, res := range results {
		if res.ID != 0 {
			added++
			s.audit(r, audit.Entry{Action: "document.create", Target: "document:" + strconv.FormatInt(res.ID, 10), Detail: res.Name})
		}
	}
	if wantsJSON(r) {
		if len(results) == 1 && results[0].ID != 0 {
			writeJSON(w, http.StatusCreated, map[string]any{"id": results[0].ID, "url": "/admin/documents/" + strconv.FormatInt(results[0].ID, 10), "name": results[0].Name})
			return
		}
		msg := s.userMessage(r, firstErr)
		status := http.StatusUnprocessableEntity
		if _, ok := errs.AsInvalid(firstErr); !ok && firstErr != nil {
			status = http.StatusInternalServerError
			if errors.Is(firstErr, errs.ErrUnavailable) {
				status = http.StatusServiceUnavailable
			}
		}
		writeJSON(w, status, map[string]any{"error": msg})
		return
	}
	if added == 0 {
		if _, ok := errs.AsInvalid(firstErr); !ok {
			s.fail(w, r, firstErr)
			return
		}
		p, err := s.documentFormPage(w, r, s.t(r, "Add documents"), nil, in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Results = results
		if ie, ok := errs.AsInvalid(firstErr); ok {
			p.ErrorField = ie.Field
			if len(files) <= 1 {
				p.Errors = []string{ie.Msg}
				p.Results = nil
			}
		}
		s.render(w, r, http.StatusUnprocessableEntity, "admin/document_form", p)
		return
	}
	msg := s.t(r, "%d documents added; their text is being extracted.", added)
	if added == 1 {
		msg = s.t(r, "Document added; its text is being extracted.")
	}
	for _, res := range results {
		if res.Error != "" {
			msg += " " + s.t(r, "Not added: %s", res.Error)
		}
	}
	s.flash(w, r, msg)
	if added == 1 && len(results) == 1 {
		http.Redirect(w, r, "/admin/documents/"+strconv.FormatInt(results[0].ID, 10), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin/documents", http.StatusSeeOther)
}

// userMessage is an error as the person who caused it should read it.
func (s *Server) userMessage(r *http.Request, err error) string {
	if err == nil {
		return ""
	}
	if ie, ok := errs.AsInvalid(err); ok {
		return ie.Msg
	}
	if errors.Is(err, errs.ErrUnavailable) {
		return s.t(r, "The server cannot save files right now. Nothing was saved; please try again later.")
	}
	s.Log.Error("document upload", "err", err)
	return s.t(r, "Something went wrong while saving; the problem has been logged.")
}

func (s *Server) adminEditDocument(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	d, err := s.Library.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.documentFormPage(w, r, d.Title, &d, inputFromDoc(d))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.StateLabel = s.stateLabel(r, d.ExtractState)
	if text, err := s.Library.Text(r.Context(), id); err == nil {
		p.Preview = clipString(text, 3000)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "admin/document_form", p)
}

func (s *Server) adminUpdateDocument(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	in := inputFromForm(r)
	var file *library.File
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["files"]; len(fhs) > 0 {
			f, err := fhs[0].Open()
			if err != nil {
				s.fail(w, r, fmt.Errorf("open upload: %w", err))
				return
			}
			defer f.Close()
			file = &library.File{Name: fhs[0].Filename, Body: f}
		}
	}
	d, err := s.Library.Update(r.Context(), id, in, file)
	if ie, ok := errs.AsInvalid(err); ok {
		old, gerr := s.Library.Get(r.Context(), id)
		if gerr != nil {
			s.fail(w, r, gerr)
			return
		}
		p, perr := s.documentFormPage(w, r, old.Title, &old, in)
		if perr != nil {
			s.fail(w, r, perr)
			return
		}
		p.Errors, p.ErrorField = []string{ie.Msg}, ie.Field
		p.StateLabel = s.stateLabel(r, old.ExtractState)
		s.render(w, r, http.StatusUnprocessableEntity, "admin/document_form", p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "document.update", Target: "document:" + strconv.FormatInt(d.ID, 10)})
	s.flash(w, r, s.t(r, "Document saved."))
	http.Redirect(w, r, "/admin/documents/"+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
}

func (s *Server) adminRetryExtraction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if err := s.Library.Retry(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "document.extract", Target: "document:" + strconv.FormatInt(id, 10)})
	s.flash(w, r, s.t(r, "The text will be extracted again in a moment."))
	http.Redirect(w, r, "/admin/documents/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (s *Server) adminDeleteDocument(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	d, err := s.Library.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Library.Delete(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "document.delete", Target: "document:" + strconv.FormatInt(id, 10), Detail: d.Title})
	s.flash(w, r, s.t(r, "“%s” was deleted.", d.Title))
	http.Redirect(w, r, "/admin/documents", http.StatusSeeOther)
}
