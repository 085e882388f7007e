package web

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"coalition/internal/i18n"
	"coalition/internal/library"
	"coalition/internal/places"
	"coalition/internal/search"
)

// filterKeys are the listing parameters, in the order they appear in URLs
// and in the "active filters" line.
var filterKeys = []string{"q", "region", "grouping", "country", "theme", "crisis", "type", "year", "language", "source", "content", "sort"}

// listFilter is a listing's filters as read from the URL:
// /documents?region=africa&type=statement&year=2013.
type listFilter struct {
	vals url.Values // only the known, non-empty keys
	page int
	path string // the listing's path, for links
}

func readFilter(r *http.Request, path string) listFilter {
	q := r.URL.Query()
	f := listFilter{vals: url.Values{}, page: pageParam(r), path: path}
	for _, k := range filterKeys {
		v := strings.TrimSpace(q.Get(k))
		if len(v) > 1000 {
			v = clipString(v, 1000)
		}
		if v != "" {
			f.vals.Set(k, v)
		}
	}
	return f
}

func (f listFilter) get(k string) string { return f.vals.Get(k) }

// link is the listing URL with key set to value (or removed when value is
// empty), back on page 1.
func (f listFilter) link(key, value string) string {
	v := url.Values{}
	for k, vs := range f.vals {
		v[k] = vs
	}
	if value == "" {
		v.Del(key)
	} else {
		v.Set(key, value)
	}
	// Narrowing the geography clears the finer levels that may not fit.
	if key == "region" {
		v.Del("country")
	}
	if e := v.Encode(); e != "" {
		return f.path + "?" + e
	}
	return f.path
}

// query returns the encoded filters (for feed links).
func (f listFilter) query() string {
	if e := f.vals.Encode(); e != "" {
		return "?" + e
	}
	return ""
}

// tagCatalog holds every tag, for resolving filters and labelling facets.
type tagCatalog struct {
	byID   map[int64]places.Tag
	byKind map[places.Kind][]places.Tag
	types  []library.Type
}

// tagCache keeps the catalog for a few seconds: every listing needs it,
// and it changes only when editors change tags (which clears it here; other
// instances catch up within the TTL).
type tagCache struct {
	mu sync.Mutex
	c  *tagCatalog
	at time.Time
}

const tagCacheTTL = 10 * time.Second

// forgetTags drops the cached catalog after an editor changes tags or types.
func (s *Server) forgetTags() {
	s.tags.mu.Lock()
	s.tags.c = nil
	s.tags.mu.Unlock()
}

func (s *Server) loadTags(ctx context.Context) (*tagCatalog, error) {
	s.tags.mu.Lock()
	defer s.tags.mu.Unlock()
	if s.tags.c != nil && time.Since(s.tags.at) < tagCacheTTL {
		return s.tags.c, nil
	}
	c, err := s.readTags(ctx)
	if err != nil {
		return nil, err
	}
	s.tags.c, s.tags.at = c, time.Now()
	return c, nil
}

func (s *Server) readTags(ctx context.Context) (*tagCatalog, error) {
	c := &tagCatalog{byID: map[int64]places.Tag{}, byKind: map[places.Kind][]places.Tag{}}
	for _, k := range []places.Kind{places.KindRegion, places.KindSubregion, places.KindCountry, places.KindGrouping, places.KindTheme, places.KindCrisis} {
		ts, err := s.Places.List(ctx, k)
		if err != nil {
			return nil, err
		}
		c.byKind[k] = ts
		for _, t := range ts {
			c.byID[t.ID] = t
		}
	}
	types, err := s.Library.ListTypes(ctx)
	if err != nil {
		return nil, err
	}
	c.types = types
	return c, nil
}

func (c *tagCatalog) find(kind places.Kind, slugv string) (places.Tag, bool) {
	slugv = strings.ToLower(slugv)
	for _, t := range c.byKind[kind] {
		if t.Slug == slugv {
			return t, true
		}
	}
	return places.Tag{}, false
}

func (c *tagCatalog) typeName(slugv string) string {
	for _, t := range c.types {
		if t.Slug == slugv {
			return t.Name
		}
	}
	return slugv
}

