package web

import (
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"coalition/internal/audit"
	"coalition/internal/errs"
	"coalition/internal/mail"
	"coalition/internal/places"
)

// subscriberStatuses are the status filter's choices (values of
// mail.SubscriberFilter.Status) with their labels.
var subscriberStatuses = []struct{ Value, Label string }{
	{"confirmed", "Confirmed"},
	{"unconfirmed", "Awaiting confirmation"},
	{"unsubscribed", "Unsubscribed from every list"},
	{"suppressed", "Suppressed (bounces, complaints)"},
}

// tagGroup is an optgroup of the followed-tag filter.
type tagGroup struct {
	Label string
	Tags  []places.Tag
}

// followKinds are the kinds of tag a subscriber may follow, in the order the
// filter offers them.
var followKinds = []struct {
	Kind  places.Kind
	Label string
}{
	{places.KindCrisis, "Crises"},
	{places.KindTheme, "Themes"},
	{places.KindGrouping, "Coalition regions"},
	{places.KindRegion, "Regions"},
	{places.KindSubregion, "Sub-regions"},
	{places.KindCountry, "Countries"},
}

func (s *Server) followGroups(r *http.Request) ([]tagGroup, error) {
	var out []tagGroup
	for _, k := range followKinds {
		ts, err := s.Places.List(r.Context(), k.Kind)
		if err != nil {
			return nil, err
		}
		if len(ts) > 0 {
			out = append(out, tagGroup{Label: s.t(r, k.Label), Tags: ts})
		}
	}
	return out, nil
}

// subscriberFilter reads the list's filters from the query; clean holds
// only the valid ones (for the export link and the pager).
func subscriberFilter(r *http.Request) (mail.SubscriberFilter, url.Values) {
	q := r.URL.Query()
	clean := url.Values{}
	f := mail.SubscriberFilter{Q: clipString(strings.TrimSpace(q.Get("q")), 200)}
	if f.Q != "" {
		clean.Set("q", f.Q)
	}
	if id, err := strconv.ParseInt(q.Get("list"), 10, 64); err == nil && id > 0 {
		f.ListID = id
		clean.Set("list", q.Get("list"))
	}
	for _, st := range subscriberStatuses {
		if q.Get("status") == st.Value {
			f.Status = st.Value
			clean.Set("status", st.Value)
		}
	}
	if id, err := strconv.ParseInt(q.Get("tag"), 10, 64); err == nil && id > 0 {
		f.TagID = id
		clean.Set("tag", q.Get("tag"))
	}
	return f, clean
}

type adminSubscribersPage struct {
	Base
	Rows      []mail.SubscriberRow
	Total     int
	Pager     Pager
	Filter    mail.SubscriberFilter
	Lists     []mail.List
	Statuses  []struct{ Value, Label string }
	TagGroups []tagGroup
	ExportURL string
	Filtered  bool
}

