package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"

	"coalition/internal/errs"
	"coalition/internal/library"
	"coalition/internal/places"
)

// apiDocument is a document in the public API.
type apiDocument struct {
	ID        int64    `json:"id"`
	Title     string   `json:"title"`
	Date      string   `json:"date"`
	Type      string   `json:"type"`
	Source    string   `json:"source"`
	Language  string   `json:"language"`
	Summary   string   `json:"summary"`
	Access    string   `json:"access"`
	URL       string   `json:"url"`
	FileURL   string   `json:"file_url,omitempty"`
	LinkURL   string   `json:"link_url,omitempty"`
	Format    string   `json:"format,omitempty"`
	Size      int64    `json:"size,omitempty"`
	Countries []string `json:"countries"`
	Themes    []string `json:"themes"`
	Crises    []string `json:"crises"`
	Snippet   string   `json:"snippet,omitempty"`
}

type apiFacetValue struct {
	Value string `json:"value"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

type apiList struct {
	Items   []apiDocument              `json:"items"`
	Total   int                        `json:"total"`
	Page    int                        `json:"page"`
	PerPage int                        `json:"per_page"`
	Facets  map[string][]apiFacetValue `json:"facets"`
	Notes   []string                   `json:"notes,omitempty"`
}

func (s *Server) apiDoc(d library.Document, snippet string) apiDocument {
	a := apiDocument{ID: d.ID, Title: d.Title, Date: d.Date.UTC().Format("2006-01-02"), Type: d.Type, Source: d.Source, Language: d.Language,
		Summary: d.Summary, Access: d.Access, URL: s.Config.BaseURL + d.URL(), LinkURL: d.LinkURL, Format: d.Format, Size: d.Size,
		Countries: d.CountryCodes(), Themes: []string{}, Crises: []string{}, Snippet: snippet}
	if d.FileURL() != "" {
		a.FileURL = s.Config.BaseURL + d.FileURL()
	}
	for _, t := range d.Themes() {
		a.Themes = append(a.Themes, t.Slug)
	}
	for _, t := range d.Crises() {
		a.Crises = append(a.Crises, t.Slug)
	}
	return a
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) //nolint:errcheck // client gone
}

func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errs.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	case errors.Is(err, errs.ErrUnavailable):
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily unavailable; try again later"})
	case errors.Is(err, errs.ErrForbidden):
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "this token may not do that"})
	default:
		if ie, ok := errs.AsInvalid(err); ok {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": ie.Msg, "field": ie.Field})
			return
		}
		s.Log.Error("api", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error; it has been logged"})
	}
}

// apiDocuments is GET /api/v1/documents: the library listing as JSON, with
// the same filters as /documents. Members-only documents are included only
// for a signed-in member or staff session.
func (s *Server) apiDocuments(w http.ResponseWriter, r *http.Request) {
	c, err := s.loadTags(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	f := readFilter(r, "/documents")
	q, notes := s.toQuery(r, f, c)
	q.Types = []string{library.ItemType}
	per := 20
	if n, err := strconv.Atoi(r.URL.Query().Get("per_page")); err == nil && n > 0 {
		per = min(n, 100)
	}
	q.Limit, q.Offset = per, (f.page-1)*per
	res, err := s.Search.Search(r.Context(), q)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var ids []int64
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	docs, err := s.Library.GetMany(r.Context(), ids)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := apiList{Items: []apiDocument{}, Total: res.Total, Page: f.page, PerPage: per, Facets: map[string][]apiFacetValue{},
		Notes: append(notes, res.Notes...)}
	for _, h := range res.Hits {
		if d, ok := docs[h.ID]; ok {
			snip := ""
			if q.Text != "" {
				snip = string(h.Snippet)
			}
			out.Items = append(out.Items, s.apiDoc(d, snip))
		}
	}
	tagFacet := func(kind places.Kind, name string) {
		vals := []apiFacetValue{}
		for _, t := range c.byKind[kind] {
			if n := res.Facets.Tags[t.ID]; n > 0 {
				v := t.Slug
				if kind == places.KindCountry {
					v = t.Code
				}
				vals = append(vals, apiFacetValue{Value: v, Label: t.Name, Count: n})
			}
		}
		sortFacet(vals)
		out.Facets[name] = vals
	}
	tagFacet(places.KindRegion, "region")
	tagFacet(places.KindSubregion, "subregion")
	tagFacet(places.KindCountry, "country")
	tagFacet(places.KindGrouping, "grouping")
	tagFacet(places.KindTheme, "theme")
	tagFacet(places.KindCrisis, "crisis")
	strFacet := func(m map[string]int, name string, label func(string) string) {
		vals := []apiFacetValue{}
		for k, n := range m {
			vals = append(vals, apiFacetValue{Value: k, Label: label(k), Count: n})
		}
		sortFacet(vals)
		out.Facets[name] = vals
	}
	strFacet(res.Facets.Kinds, "type", c.typeName)
	strFacet(res.Facets.Languages, "language", languageName)
	strFacet(res.Facets.Sources, "source", func(s string) string { return s })
	years := map[string]int{}
	for y, n := range res.Facets.Years {
		years[strconv.Itoa(y)] = n
	}
	strFacet(years, "year", func(s string) string { return s })
	sort.SliceStable(out.Facets["year"], func(i, j int) bool { return out.Facets["year"][i].Value > out.Facets["year"][j].Value })
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, out)
}

func sortFacet(v []apiFacetValue) {
	sort.SliceStable(v, func(i, j int) bool {
		if v[i].Count != v[j].Count {
			return v[i].Count > v[j].Count
		}
		return v[i].Label < v[j].Label
	})
}

// apiDocumentByID is GET /api/v1/documents/{id}.
func (s *Server) apiDocumentByID(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
		return
	}
	d, err := s.Library.Get(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if d.MembersOnly() && !canSeeMembers(r) {
		// Indistinguishable from a missing document for outsiders.
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
		return
	}
	writeJSON(w, http.StatusOK, s.apiDoc(d, ""))
}