// languageNames names the languages documents are usually in.
var languageNames = map[string]string{"en": "English", "fr": "French", "es": "Spanish", "ar": "Arabic", "zh": "Chinese", "ru": "Russian",
	"pt": "Portuguese", "de": "German", "it": "Italian", "nl": "Dutch", "tr": "Turkish", "fa": "Persian", "sw": "Swahili", "uk": "Ukrainian",
	"my": "Burmese", "am": "Amharic", "ha": "Hausa", "id": "Indonesian", "ja": "Japanese", "ko": "Korean", "hi": "Hindi", "ur": "Urdu"}

func languageName(code string) string {
	if n, ok := languageNames[code]; ok {
		return n
	}
	return strings.ToUpper(code)
}

// toQuery resolves the filters into a search query. Unknown values are
// reported as notes and ignored, never as errors.
func (s *Server) toQuery(r *http.Request, f listFilter, c *tagCatalog) (search.Query, []string) {
	q := search.Query{Text: f.get("q")}
	var notes []string
	add := func(kind places.Kind, key, label string) {
		v := f.get(key)
		if v == "" {
			return
		}
		if t, ok := c.find(kind, v); ok {
			q.Tags = append(q.Tags, t.ID)
			return
		}
		if kind == places.KindRegion {
			// region= also takes a sub-region, or a coalition region's slug.
			for _, k := range []places.Kind{places.KindSubregion, places.KindGrouping} {
				if t, ok := c.find(k, v); ok {
					q.Tags = append(q.Tags, t.ID)
					return
				}
			}
		}
		notes = append(notes, s.t(r, "There is no %s “%s”, so that filter was left out.", label, v))
	}
	add(places.KindRegion, "region", s.t(r, "region"))
	add(places.KindGrouping, "grouping", s.t(r, "coalition region"))
	add(places.KindCountry, "country", s.t(r, "country"))
	add(places.KindTheme, "theme", s.t(r, "theme"))
	add(places.KindCrisis, "crisis", s.t(r, "crisis"))
	q.Kind = strings.ToLower(f.get("type"))
	if y := f.get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 1000 || n > 3000 {
			notes = append(notes, s.t(r, "“%s” is not a year, so that filter was left out.", y))
		} else {
			q.Year = n
		}
	}
	q.Language = strings.ToLower(f.get("language"))
	q.Source = f.get("source")
	if f.get("sort") == "newest" {
		q.Sort = search.SortNewest
	}
	if u := userFrom(r.Context()); u != nil && (u.IsStaff() || u.OrganisationID != 0) {
		q.Members = true
	}
	return q, notes
}

// canSeeMembers reports whether the request may see members-only items.
func canSeeMembers(r *http.Request) bool {
	u := userFrom(r.Context())
	return u != nil && (u.IsStaff() || u.OrganisationID != 0)
}

// FacetOption is one value of a facet, as a link that adds (or, when
// selected, removes) it.
type FacetOption struct {
	Label    string
	Count    int
	URL      string
	Selected bool
	Children []FacetOption
}

// Facet is a group of options under a heading.
type Facet struct {
	Key     string
	Label   string
	Options []FacetOption
	More    []FacetOption // shown behind "more" (details element)
}

// ActiveFilter is a chosen filter with the link that removes it.
type ActiveFilter struct {
	Label, Value, RemoveURL string
}

func (s *Server) option(f listFilter, key, value, label string, n int) FacetOption {
	o := FacetOption{Label: label, Count: n, Selected: strings.EqualFold(f.get(key), value)}
	if o.Selected {
		o.URL = f.link(key, "")
	} else {
		o.URL = f.link(key, value)
	}
	return o
}

