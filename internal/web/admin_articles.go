package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"coalition/internal/audit"
	"coalition/internal/content"
	"coalition/internal/errs"
	"coalition/internal/media"
	"coalition/internal/places"
	"coalition/internal/render"
	"coalition/internal/slug"
)

// kindOf tells from the path whether an admin request is about articles or
// pages (both share the handlers).
func kindOf(r *http.Request) content.Kind {
	if strings.HasPrefix(r.URL.Path, "/admin/pages") {
		return content.KindPage
	}
	return content.KindArticle
}

func adminListURL(k content.Kind) string {
	if k == content.KindPage {
		return "/admin/pages"
	}
	return "/admin/articles"
}

func adminEditURL(a content.Article) string {
	return adminListURL(a.Kind) + "/" + strconv.FormatInt(a.ID, 10)
}

type adminArticlesPage struct {
	Base
	Kind       content.Kind
	Articles   []content.Article
	Pager      Pager
	Status     string
	Query      string
	CategoryID int64
	Categories []content.Category
	Shadowed   map[int64]bool // pages hidden by a built-in route
	NewURL     string
}

// adminArticles lists articles (or pages) with filters.
func (s *Server) adminArticles(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	kind := kindOf(r)
	q := r.URL.Query()
	title := s.t(r, "Articles")
	if kind == content.KindPage {
		title = s.t(r, "Pages")
	}
	p := &adminArticlesPage{Base: s.adminBase(w, r, title, string(kind)+"s"), Kind: kind, Query: clipString(strings.TrimSpace(q.Get("q")), 100),
		NewURL: adminListURL(kind) + "/new", Shadowed: map[int64]bool{}}
	f := content.Filter{Kind: kind, Query: p.Query, Limit: 50}
	switch st := content.Status(q.Get("status")); st {
	case content.StatusDraft, content.StatusScheduled, content.StatusPublished:
		f.Status, p.Status = st, string(st)
	}
	if id, err := strconv.ParseInt(q.Get("category"), 10, 64); err == nil && id > 0 {
		f.CategoryID, p.CategoryID = id, id
	}
	pg := pageParam(r)
	f.Offset = (pg - 1) * f.Limit
	as, total, err := s.Content.List(ctx, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Articles, p.Pager = as, s.newPager(r, pg, f.Limit, total)
	if kind == content.KindArticle {
		if p.Categories, err = s.Content.Categories(ctx); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	for _, a := range as {
		if a.Kind == content.KindPage && s.reservedSlug(a.Slug) {
			p.Shadowed[a.ID] = true
		}
	}
	s.render(w, r, http.StatusOK, "admin/articles", p)
}

// articleForm is the editor's form as typed.
type articleForm struct {
	Title, Slug, Summary, Body, Author string
	CategoryID                         int64
	Status, Visibility                 string
	PublishAt                          string // "2006-01-02T15:04", UTC
	CoverID                            int64
	CoverAlt                           string
	BaseRevision                       int
	Countries                          string
	TagIDs                             map[int64]bool
	NewThemes, NewCrises               string
}

type articleEditPage struct {
	Base
	Kind        content.Kind
	A           content.Article // the stored version (ID 0 when new)
	Form        articleForm
	Action      string
	ListURL     string
	Categories  []content.Category
	Regions     []places.Tag
	Themes      []places.Tag
	Crises      []places.Tag
	Cover       media.Image
	HasCover    bool
	Error       string
	ErrorField  string
	Notice      string
	Previewing  bool
	PreviewHTML template.HTML
	PreviewTOC  []render.TOCEntry
	OldSlugs    []string
	MaxUploadMB int
	Shadowed    bool
	Statuses    []string
	BodyMax     int
}

const formTime = "2006-01-02T15:04"

func formFromArticle(a content.Article) articleForm {
	f := articleForm{Title: a.Title, Slug: a.Slug, Summary: a.Summary, Body: a.Body, Author: a.AuthorName, CategoryID: a.CategoryID,
		Status: string(a.Status), Visibility: string(a.Visibility), CoverID: a.CoverID, CoverAlt: a.CoverAlt, BaseRevision: a.Revision,
		Countries: countriesText(a.Tags), TagIDs: map[int64]bool{}}
	if !a.PublishAt.IsZero() {
		f.PublishAt = a.PublishAt.UTC().Format(formTime)
	}
	for _, t := range a.Tags {
		f.TagIDs[t.ID] = true
	}
	return f
}

func (s *Server) editPage(w http.ResponseWriter, r *http.Request, kind content.Kind, a content.Article, f articleForm) (*articleEditPage, error) {
	ctx := r.Context()
	title := s.t(r, "New article")
	switch {
	case a.ID != 0:
		title = s.t(r, "Edit: %s", a.Title)
	case kind == content.KindPage:
		title = s.t(r, "New page")
	}
	p := &articleEditPage{Base: s.adminBase(w, r, title, string(kind)+"s"), Kind: kind, A: a, Form: f, ListURL: adminListURL(kind),
		MaxUploadMB: s.Config.MaxUploadMB, BodyMax: render.MaxSource}
	p.Action = adminListURL(kind)
	if a.ID != 0 {
		p.Action = adminEditURL(a)
	}
	if f.TagIDs == nil {
		p.Form.TagIDs = map[int64]bool{}
	}
	var err error
	if kind == content.KindArticle {
		if p.Categories, err = s.Content.Categories(ctx); err != nil {
			return nil, err
		}
		for _, k := range []places.Kind{places.KindRegion, places.KindGrouping} {
			ts, err := s.Places.List(ctx, k)
			if err != nil {
				return nil, err
			}
			p.Regions = append(p.Regions, ts...)
		}
		if p.Themes, err = s.Places.List(ctx, places.KindTheme); err != nil {
			return nil, err
		}
		if p.Crises, err = s.Places.List(ctx, places.KindCrisis); err != nil {
			return nil, err
		}
	}
	if f.CoverID != 0 {
		if im, err := s.Media.Get(ctx, f.CoverID); err == nil {
			p.Cover, p.HasCover = im, true
		}
	}
	if a.ID != 0 {
		if p.OldSlugs, err = s.Content.OldSlugs(ctx, a.ID); err != nil {
			return nil, err
		}
		p.Shadowed = kind == content.KindPage && s.reservedSlug(a.Slug)
	}
	return p, nil
}

// adminNewArticle shows an empty editor.
func (s *Server) adminNewArticle(w http.ResponseWriter, r *http.Request) {
	kind := kindOf(r)
	f := articleForm{Status: string(content.StatusDraft), Visibility: string(content.Public), TagIDs: map[int64]bool{}}
	if u := userFrom(r.Context()); u != nil {
		f.Author = u.DisplayName()
	}
	if kind == content.KindArticle {
		if id, err := strconv.ParseInt(r.URL.Query().Get("category"), 10, 64); err == nil {
			f.CategoryID = id
		}
	}
	p, err := s.editPage(w, r, kind, content.Article{Kind: kind}, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin/article_edit", p)
}

// adminArticleByPath loads the article of an admin URL, checking it is of
// the kind the URL says.
func (s *Server) adminArticleByPath(w http.ResponseWriter, r *http.Request) (content.Article, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return content.Article{}, false
	}
	a, err := s.Content.ByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return a, false
	}
	if a.Kind != kindOf(r) {
		http.Redirect(w, r, adminEditURL(a), http.StatusSeeOther)
		return a, false
	}
	return a, true
}

// adminEditArticle shows the editor for a stored article or page.
func (s *Server) adminEditArticle(w http.ResponseWriter, r *http.Request) {
	a, ok := s.adminArticleByPath(w, r)
	if !ok {
		return
	}
	p, err := s.editPage(w, r, a.Kind, a, formFromArticle(a))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "admin/article_edit", p)
}

