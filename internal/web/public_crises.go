package web

import (
	"encoding/xml"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"coalition/internal/crises"
	"coalition/internal/members"
)

type crisisGroup struct {
	Status crises.Status
	Crises []crises.Crisis
}

type crisesPage struct {
	Base
	Groups []crisisGroup
	Map    CountryMap
}

// statusClass is the CSS class that colours a status (see crisisStatusCSS).
func statusClass(st crises.Status) string { return "st-" + st.Slug }

// crisesIndex is /crises: the crises grouped by status, gravest first, and
// the map with each country coloured by the gravest status of its crises.
func (s *Server) crisesIndex(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := &crisesPage{Base: s.base(w, r, s.t(r, "Crises"))}
	p.Section = "crises"
	p.Description = s.t(r, "The situations where the coalition sees populations at risk of mass atrocities, by status, with a map.")
	p.Feeds = nil
	list, err := s.Crises.List(ctx, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	statuses, err := s.Crises.Statuses(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type worst struct {
		st     crises.Status
		crises []MapLink
	}
	byCountry := map[string]*worst{}
	for _, st := range statuses {
		g := crisisGroup{Status: st}
		for _, c := range list {
			if c.Status.ID == st.ID {
				g.Crises = append(g.Crises, c)
			}
		}
		if len(g.Crises) > 0 {
			p.Groups = append(p.Groups, g)
		}
	}
	var legend []MapLegend
	for _, g := range p.Groups {
		legend = append(legend, MapLegend{Class: statusClass(g.Status), Label: g.Status.Name})
		// Groups are in order of gravity: the first status seen for a
		// country is its gravest.
		for _, c := range g.Crises {
			for _, ct := range c.Countries {
				w := byCountry[ct.Code]
				if w == nil {
					w = &worst{st: g.Status}
					byCountry[ct.Code] = w
				}
				w.crises = append(w.crises, MapLink{Title: c.Title + " (" + c.Status.Name + ")", URL: c.URL()})
			}
		}
	}
	var entries []MapEntry
	for iso, w := range byCountry {
		entries = append(entries, MapEntry{ISO3: iso, Class: statusClass(w.st), Label: w.st.Name, Items: w.crises})
	}
	p.Map = s.countryMap(p.L, "crises-map", s.t(r, "Countries by the gravest status of their crises"), entries, legend)
	s.render(w, r, http.StatusOK, "pages/crises", p)
}

type crisisPage struct {
	Base
	Crisis     crises.Crisis
	Summary    template.HTML
	Sections   []renderedSection
	Updates    []renderedUpdate
	Related    []RelatedItem
	HasRelated bool
	Preview    bool
	// MemberNews is news and documents from member organisations filed
	// under the crisis (published as the members area's own pages).
	MemberNews []members.Submission
}

type renderedSection struct {
	ID      string
	Heading string
	Body    template.HTML
}

type renderedUpdate struct {
	crises.Update
	HTML template.HTML
}

// visibleCrisis returns the crisis at {slug}: published ones for everyone,
// drafts for staff (a preview).
func (s *Server) visibleCrisis(w http.ResponseWriter, r *http.Request) (crises.Crisis, bool) {
	c, err := s.Crises.BySlug(r.Context(), r.PathValue("slug"))
	if err == nil && !c.Published && !userFrom(r.Context()).IsStaff() {
		s.notFound(w, r)
		return c, false
	}
	if err != nil {
		s.fail(w, r, err)
		return c, false
	}
	return c, true
}

// crisisPageHandler is /crises/{slug}.
func (s *Server) crisisPageHandler(w http.ResponseWriter, r *http.Request) {
	c, ok := s.visibleCrisis(w, r)
	if !ok {
		return
	}
	p := &crisisPage{Base: s.base(w, r, c.Title), Crisis: c, Summary: s.markdown(c.Summary), Preview: !c.Published}
	p.Section = "crises"
	p.Description = summaryText(c.Summary, 200)
	p.NoIndex = !c.Published
	p.Feeds = []FeedLink{{Title: s.t(r, "%s: updates", c.Title), URL: c.URL() + "/feed.atom"}}
	for i, sec := range c.Sections {
		p.Sections = append(p.Sections, renderedSection{ID: "section-" + strconv.Itoa(i+1), Heading: sec.Heading, Body: s.markdown(sec.Body)})
	}
	for _, u := range c.Updates {
		if u.Published() {
			p.Updates = append(p.Updates, renderedUpdate{Update: u, HTML: s.markdown(u.Body)})
		}
	}
	if c.TagID != 0 {
		var err error
		if p.MemberNews, err = s.Members.PublishedForTags(r.Context(), []int64{c.TagID}, seesMembersOnly(userFrom(r.Context())), 20); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if s.Related != nil && c.TagID != 0 {
		p.HasRelated = true
		var err error
		if p.Related, err = s.Related.ForTags(r.Context(), []int64{c.TagID}, 20, seesMembersOnly(userFrom(r.Context()))); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if p.Preview {
		w.Header().Set("Cache-Control", "private, no-cache")
	}
	s.render(w, r, http.StatusOK, "pages/crisis", p)
}

// summaryText is plain text from Markdown for descriptions and feeds.
func summaryText(md string, max int) string {
	t := strings.Join(strings.Fields(strings.NewReplacer("**", "", "__", "", "`", "", "#", "", "> ", "").Replace(md)), " ")
	if r := []rune(t); len(r) > max {
		return string(r[:max]) + "…"
	}
	return t
}

// crisisFeed is /crises/{slug}/feed.atom: the published timeline updates.
func (s *Server) crisisFeed(w http.ResponseWriter, r *http.Request) {
	c, err := s.Crises.BySlug(r.Context(), r.PathValue("slug"))
	if err == nil && !c.Published {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := s.Config.BaseURL
	page := base + c.URL()
	f := atomFeed{
		Title:   s.t(r, "%s: updates", c.Title) + " · " + s.orgName(r.Context()),
		ID:      page,
		Updated: c.UpdatedAt.UTC().Format(time.RFC3339),
		Links:   []atomLink{{Rel: "self", Type: "application/atom+xml", Href: page + "/feed.atom"}, {Rel: "alternate", Type: "text/html", Href: page}},
		Author:  atomPerson{Name: s.orgName(r.Context()), URI: base + "/"},
		Sub:     summaryText(c.Summary, 300),
	}
	for _, u := range c.Updates {
		if !u.Published() {
			continue
		}
		content := fmt.Sprintf("<p><strong>%s</strong></p>", template.HTMLEscapeString(s.locale(r).Date(u.HappenedOn))) + string(s.markdown(u.Body))
		f.Entries = append(f.Entries, atomEntry{
			Title:     u.Title,
			ID:        page + "#" + u.Anchor(),
			Updated:   u.UpdatedAt.UTC().Format(time.RFC3339),
			Published: u.PublishedAt.UTC().Format(time.RFC3339),
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: page + "#" + u.Anchor()}},
			Content:   &atomText{Type: "html", Body: content},
		})
		if u.UpdatedAt.After(c.UpdatedAt) {
			f.Updated = u.UpdatedAt.UTC().Format(time.RFC3339)
		}
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		s.serverError(w, r, fmt.Errorf("crisis feed: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write([]byte(xml.Header)) //nolint:errcheck // the client has gone
	_, _ = w.Write(out)                //nolint:errcheck // the client has gone
}

// crisisStatusCSS is /crises/status.css: the colours of the editable status
// scale as classes (the pages' policy forbids inline styles), for the map,
// its legend and the status badges.
func (s *Server) crisisStatusCSS(w http.ResponseWriter, r *http.Request) {
	statuses, err := s.Crises.Statuses(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b strings.Builder
	for _, st := range statuses {
		if !strings.HasPrefix(st.Colour, "#") || len(st.Colour) != 7 {
			continue
		}
		cls := statusClass(st)
		fmt.Fprintf(&b, ".worldmap .c.%s{fill:%s}\n.swatch.%s,.status-badge.%s{background:%s;color:%s;border-color:%s}\n",
			cls, st.Colour, cls, cls, st.Colour, textOn(st.Colour), st.Colour)
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=60")
	_, _ = w.Write([]byte(b.String())) //nolint:errcheck // the client has gone
}

// textOn picks black or white text for a background colour (WCAG relative
// luminance, whichever contrasts more).
func textOn(hex string) string {
	lum := 0.0
	for i, wgt := range []float64{0.2126, 0.7152, 0.0722} {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return "#000"
		}
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		lum += wgt * c
	}
	if (1.05)/(lum+0.05) >= (lum+0.05)/0.05 {
		return "#fff"
	}
	return "#000"
}