// buildFacets turns counts into facet groups.
func (s *Server) buildFacets(r *http.Request, f listFilter, c *tagCatalog, fc search.Facets, withItemTypes bool) []Facet {
	var out []Facet
	tagged := func(kind places.Kind, key, label string, parent int64) []FacetOption {
		var opts []FacetOption
		for _, t := range c.byKind[kind] {
			if parent != 0 && t.ParentID != parent {
				continue
			}
			if n := fc.Tags[t.ID]; n > 0 {
				v := t.Slug
				if kind == places.KindCountry {
					v = t.Code
				}
				opts = append(opts, s.option(f, key, v, t.Name, n))
			}
		}
		return opts
	}
	byCount := func(o []FacetOption) {
		sort.SliceStable(o, func(i, j int) bool { return o[i].Count > o[j].Count })
	}
	split := func(fa Facet, n int) Facet {
		if len(fa.Options) > n {
			// Keep a selected option visible.
			var keep, more []FacetOption
			for i, o := range fa.Options {
				if i < n || o.Selected {
					keep = append(keep, o)
				} else {
					more = append(more, o)
				}
			}
			fa.Options, fa.More = keep, more
		}
		return fa
	}
	if withItemTypes && len(fc.Types) > 0 {
		fa := Facet{Key: "content", Label: s.t(r, "Content")}
		for _, typ := range sortedKeys(fc.Types) {
			fa.Options = append(fa.Options, s.option(f, "content", typ, itemTypeLabel(r, s, typ), fc.Types[typ]))
		}
		out = append(out, fa)
	}
	// Geography: region → sub-region → country.
	geo := Facet{Key: "region", Label: s.t(r, "Region")}
	for _, reg := range c.byKind[places.KindRegion] {
		n := fc.Tags[reg.ID]
		if n == 0 {
			continue
		}
		o := s.option(f, "region", reg.Slug, reg.Name, n)
		sel := f.get("region")
		if sub, ok := c.find(places.KindSubregion, sel); ok && sub.ParentID == reg.ID {
			o.Selected = false
			o.URL = f.link("region", reg.Slug)
		}
		if o.Selected || (sel != "" && !strings.EqualFold(sel, reg.Slug) && isSubOf(c, sel, reg.ID)) {
			for _, sub := range c.byKind[places.KindSubregion] {
				if sub.ParentID != reg.ID || fc.Tags[sub.ID] == 0 {
					continue
				}
				so := s.option(f, "region", sub.Slug, sub.Name, fc.Tags[sub.ID])
				if so.Selected {
					so.URL = f.link("region", reg.Slug)
					so.Children = tagged(places.KindCountry, "country", "", sub.ID)
					byCount(so.Children)
				}
				o.Children = append(o.Children, so)
			}
			byCount(o.Children)
		}
		geo.Options = append(geo.Options, o)
	}
	byCount(geo.Options)
	if len(geo.Options) > 0 {
		out = append(out, geo)
	}
	countries := Facet{Key: "country", Label: s.t(r, "Country"), Options: tagged(places.KindCountry, "country", "", 0)}
	byCount(countries.Options)
	if len(countries.Options) > 0 {
		out = append(out, split(countries, 12))
	}
	if g := tagged(places.KindGrouping, "grouping", "", 0); len(g) > 0 {
		out = append(out, Facet{Key: "grouping", Label: s.t(r, "Coalition region"), Options: g})
	}
	if o := tagged(places.KindTheme, "theme", "", 0); len(o) > 0 {
		byCount(o)
		out = append(out, split(Facet{Key: "theme", Label: s.t(r, "Theme"), Options: o}, 12))
	}
	if o := tagged(places.KindCrisis, "crisis", "", 0); len(o) > 0 {
		byCount(o)
		out = append(out, split(Facet{Key: "crisis", Label: s.t(r, "Crisis"), Options: o}, 12))
	}
	if len(fc.Kinds) > 0 {
		fa := Facet{Key: "type", Label: s.t(r, "Type")}
		for _, k := range sortedKeys(fc.Kinds) {
			fa.Options = append(fa.Options, s.option(f, "type", k, c.typeName(k), fc.Kinds[k]))
		}
		byCount(fa.Options)
		out = append(out, fa)
	}
	if len(fc.Years) > 0 {
		fa := Facet{Key: "year", Label: s.t(r, "Year")}
		years := make([]int, 0, len(fc.Years))
		for y := range fc.Years {
			years = append(years, y)
		}
		sort.Sort(sort.Reverse(sort.IntSlice(years)))
		for _, y := range years {
			fa.Options = append(fa.Options, s.option(f, "year", strconv.Itoa(y), strconv.Itoa(y), fc.Years[y]))
		}
		out = append(out, split(fa, 10))
	}
	if len(fc.Languages) > 0 {
		fa := Facet{Key: "language", Label: s.t(r, "Language")}
		for _, k := range sortedKeys(fc.Languages) {
			fa.Options = append(fa.Options, s.option(f, "language", k, languageName(k), fc.Languages[k]))
		}
		byCount(fa.Options)
		out = append(out, fa)
	}
	if len(fc.Sources) > 0 {
		fa := Facet{Key: "source", Label: s.t(r, "Source")}
		for _, k := range sortedKeys(fc.Sources) {
			fa.Options = append(fa.Options, s.option(f, "source", k, k, fc.Sources[k]))
		}
		byCount(fa.Options)
		out = append(out, split(fa, 10))
	}
	return out
}