// readArticleForm reads the editor's form.
func readArticleForm(r *http.Request) articleForm {
	v := r.PostFormValue
	f := articleForm{Title: v("title"), Slug: v("slug"), Summary: v("summary"), Body: v("body"), Author: v("author"),
		Status: v("status"), Visibility: v("visibility"), PublishAt: strings.TrimSpace(v("publish_at")), CoverAlt: v("cover_alt"),
		Countries: v("countries"), NewThemes: v("new_themes"), NewCrises: v("new_crises"), TagIDs: map[int64]bool{}}
	f.CategoryID, _ = strconv.ParseInt(v("category"), 10, 64) //nolint:errcheck // 0 means none; validated later
	f.CoverID, _ = strconv.ParseInt(v("cover_id"), 10, 64)    //nolint:errcheck // 0 means none
	f.BaseRevision, _ = strconv.Atoi(v("base_revision"))      //nolint:errcheck // 0 means new
	if v("remove_cover") != "" {
		f.CoverID, f.CoverAlt = 0, ""
	}
	for _, raw := range r.PostForm["tag"] {
		if id, err := strconv.ParseInt(raw, 10, 64); err == nil && id > 0 {
			f.TagIDs[id] = true
		}
	}
	return f
}

// uploadedFile returns the file in a multipart field, if one was chosen.
func uploadedFile(r *http.Request, field string) (multipart.File, *multipart.FileHeader, bool) {
	if r.MultipartForm == nil {
		return nil, nil, false
	}
	fhs := r.MultipartForm.File[field]
	if len(fhs) == 0 || fhs[0].Size == 0 {
		return nil, nil, false
	}
	f, err := fhs[0].Open()
	if err != nil {
		return nil, nil, false
	}
	return f, fhs[0], true
}