func (s *Server) adminSubscribers(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, clean := subscriberFilter(r)
	pg := pageParam(r)
	const per = 50
	f.Limit, f.Offset = per, (pg-1)*per
	rows, total, err := s.Mail.Subscribers(ctx, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lists, err := s.Mail.Lists(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	groups, err := s.followGroups(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminSubscribersPage{Base: s.adminBase(w, r, s.t(r, "Subscribers"), "subscribers"), Rows: rows, Total: total,
		Pager: s.newPager(r, pg, per, total), Filter: f, Lists: lists, Statuses: subscriberStatuses, TagGroups: groups,
		ExportURL: "/admin/subscribers/export.csv", Filtered: len(clean) > 0}
	if e := clean.Encode(); e != "" {
		p.ExportURL += "?" + e
	}
	s.render(w, r, http.StatusOK, "admin/subscribers", p)
}

// adminExportSubscribers streams the filtered subscribers as CSV.
func (s *Server) adminExportSubscribers(w http.ResponseWriter, r *http.Request) {
	f, _ := subscriberFilter(r)
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="subscribers-`+s.Now().UTC().Format("2006-01-02")+`.csv"`)
	h.Set("Cache-Control", "private, no-store")
	s.audit(r, audit.Entry{Action: "mail.subscribers.export", Detail: r.URL.RawQuery})
	cw := &countingWriter{w: w}
	if err := s.Mail.Export(r.Context(), cw, f); err != nil {
		if cw.n == 0 { // nothing sent yet: a proper error page
			h.Del("Content-Disposition")
			s.fail(w, r, err)
			return
		}
		// Headers are gone; the truncated file must not pass for a whole one.
		s.Log.Error("subscribers export", "err", err)
		panic(http.ErrAbortHandler)
	}
}

// countingWriter counts what went through to the client.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

type adminImportPage struct {
	Base
	Lists     []mail.List
	Chosen    map[int64]bool
	Confirmed bool
	Errors    formErrors
	Result    *mail.ImportResult
	FileName  string
}

func (s *Server) renderImport(w http.ResponseWriter, r *http.Request, status int, p *adminImportPage) {
	lists, err := s.Mail.Lists(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Base = s.adminBase(w, r, s.t(r, "Import subscribers"), "subscribers")
	p.Lists = lists
	if p.Chosen == nil {
		p.Chosen = map[int64]bool{}
	}
	if p.Errors == nil {
		p.Errors = formErrors{}
	}
	s.render(w, r, status, "admin/subscribers_import", p)
}

func (s *Server) adminImportForm(w http.ResponseWriter, r *http.Request) {
	s.renderImport(w, r, http.StatusOK, &adminImportPage{})
}

// formIDs reads the positive integers of a repeated form field.
func formIDs(vals []string) []int64 {
	var ids []int64
	seen := map[int64]bool{}
	for _, v := range vals {
		if id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && id > 0 && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
		if len(ids) >= 500 { // a form never has more; a hostile one gets no further
			break
		}
	}
	return ids
}

func idSet(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func (s *Server) adminImportSubscribers(w http.ResponseWriter, r *http.Request) {
	var listVals []string
	if r.MultipartForm != nil {
		listVals = r.MultipartForm.Value["lists"]
	} else {
		listVals = r.PostForm["lists"]
	}
	ids := formIDs(listVals)
	p := &adminImportPage{Chosen: idSet(ids), Confirmed: r.PostFormValue("confirmed") == "1", Errors: formErrors{}}
	var fh []*multipart.FileHeader
	if r.MultipartForm != nil {
		fh = r.MultipartForm.File["file"]
	}
	switch {
	case len(fh) == 0 || fh[0].Size == 0:
		p.Errors["file"] = s.t(r, "Choose a CSV file to import.")
	case len(ids) == 0:
		p.Errors["lists"] = s.t(r, "Choose at least one list for the addresses.")
	}
	if len(p.Errors) > 0 {
		s.renderImport(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	f, err := fh[0].Open()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	p.FileName = fh[0].Filename
	res, err := s.Mail.Import(r.Context(), f, ids, p.Confirmed)
	if p.Errors.add(err) {
		s.renderImport(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "mail.subscribers.import", Detail: clipString(p.FileName, 100) + ": " +
		strconv.Itoa(res.Added) + " added, " + strconv.Itoa(res.Updated) + " updated, " + strconv.Itoa(res.Skipped) + " skipped, " +
		strconv.Itoa(len(res.Errors)) + " failed" + map[bool]string{true: " (consent held)", false: ""}[p.Confirmed]})
	p.Result = &res
	s.renderImport(w, r, http.StatusOK, p)
}

type adminSubscriberPage struct {
	Base
	D       mail.SubscriberDetail
	Follows []places.Tag
}

func (s *Server) adminSubscriber(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	d, err := s.Mail.SubscriberByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &adminSubscriberPage{Base: s.adminBase(w, r, d.Subscriber.Email, "subscribers"), D: d}
	for _, tid := range d.Follows {
		if t, err := s.Places.ByID(r.Context(), tid); err == nil {
			p.Follows = append(p.Follows, t)
		}
	}
	s.render(w, r, http.StatusOK, "admin/subscriber", p)
}

func (s *Server) adminSubscriberAction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	action := r.PathValue("action")
	var msg string
	switch action {
	case "suppress":
		msg = s.t(r, "The address is suppressed: it gets no more mail.")
	case "unsuppress":
		msg = s.t(r, "The address receives mail again.")
	case "delete":
		if r.PostFormValue("confirm") != "1" {
			s.errorPage(w, r, http.StatusBadRequest, s.t(r, "Tick the box to confirm that the subscriber should be erased."))
			return
		}
		msg = s.t(r, "The subscriber and their consent record are erased.")
	default:
		s.notFound(w, r)
		return
	}
	if err := s.Mail.AdminUpdate(r.Context(), id, action); err != nil {
		if ie, ok := errs.AsInvalid(err); ok {
			s.errorPage(w, r, http.StatusUnprocessableEntity, ie.Msg)
			return
		}
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "mail.subscriber." + action, Target: "subscriber:" + strconv.FormatInt(id, 10)})
	s.flash(w, r, msg)
	if action == "delete" {
		http.Redirect(w, r, "/admin/subscribers", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin/subscribers/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