func isSubOf(c *tagCatalog, slugv string, regionID int64) bool {
	t, ok := c.find(places.KindSubregion, slugv)
	return ok && t.ParentID == regionID
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func itemTypeLabel(r *http.Request, s *Server, typ string) string {
	switch typ {
	case "document":
		return s.t(r, "Documents")
	case "article":
		return s.t(r, "News and articles")
	}
	if typ == "" {
		return ""
	}
	return strings.ToUpper(typ[:1]) + typ[1:]
}

// hitTypeLabel names one result's type ("Article").
func hitTypeLabel(r *http.Request, s *Server, typ string) string {
	switch typ {
	case "document":
		return s.t(r, "Document")
	case "article":
		return s.t(r, "Article")
	}
	if typ == "" {
		return ""
	}
	return strings.ToUpper(typ[:1]) + typ[1:]
}

// activeFilters lists the chosen filters with their remove links.
func (s *Server) activeFilters(r *http.Request, f listFilter, c *tagCatalog) []ActiveFilter {
	var out []ActiveFilter
	label := map[string]string{"region": s.t(r, "Region"), "grouping": s.t(r, "Coalition region"), "country": s.t(r, "Country"),
		"theme": s.t(r, "Theme"), "crisis": s.t(r, "Crisis"), "type": s.t(r, "Type"), "year": s.t(r, "Year"), "language": s.t(r, "Language"),
		"source": s.t(r, "Source"), "content": s.t(r, "Content")}
	for _, k := range filterKeys {
		v := f.get(k)
		if v == "" || k == "q" || k == "sort" {
			continue
		}
		shown := v
		switch k {
		case "region":
			if t, ok := c.find(places.KindRegion, v); ok {
				shown = t.Name
			} else if t, ok := c.find(places.KindSubregion, v); ok {
				shown = t.Name
			} else if t, ok := c.find(places.KindGrouping, v); ok {
				shown = t.Name
			}
		case "grouping":
			if t, ok := c.find(places.KindGrouping, v); ok {
				shown = t.Name
			}
		case "country":
			if t, ok := c.find(places.KindCountry, v); ok {
				shown = t.Name
			}
		case "theme":
			if t, ok := c.find(places.KindTheme, v); ok {
				shown = t.Name
			}
		case "crisis":
			if t, ok := c.find(places.KindCrisis, v); ok {
				shown = t.Name
			}
		case "type":
			shown = c.typeName(v)
		case "language":
			shown = languageName(v)
		case "content":
			shown = itemTypeLabel(r, s, v)
		}
		out = append(out, ActiveFilter{Label: label[k], Value: shown, RemoveURL: f.link(k, "")})
	}
	return out
}

// ListHit is a result as listings show it: the index's hit plus, for
// documents, the document itself.
type ListHit struct {
	search.Hit
	TypeLabel string
	KindLabel string
	Doc       *library.Document
}

// docListingPage is /documents and /search.
type docListingPage struct {
	Base
	Query     string
	Parsed    string
	Filters   []ActiveFilter
	Facets    []Facet
	Hits      []ListHit
	Total     int
	Pager     Pager
	Notes     []string
	FeedURL   string
	SortURL   string
	SortLabel string
	ClearURL  string
	Searched  bool
	Action    string
	Hidden    []hiddenField
	Heading   string
	// Map shows where the matching documents come from (/documents only).
	Map *CountryMap
}

type hiddenField struct{ Name, Value string }

// runListing resolves filters, runs the search and builds the page data
// shared by /documents and /search.
func (s *Server) runListing(w http.ResponseWriter, r *http.Request, path string, docsOnly bool, per int) (*docListingPage, error) {
	c, err := s.loadTags(r.Context())
	if err != nil {
		return nil, err
	}
	f := readFilter(r, path)
	q, notes := s.toQuery(r, f, c)
	if docsOnly {
		q.Types = []string{library.ItemType}
	} else if k := f.get("content"); k != "" {
		q.Types = []string{k}
	}
	q.Limit = per
	q.Offset = (f.page - 1) * per
	res, err := s.Search.Search(r.Context(), q)
	if err != nil {
		return nil, err
	}
	p := &docListingPage{Base: s.base(w, r, ""), Query: f.get("q"), Total: res.Total, Notes: append(notes, translateAll(s, r, res.Notes)...),
		Searched: q.Text != "", Action: path}
	if res.Parsed != nil && !res.Parsed.Empty() {
		p.Parsed = res.Parsed.String()
	}
	p.Filters = s.activeFilters(r, f, c)
	p.Facets = s.buildFacets(r, f, c, res.Facets, !docsOnly)
	if docsOnly {
		p.Map = s.documentsMap(r, p.L, f, c, res.Facets)
	}
	p.Pager = s.newPager(r, f.page, per, res.Total)
	p.FeedURL = path + "/feed.atom" + f.query()
	if q.Text != "" {
		if q.Sort == search.SortNewest {
			p.SortURL, p.SortLabel = f.link("sort", ""), s.t(r, "Sort by relevance")
		} else {
			p.SortURL, p.SortLabel = f.link("sort", "newest"), s.t(r, "Sort by date, newest first")
		}
	}
	clear := listFilter{vals: url.Values{}, path: path}
	if q.Text != "" {
		clear.vals.Set("q", q.Text)
	}
	p.ClearURL = clear.link("", "")
	for _, k := range filterKeys {
		if v := f.get(k); v != "" && k != "q" {
			p.Hidden = append(p.Hidden, hiddenField{k, v})
		}
	}
	var docIDs []int64
	for _, h := range res.Hits {
		if h.Type == library.ItemType {
			docIDs = append(docIDs, h.ID)
		}
	}
	docs, err := s.Library.GetMany(r.Context(), docIDs)
	if err != nil {
		return nil, err
	}
	for _, h := range res.Hits {
		lh := ListHit{Hit: h, TypeLabel: hitTypeLabel(r, s, h.Type)}
		if h.Type == library.ItemType {
			lh.TypeLabel = s.t(r, "Document")
			lh.KindLabel = c.typeName(h.Kind)
			if d, ok := docs[h.ID]; ok {
				lh.Doc = &d
			}
		}
		p.Hits = append(p.Hits, lh)
	}
	return p, nil
}

func translateAll(s *Server, r *http.Request, msgs []string) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = s.t(r, m)
	}
	return out
}