func (s *Server) uploadImage(r *http.Request, field string) (media.Image, bool, error) {
	f, fh, ok := uploadedFile(r, field)
	if !ok {
		return media.Image{}, false, nil
	}
	defer f.Close()
	var by int64
	if u := userFrom(r.Context()); u != nil {
		by = u.ID
	}
	im, err := s.Media.Upload(r.Context(), f, fh.Filename, int64(s.Config.MaxUploadMB)<<20, by)
	if err != nil {
		return im, false, err
	}
	s.audit(r, audit.Entry{Action: "media.upload", Target: "media:" + strconv.FormatInt(im.ID, 10), Detail: im.Name})
	return im, true, nil
}

// toInput turns the form into the content service's input, creating new
// themes and crises and resolving countries on the way.
func (s *Server) toInput(ctx context.Context, r *http.Request, kind content.Kind, f *articleForm) (content.Input, error) {
	in := content.Input{Kind: kind, CategoryID: f.CategoryID, Title: f.Title, Slug: f.Slug, Summary: f.Summary, Body: f.Body,
		AuthorName: f.Author, CoverID: f.CoverID, CoverAlt: f.CoverAlt, Status: content.Status(f.Status),
		Visibility: content.Visibility(f.Visibility), BaseRevision: f.BaseRevision}
	if u := userFrom(ctx); u != nil {
		in.Editor = content.Editor{ID: u.ID, Name: u.DisplayName()}
	}
	if f.PublishAt != "" {
		t, err := time.ParseInLocation(formTime, f.PublishAt, time.UTC)
		if err != nil {
			if t, err = time.ParseInLocation("2006-01-02", f.PublishAt, time.UTC); err != nil {
				return in, errs.Invalid("publish_at", s.t(r, "Enter the publication date and time like 2026-11-29 09:30."))
			}
		}
		in.PublishAt = t
	}
	if kind != content.KindArticle {
		return in, nil
	}
	for id := range f.TagIDs {
		t, err := s.Places.ByID(ctx, id)
		if errors.Is(err, errs.ErrNotFound) || err == nil && t.Kind == places.KindCountry {
			delete(f.TagIDs, id) // gone since the form was shown; countries come from the text field
			continue
		}
		if err != nil {
			return in, err
		}
		in.TagIDs = append(in.TagIDs, id)
	}
	ids, unknown, err := s.parseCountries(ctx, f.Countries)
	if err != nil {
		return in, err
	}
	if len(unknown) > 0 {
		return in, errs.Invalid("countries", s.t(r, "We do not recognise: %s. Use the country's name or its three-letter ISO code, like SDN for Sudan.", strings.Join(unknown, ", ")))
	}
	in.TagIDs = append(in.TagIDs, ids...)
	for _, nt := range []struct {
		raw  string
		kind places.Kind
	}{{f.NewThemes, places.KindTheme}, {f.NewCrises, places.KindCrisis}} {
		for _, name := range strings.Split(nt.raw, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			t, err := s.Places.Create(ctx, nt.kind, name, "")
			if ie, ok := errs.AsInvalid(err); ok && ie.Field == "name" && strings.Contains(ie.Msg, "already") {
				// Already there: use it.
				var gerr error
				if t, gerr = s.Places.Get(ctx, nt.kind, slug.Make(name, 80)); gerr != nil {
					return in, err
				}
			} else if ie, ok := errs.AsInvalid(err); ok {
				return in, errs.Invalid("new_"+string(nt.kind), ie.Msg)
			} else if err != nil {
				return in, err
			}
			in.TagIDs = append(in.TagIDs, t.ID)
			f.TagIDs[t.ID] = true
		}
	}
	f.NewThemes, f.NewCrises = "", ""
	return in, nil
}

