package web

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"

	"coalition/internal/i18n"
	"coalition/internal/places"
	"coalition/internal/worldmap"
)

// The country map: one server-rendered SVG world map (package worldmap) with
// the same data as a plain list beside it. Pages build a CountryMap with
// countryMap (classes of their own, e.g. a crisis status) or countMap
// (numbers per country, graded g1–g5), and show it with the "country_map"
// partial: {{template "country_map" (dict "M" .Map "L" .L)}}. Every country
// links to its page, /countries/<ISO3>; those with data are in the keyboard
// tab order, the others only for the pointer (the list carries the data).

// MapEntry is one country's data.
type MapEntry struct {
	ISO3  string
	Class string    // CSS class that colours it, e.g. "g3" or "st-current-crisis"
	Label string    // what the map says about it, e.g. "3 documents"
	Items []MapLink // listed under the country in the plain list
}

// MapLink is a link listed under a country.
type MapLink struct {
	Title string
	URL   string
}

// MapLegend is one key of the legend.
type MapLegend struct {
	Class string
	Label string
}

// MapRow is one country of the plain list.
type MapRow struct {
	ISO3  string
	Name  string
	URL   string
	Class string
	Label string
	Items []MapLink
	OnMap bool // false for the few small countries the map does not draw
}

// CountryMap is a rendered map and its plain-list equivalent.
type CountryMap struct {
	ID      string
	Caption string
	SVG     template.HTML
	Legend  []MapLegend
	Rows    []MapRow // by country name
}

// initMaps projects the world map once and indexes the gazetteer by the
// map's numeric codes.
func (s *Server) initMaps() error {
	m, err := worldmap.New()
	if err != nil {
		return err
	}
	s.worldMap = m
	s.mapCountries = map[string]places.Country{}
	for _, c := range s.Places.Gaz.Countries {
		if c.M49 != "" {
			s.mapCountries[worldmap.PadNumeric(c.M49)] = c
		}
	}
	return nil
}

// countryURL is a country's page.
func countryURL(iso3 string) string { return "/countries/" + strings.ToUpper(iso3) }

// countryMap renders entries (keyed by ISO alpha-3; unknown codes are left
// out) on the world map. id names the figure; caption is its visible title.
func (s *Server) countryMap(l *i18n.Locale, id, caption string, entries []MapEntry, legend []MapLegend) CountryMap {
	cm := CountryMap{ID: id, Caption: caption, Legend: legend}
	shades := make(map[string]worldmap.Shade, len(entries))
	for _, e := range entries {
		c, ok := s.Places.Gaz.Country(e.ISO3)
		if !ok {
			continue
		}
		num := worldmap.PadNumeric(c.M49)
		row := MapRow{ISO3: c.ISO3, Name: c.Name, URL: countryURL(c.ISO3), Class: e.Class, Label: e.Label, Items: e.Items, OnMap: s.worldMap.Has(num)}
		cm.Rows = append(cm.Rows, row)
		title := c.Name
		if e.Label != "" {
			title = l.T("%s: %s", c.Name, e.Label)
		}
		shades[num] = worldmap.Shade{Class: e.Class, Title: title, URL: row.URL, Focusable: true}
	}
	slices.SortFunc(cm.Rows, func(a, b MapRow) int { return cmp.Compare(a.Name, b.Name) })
	cm.SVG = s.worldMap.Render(shades, worldmap.Options{Label: caption, ID: id + "-svg", Default: func(numeric, name string) worldmap.Shade {
		if c, ok := s.mapCountries[numeric]; ok {
			return worldmap.Shade{Title: c.Name, URL: countryURL(c.ISO3)}
		}
		return worldmap.Shade{Title: name}
	}})
	return cm
}

// mapGrades is the number of graded classes countMap uses (g1 … g5).
const mapGrades = 5

// grade maps a count to 1…mapGrades on a logarithmic scale up to top, so
// that one country with many items does not wash out all the others.
func grade(n, top int) int {
	if n <= 0 {
		return 0
	}
	if top == 1 {
		return mapGrades - 1 // one item per country: clearly visible, room above
	}
	if top <= mapGrades {
		return n
	}
	g := 1 + int(math.Floor(float64(mapGrades-1)*math.Log(float64(n))/math.Log(float64(top))))
	return min(max(g, 1), mapGrades)
}

// countMap renders numbers per country (keyed by ISO alpha-3) in graded
// classes g1…g5 (items, listed under each country, keyed by upper-case
// ISO alpha-3), with a legend of the ranges in the data. label formats a
// count for one country (e.g. "%d documents"). This is the helper for the
// documents map (documents per country) as for members.
func (s *Server) countMap(l *i18n.Locale, id, caption string, counts map[string]int, label func(n int) string, items map[string][]MapLink) CountryMap {
	// Codes the gazetteer does not know are left out, from the legend too.
	known := make(map[string]int, len(counts))
	for iso, n := range counts {
		if c, ok := s.Places.Gaz.Country(iso); ok && n > 0 {
			known[c.ISO3] += n
		}
	}
	top := 0
	for _, n := range known {
		top = max(top, n)
	}
	lo := make([]int, mapGrades+1)
	hi := make([]int, mapGrades+1)
	var entries []MapEntry
	for iso, n := range known {
		g := grade(n, top)
		if lo[g] == 0 || n < lo[g] {
			lo[g] = n
		}
		hi[g] = max(hi[g], n)
		entries = append(entries, MapEntry{ISO3: iso, Class: fmt.Sprintf("g%d", g), Label: label(n), Items: items[iso]})
	}
	var legend []MapLegend
	for g := 1; g <= mapGrades; g++ {
		switch {
		case hi[g] == 0:
		case lo[g] == hi[g]:
			legend = append(legend, MapLegend{Class: fmt.Sprintf("g%d", g), Label: l.Number(int64(lo[g]))})
		default:
			legend = append(legend, MapLegend{Class: fmt.Sprintf("g%d", g), Label: l.T("%s to %s", l.Number(int64(lo[g])), l.Number(int64(hi[g])))})
		}
	}
	return s.countryMap(l, id, caption, entries, legend)
}