func (s *Server) documentsPage(w http.ResponseWriter, r *http.Request) {
	p, err := s.runListing(w, r, "/documents", true, 20)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Title = s.t(r, "Documents")
	p.Heading = s.t(r, "Document library")
	p.Section = "documents"
	p.Description = s.t(r, "Statements, reports, resolutions, letters, speeches and toolkits, by region, country, theme and crisis.")
	p.Feeds = []FeedLink{{Title: s.t(r, "Documents (Atom)"), URL: p.FeedURL}}
	if len(p.Filters) > 0 || p.Query != "" || p.Pager.Page > 1 {
		p.Canonical = s.Config.BaseURL + r.URL.RequestURI()
	}
	s.render(w, r, http.StatusOK, "pages/documents", p)
}

// documentPage is /documents/{id}.
type documentPage struct {
	Base
	Doc       library.Document
	TypeName  string
	Language  string
	Regions   []places.Tag
	Preview   string
	CanEdit   bool
	SizeLabel string
}

// visibleDocument loads a document the request may see; members-only
// documents send visitors to sign in and refuse other users.
func (s *Server) visibleDocument(w http.ResponseWriter, r *http.Request) (library.Document, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return library.Document{}, false
	}
	d, err := s.Library.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return d, false
	}
	if d.MembersOnly() && !canSeeMembers(r) {
		if userFrom(r.Context()) == nil {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return d, false
		}
		s.errorPage(w, r, http.StatusForbidden, s.t(r, "This document is for members of the coalition only."))
		return d, false
	}
	return d, true
}

