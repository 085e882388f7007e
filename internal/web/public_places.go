package web

import (
	"net/http"
	"sort"
	"strings"

	"coalition/internal/crises"
	"coalition/internal/library"
	"coalition/internal/members"
	"coalition/internal/places"
	"coalition/internal/search"
)

// regionsPage is /regions: the coalition's own regions and the UN M49
// regions with their sub-regions.
type regionsPage struct {
	Base
	Groupings []placeCount
	Regions   []regionTree
}

type placeCount struct {
	Tag   places.Tag
	URL   string
	Count int
}

type regionTree struct {
	placeCount
	Subs []placeCount
}

func (s *Server) regionsIndex(w http.ResponseWriter, r *http.Request) {
	c, err := s.loadTags(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.Search.Search(r.Context(), search.Query{Types: []string{library.ItemType}, Members: canSeeMembers(r), Limit: 1})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &regionsPage{Base: s.base(w, r, s.t(r, "Regions"))}
	p.Section = "documents"
	for _, g := range c.byKind[places.KindGrouping] {
		p.Groupings = append(p.Groupings, placeCount{Tag: g, URL: "/regions/" + g.Slug, Count: res.Facets.Tags[g.ID]})
	}
	for _, reg := range c.byKind[places.KindRegion] {
		t := regionTree{placeCount: placeCount{Tag: reg, URL: s.regionURL(c, reg), Count: res.Facets.Tags[reg.ID]}}
		for _, sub := range c.byKind[places.KindSubregion] {
			if sub.ParentID == reg.ID {
				t.Subs = append(t.Subs, placeCount{Tag: sub, URL: s.regionURL(c, sub), Count: res.Facets.Tags[sub.ID]})
			}
		}
		p.Regions = append(p.Regions, t)
	}
	s.render(w, r, http.StatusOK, "pages/regions", p)
}

// regionURL is the page of an M49 region or sub-region. A coalition
// grouping with the same slug owns /regions/<slug>, so the M49 one is then
// reached through the library's filter.
func (s *Server) regionURL(c *tagCatalog, t places.Tag) string {
	if _, taken := c.find(places.KindGrouping, t.Slug); taken {
		return "/documents?region=" + t.Slug
	}
	return "/regions/" + t.Slug
}

// placePage is /regions/{slug} and /countries/{iso3}.
type placePage struct {
	Base
	Place      places.Tag
	KindLabel  string
	Trail      []placeCount // region › sub-region (for countries and sub-regions)
	Groupings  []placeCount // coalition regions a country belongs to
	Countries  []placeCount // countries of a region or grouping
	Subregions []placeCount
	Names      map[string]string // a country's names in the UN languages
	NameLangs  []string
	Documents  []ListHit
	DocTotal   int
	DocsURL    string
	FeedURL    string
	// Articles fills itself once articles are in the search index.
	Articles    []search.Hit
	Crises      []crises.Crisis        // crises in the place's countries
	Orgs        []members.Organisation // member organisations based there
	ArticlesURL string
	Themes      []placeCount // themes most documents here carry
}

func (s *Server) regionPage(w http.ResponseWriter, r *http.Request) {
	slugv := strings.ToLower(r.PathValue("slug"))
	c, err := s.loadTags(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var t places.Tag
	var ok bool
	key := "region"
	label := s.t(r, "Region")
	if t, ok = c.find(places.KindGrouping, slugv); ok {
		key, label = "grouping", s.t(r, "Coalition region")
	} else if t, ok = c.find(places.KindRegion, slugv); ok {
		label = s.t(r, "Region (UN M49)")
	} else if t, ok = c.find(places.KindSubregion, slugv); ok {
		label = s.t(r, "Sub-region (UN M49)")
	}
	if !ok {
		s.notFound(w, r)
		return
	}
	p := s.placeCommon(w, r, c, t, key, t.Slug, label)
	if p == nil {
		return
	}
	switch t.Kind {
	case places.KindGrouping:
		cs, err := s.Places.GroupingCountries(r.Context(), t.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, ct := range cs {
			p.Countries = append(p.Countries, placeCount{Tag: ct, URL: "/countries/" + ct.Slug})
		}
	case places.KindRegion:
		for _, sub := range c.byKind[places.KindSubregion] {
			if sub.ParentID == t.ID {
				p.Subregions = append(p.Subregions, placeCount{Tag: sub, URL: s.regionURL(c, sub)})
			}
		}
	case places.KindSubregion:
		if reg, ok := c.byID[t.ParentID]; ok {
			p.Trail = append(p.Trail, placeCount{Tag: reg, URL: s.regionURL(c, reg)})
		}
		for _, ct := range c.byKind[places.KindCountry] {
			if ct.ParentID == t.ID {
				p.Countries = append(p.Countries, placeCount{Tag: ct, URL: "/countries/" + ct.Slug})
			}
		}
	}
	codes := crises.RegionCountries(s.Places.Gaz, t.Slug)
	if t.Kind == places.KindGrouping {
		codes = nil
		for _, ct := range p.Countries {
			codes = append(codes, ct.Tag.Code)
		}
	}
	if err := s.placeCrisesAndMembers(r, p, codes); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "pages/place", p)
}

func (s *Server) countryPage(w http.ResponseWriter, r *http.Request) {
	c, err := s.loadTags(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, ok := c.find(places.KindCountry, r.PathValue("iso3"))
	if !ok {
		s.notFound(w, r)
		return
	}
	p := s.placeCommon(w, r, c, t, "country", t.Code, s.t(r, "Country"))
	if p == nil {
		return
	}
	if sub, ok := c.byID[t.ParentID]; ok {
		if reg, ok := c.byID[sub.ParentID]; ok {
			p.Trail = append(p.Trail, placeCount{Tag: reg, URL: s.regionURL(c, reg)})
		}
		p.Trail = append(p.Trail, placeCount{Tag: sub, URL: s.regionURL(c, sub)})
	}
	for _, g := range c.byKind[places.KindGrouping] {
		cs, err := s.Places.GroupingCountries(r.Context(), g.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, ct := range cs {
			if ct.ID == t.ID {
				p.Groupings = append(p.Groupings, placeCount{Tag: g, URL: "/regions/" + g.Slug})
			}
		}
	}
	if cty, ok := s.Places.Gaz.Country(t.Code); ok {
		p.Names = cty.Names
		p.NameLangs = []string{"en", "fr", "es", "ar", "zh", "ru"}
	}
	if err := s.placeCrisesAndMembers(r, p, []string{t.Code}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "pages/place", p)
}

// placeCrisesAndMembers lists the crises and member organisations of the
// place's countries.
func (s *Server) placeCrisesAndMembers(r *http.Request, p *placePage, iso3 []string) error {
	if len(iso3) == 0 {
		return nil
	}
	var err error
	if s.Crises != nil {
		if p.Crises, err = s.Crises.ForCountries(r.Context(), iso3...); err != nil {
			return err
		}
	}
	if s.Members != nil {
		if p.Orgs, err = s.Members.ForCountries(r.Context(), iso3...); err != nil {
			return err
		}
	}
	return nil
}

// placeCommon fills what every place page has: the latest documents there,
// the articles (once indexed), the leading themes and the feed.
func (s *Server) placeCommon(w http.ResponseWriter, r *http.Request, c *tagCatalog, t places.Tag, key, value, label string) *placePage {
	p := &placePage{Base: s.base(w, r, t.Name), Place: t, KindLabel: label}
	p.Section = "documents"
	f := listFilter{vals: map[string][]string{key: {value}}, path: "/documents"}
	p.DocsURL = f.link("", "")
	p.FeedURL = "/documents/feed.atom" + f.query()
	p.Feeds = []FeedLink{{Title: s.t(r, "Documents on %s (Atom)", t.Name), URL: p.FeedURL}}
	members := canSeeMembers(r)
	res, err := s.Search.Search(r.Context(), search.Query{Types: []string{library.ItemType}, Tags: []int64{t.ID}, Members: members, Limit: 10})
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	p.DocTotal = res.Total
	var ids []int64
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	docs, err := s.Library.GetMany(r.Context(), ids)
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	for _, h := range res.Hits {
		lh := ListHit{Hit: h, TypeLabel: s.t(r, "Document"), KindLabel: c.typeName(h.Kind)}
		if d, ok := docs[h.ID]; ok {
			lh.Doc = &d
		}
		p.Documents = append(p.Documents, lh)
	}
	for _, th := range c.byKind[places.KindTheme] {
		if n := res.Facets.Tags[th.ID]; n > 0 {
			p.Themes = append(p.Themes, placeCount{Tag: th, URL: f.link("theme", th.Slug), Count: n})
		}
	}
	sort.SliceStable(p.Themes, func(i, j int) bool { return p.Themes[i].Count > p.Themes[j].Count })
	if len(p.Themes) > 8 {
		p.Themes = p.Themes[:8]
	}
	arts, err := s.Search.Search(r.Context(), search.Query{Types: []string{"article"}, Tags: []int64{t.ID}, Members: members, Limit: 5, NoFacets: true})
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	p.Articles = arts.Hits
	sf := listFilter{vals: map[string][]string{key: {value}, "content": {"article"}}, path: "/search"}
	p.ArticlesURL = sf.link("", "")
	return p
}