// adminSaveArticle handles the editor's form: save, preview, or add an
// image to the text (the last two without saving, so they work without
// JavaScript and lose nothing).
func (s *Server) adminSaveArticle(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	kind := kindOf(r)
	var stored content.Article
	if r.PathValue("id") != "" {
		var ok bool
		if stored, ok = s.adminArticleByPath(w, r); !ok {
			return
		}
	} else {
		stored = content.Article{Kind: kind}
	}
	f := readArticleForm(r)
	show := func(status int, field, msg, notice string, preview bool) {
		p, err := s.editPage(w, r, kind, stored, f)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Error, p.ErrorField, p.Notice = msg, field, notice
		if preview {
			doc, err := render.Markdown(f.Body, s.renderOptions(ctx))
			if err == nil {
				p.Previewing, p.PreviewHTML = true, doc.HTML
				if kind == content.KindArticle && s.categoryTOC(ctx, f.CategoryID) && len(doc.Headings) >= 2 {
					p.PreviewTOC = render.TOC(doc.Headings)
				}
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		s.render(w, r, status, "admin/article_edit", p)
	}
	// A new cover travels with any action.
	if im, ok, err := s.uploadImage(r, "cover_file"); err != nil {
		if ie, ok := errs.AsInvalid(err); ok {
			show(http.StatusBadRequest, "cover", ie.Msg, "", false)
			return
		}
		s.fail(w, r, err)
		return
	} else if ok {
		f.CoverID = im.ID
	}
	switch r.PostFormValue("action") {
	case "preview":
		show(http.StatusOK, "", "", s.t(r, "This is a preview: nothing has been saved yet."), true)
		return
	case "insert_image":
		im, ok, err := s.uploadImage(r, "image_file")
		if ie, isInvalid := errs.AsInvalid(err); isInvalid {
			show(http.StatusBadRequest, "image", ie.Msg, "", false)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !ok {
			show(http.StatusBadRequest, "image", s.t(r, "Choose an image file to add."), "", false)
			return
		}
		alt := strings.TrimSpace(r.PostFormValue("image_alt"))
		f.Body = strings.TrimRight(f.Body, "\n") + "\n\n" + im.Markdown(alt) + "\n"
		msg := s.t(r, "The image was added at the end of the text. Move it where you want it, then save.")
		if alt == "" {
			msg += " " + s.t(r, "Describe it between the square brackets for people who cannot see it.")
		}
		show(http.StatusOK, "", "", msg, false)
		return
	}
	in, err := s.toInput(ctx, r, kind, &f)
	if ie, ok := errs.AsInvalid(err); ok {
		show(http.StatusUnprocessableEntity, ie.Field, ie.Msg, "", false)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var a content.Article
	if stored.ID == 0 {
		a, err = s.Content.Create(ctx, in, s.reservedSlug)
	} else {
		a, err = s.Content.Update(ctx, stored.ID, in, s.reservedSlug)
	}
	if ie, ok := errs.AsInvalid(err); ok {
		if ie.Field == "revision" {
			// Keep what they typed; the stored version has moved on.
			if cur, gerr := s.Content.ByID(ctx, stored.ID); gerr == nil {
				stored = cur
			}
		}
		show(http.StatusUnprocessableEntity, ie.Field, ie.Msg, "", false)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	action := string(kind) + ".update"
	switch {
	case a.Status == content.StatusPublished && stored.Status != content.StatusPublished:
		action = string(kind) + ".publish"
	case stored.ID == 0:
		action = string(kind) + ".create"
	}
	detail := a.Title + " (" + string(a.Status) + ")"
	s.audit(r, audit.Entry{Action: action, Target: "article:" + strconv.FormatInt(a.ID, 10), Detail: detail})
	switch {
	case a.Status == content.StatusPublished && stored.Status != content.StatusPublished:
		s.flash(w, r, s.t(r, "Published. It is live at %s.", a.Path()))
	case a.Status == content.StatusScheduled:
		s.flash(w, r, s.t(r, "Saved. It will be published on %s.", s.locale(r).DateTime(a.PublishAt)))
	default:
		s.flash(w, r, s.t(r, "Saved (revision %d).", a.Revision))
	}
	http.Redirect(w, r, adminEditURL(a), http.StatusSeeOther)
}

func (s *Server) categoryTOC(ctx context.Context, id int64) bool {
	if id == 0 {
		return false
	}
	c, err := s.Content.Category(ctx, id)
	return err == nil && c.TOC
}

// adminPreviewFragment renders Markdown for the editor's live preview
// (JavaScript only; the Preview button does the same without it).
func (s *Server) adminPreviewFragment(w http.ResponseWriter, r *http.Request) {
	body := r.PostFormValue("body")
	doc, err := render.Markdown(body, s.renderOptions(r.Context()))
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = w.Write([]byte(s.t(r, "The text is too long to preview."))) //nolint:errcheck // client gone
		return
	}
	var toc []render.TOCEntry
	if cid, err := strconv.ParseInt(r.PostFormValue("category"), 10, 64); err == nil && s.categoryTOC(r.Context(), cid) && len(doc.Headings) >= 2 {
		toc = render.TOC(doc.Headings)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := previewTmpl.Execute(w, map[string]any{"TOC": toc, "HTML": doc.HTML, "TOCLabel": s.t(r, "In this issue")}); err != nil {
		s.Log.Warn("preview", "err", err)
	}
}

var previewTmpl = template.Must(template.New("preview").Parse(`{{if .TOC}}<nav class="toc" aria-label="{{.TOCLabel}}"><h2>{{.TOCLabel}}</h2>{{template "toc" .TOC}}</nav>{{end}}<div class="prose">{{.HTML}}</div>{{define "toc"}}<ol>{{range .}}<li><a href="#{{.ID}}">{{.Text}}</a>{{with .Sub}}<ol>{{range .}}<li><a href="#{{.ID}}">{{.Text}}</a></li>{{end}}</ol>{{end}}</li>{{end}}</ol>{{end}}`))

// adminPreviewArticle shows the stored version as readers would see it,
// whatever its status (draft preview, for staff only).
func (s *Server) adminPreviewArticle(w http.ResponseWriter, r *http.Request) {
	a, ok := s.adminArticleByPath(w, r)
	if !ok {
		return
	}
	s.showArticle(w, r, a, true)
}

// adminDeleteArticle deletes an article or page after confirmation.
func (s *Server) adminDeleteArticle(w http.ResponseWriter, r *http.Request) {
	a, ok := s.adminArticleByPath(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.errorPage(w, r, http.StatusBadRequest, s.t(r, "Tick the box to confirm that you want to delete “%s”.", a.Title))
		return
	}
	if err := s.Content.Delete(r.Context(), a.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: string(a.Kind) + ".delete", Target: "article:" + strconv.FormatInt(a.ID, 10), Detail: a.Title})
	s.flash(w, r, s.t(r, "Deleted “%s”.", a.Title))
	http.Redirect(w, r, adminListURL(a.Kind), http.StatusSeeOther)
}

type revisionsPage struct {
	Base
	A         content.Article
	Revisions []content.Revision
	EditURL   string
}

// adminRevisions lists an article's revisions with compare and restore.
func (s *Server) adminRevisions(w http.ResponseWriter, r *http.Request) {
	a, ok := s.adminArticleByPath(w, r)
	if !ok {
		return
	}
	revs, err := s.Content.Revisions(r.Context(), a.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &revisionsPage{Base: s.adminBase(w, r, s.t(r, "Revisions: %s", a.Title), string(a.Kind)+"s"), A: a, Revisions: revs, EditURL: adminEditURL(a)}
	s.render(w, r, http.StatusOK, "admin/revisions", p)
}

type compareField struct {
	Label   string
	Lines   []DiffLine
	Changed bool
}

type comparePage struct {
	Base
	A        content.Article
	From, To content.Revision
	Fields   []compareField
	EditURL  string
}

// adminCompareRevisions shows what changed between two revisions.
func (s *Server) adminCompareRevisions(w http.ResponseWriter, r *http.Request) {
	a, ok := s.adminArticleByPath(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	from, err1 := strconv.Atoi(r.URL.Query().Get("from"))
	to, err2 := strconv.Atoi(r.URL.Query().Get("to"))
	if err1 != nil || err2 != nil {
		s.errorPage(w, r, http.StatusBadRequest, s.t(r, "Choose two revisions to compare."))
		return
	}
	if from > to {
		from, to = to, from
	}
	rf, err := s.Content.Revision(ctx, a.ID, from)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rt, err := s.Content.Revision(ctx, a.ID, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &comparePage{Base: s.adminBase(w, r, s.t(r, "Compare revisions %d and %d", from, to), string(a.Kind)+"s"), A: a, From: rf, To: rt, EditURL: adminEditURL(a)}
	for _, fl := range []struct{ label, a, b string }{
		{s.t(r, "Title"), rf.Title, rt.Title},
		{s.t(r, "Address"), rf.Slug, rt.Slug},
		{s.t(r, "Summary"), rf.Summary, rt.Summary},
		{s.t(r, "Text"), rf.Body, rt.Body},
		{s.t(r, "Cover description"), rf.CoverAlt, rt.CoverAlt},
		{s.t(r, "Status"), string(rf.Status), string(rt.Status)},
	} {
		p.Fields = append(p.Fields, compareField{Label: fl.label, Lines: diffLines(fl.a, fl.b, 2), Changed: fl.a != fl.b})
	}
	s.render(w, r, http.StatusOK, "admin/revision_compare", p)
}

// adminRestoreRevision brings back an old revision's text as a new revision.
func (s *Server) adminRestoreRevision(w http.ResponseWriter, r *http.Request) {
	a, ok := s.adminArticleByPath(w, r)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		s.notFound(w, r)
		return
	}
	u := userFrom(r.Context())
	na, err := s.Content.Restore(r.Context(), a.ID, n, content.Editor{ID: u.ID, Name: u.DisplayName()}, s.reservedSlug)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: string(a.Kind) + ".restore", Target: "article:" + strconv.FormatInt(a.ID, 10), Detail: fmt.Sprintf("revision %d", n)})
	s.flash(w, r, s.t(r, "Restored the text of revision %d as revision %d.", n, na.Revision))
	http.Redirect(w, r, adminEditURL(na), http.StatusSeeOther)
}