func (s *Server) documentPage(w http.ResponseWriter, r *http.Request) {
	d, ok := s.visibleDocument(w, r)
	if !ok {
		return
	}
	p := &documentPage{Base: s.base(w, r, d.Title), Doc: d, Language: languageName(d.Language), CanEdit: userFrom(r.Context()).IsStaff(),
		SizeLabel: sizeLabel(d.Size)}
	p.Section = "documents"
	p.Description = clipString(d.Summary, 300)
	if t, err := s.Library.TypeBySlug(r.Context(), d.Type); err == nil {
		p.TypeName = t.Name
	} else {
		p.TypeName = d.Type
	}
	if d.MembersOnly() {
		p.NoIndex = true
		w.Header().Set("Cache-Control", "private, no-store")
	}
	s.render(w, r, http.StatusOK, "pages/document", p)
}

func sizeLabel(n int64) string {
	switch {
	case n <= 0:
		return ""
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.0f kB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// documentFile serves a document's file. Nothing uploaded is ever rendered
// as a page of this site: the response is sandboxed (no scripts, no
// same-origin access even if a browser renders it), never sniffed, and
// every format but PDF and plain text is a download.
func (s *Server) documentFile(w http.ResponseWriter, r *http.Request) {
	d, ok := s.visibleDocument(w, r)
	if !ok {
		return
	}
	if d.Checksum == "" {
		if d.LinkURL != "" {
			http.Redirect(w, r, d.LinkURL, http.StatusSeeOther)
			return
		}
		s.notFound(w, r)
		return
	}
	f, err := os.Open(s.Library.Files().Path(d.Checksum))
	if errors.Is(err, os.ErrNotExist) {
		s.Log.Error("document file missing", "document", d.ID, "checksum", d.Checksum)
		s.errorPage(w, r, http.StatusNotFound, s.t(r, "The file of this document is missing on the server. The secretariat has been told."))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", library.ContentType(d.Format))
	disp := "attachment"
	if d.Format == library.FormatPDF || d.Format == library.FormatTXT {
		disp = "inline"
	}
	cd := mime.FormatMediaType(disp, map[string]string{"filename": d.FileName})
	if cd == "" { // a name the encoder refuses: fall back to a plain one
		cd = disp + `; filename="document.` + d.Format + `"`
	}
	h.Set("Content-Disposition", cd)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if d.MembersOnly() {
		h.Set("Cache-Control", "private, no-store")
	} else {
		h.Set("Cache-Control", "public, max-age=3600")
	}
	h.Set("ETag", `"`+d.Checksum[:32]+`"`)
	http.ServeContent(w, r, "", d.UpdatedAt, f)
}

// documentsMap shades each country by the number of matching documents
// about it (the country facet of the current listing), each country linking
// to the listing narrowed to it.
func (s *Server) documentsMap(r *http.Request, l *i18n.Locale, f listFilter, c *tagCatalog, fc search.Facets) *CountryMap {
	counts := map[string]int{}
	items := map[string][]MapLink{}
	for id, n := range fc.Tags {
		t, ok := c.byID[id]
		if !ok || t.Kind != places.KindCountry || n <= 0 {
			continue
		}
		iso := strings.ToUpper(t.Code)
		counts[iso] = n
		items[iso] = []MapLink{{Title: l.T("Documents about %s", t.Name), URL: f.link("country", t.Code)}}
	}
	m := s.countMap(l, "documents-map", s.t(r, "Where the documents come from"), counts, func(n int) string {
		if n == 1 {
			return l.T("1 document")
		}
		return l.T("%d documents", n)
	}, items)
	return &m
}
