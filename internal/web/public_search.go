package web

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"

	"coalition/internal/library"
	"coalition/internal/search"
)

// searchPage is /search?q=…: documents and articles together, ranked, with
// the same facets as /documents.
func (s *Server) searchPage(w http.ResponseWriter, r *http.Request) {
	p, err := s.runListing(w, r, "/search", false, 20)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Section = "search"
	p.Title = s.t(r, "Search")
	p.Heading = s.t(r, "Search")
	if p.Query != "" {
		p.Title = s.t(r, "Search: %s", clipString(p.Query, 80))
		p.Feeds = []FeedLink{{Title: s.t(r, "New results for “%s” (Atom)", clipString(p.Query, 80)), URL: p.FeedURL}}
	}
	p.Description = s.t(r, "Search every article, document, crisis page and member organisation of the site, by words, place, theme and date.")
	// Result pages stay out of search engines (an endless space of queries);
	// the bare search page may be indexed.
	p.NoIndex = r.URL.RawQuery != ""
	s.render(w, r, http.StatusOK, "pages/search", p)
}

// listingFeed serves the Atom feed of a listing (documents or search) with
// the listing's own filters, newest first: "new statements on Syria".
func (s *Server) listingFeed(w http.ResponseWriter, r *http.Request, path string, docsOnly bool) {
	c, err := s.loadTags(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := readFilter(r, path)
	q, _ := s.toQuery(r, f, c)
	// Feeds are fetched by readers without a session: public items only.
	q.Members = false
	q.Sort = search.SortNewest
	q.NoFacets = true
	q.Limit = 30
	if docsOnly {
		q.Types = []string{library.ItemType}
	} else if k := f.get("content"); k != "" {
		q.Types = []string{k}
	}
	res, err := s.Search.Search(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	site, _ := s.Settings.Get(r.Context()) //nolint:errcheck // defaults on error
	base := s.Config.BaseURL
	title := site.OrgName + " — " + s.t(r, "Documents")
	if !docsOnly {
		title = site.OrgName + " — " + s.t(r, "Search")
	}
	var parts []string
	for _, a := range s.activeFilters(r, f, c) {
		parts = append(parts, a.Label+": "+a.Value)
	}
	if q.Text != "" {
		parts = append([]string{"“" + q.Text + "”"}, parts...)
	}
	if len(parts) > 0 {
		title += " (" + strings.Join(parts, ", ") + ")"
	}
	feed := atomFeed{Title: title, ID: base + r.URL.RequestURI(), Author: atomPerson{Name: site.OrgName},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + r.URL.RequestURI()},
			{Rel: "alternate", Type: "text/html", Href: base + path + f.query()}}}
	updated := time.Unix(0, 0).UTC()
	for _, h := range res.Hits {
		if h.Date.After(updated) {
			updated = h.Date
		}
		e := atomEntry{Title: h.Title, ID: base + h.URL, Updated: h.Date.UTC().Format(time.RFC3339), Published: h.Date.UTC().Format(time.RFC3339),
			Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: base + h.URL}}}
		if h.Snippet != "" {
			e.Summary = &atomText{Type: "html", Body: string(h.Snippet)}
		}
		if h.Kind != "" {
			e.Categories = append(e.Categories, atomCategory{Term: h.Kind, Label: c.typeName(h.Kind)})
		}
		feed.Entries = append(feed.Entries, e)
	}
	feed.Updated = updated.Format(time.RFC3339)
	out, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(out)))
	_, _ = w.Write([]byte(xml.Header)) //nolint:errcheck // client gone
	_, _ = w.Write(out)                //nolint:errcheck // client gone
}

func (s *Server) documentsFeed(w http.ResponseWriter, r *http.Request) {
	s.listingFeed(w, r, "/documents", true)
}

func (s *Server) searchFeed(w http.ResponseWriter, r *http.Request) {
	s.listingFeed(w, r, "/search", false)
}
