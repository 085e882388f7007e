package web

import (
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"coalition/internal/i18n"
	"coalition/internal/places"
)

func TestGrade(t *testing.T) {
	for _, c := range []struct{ n, top, want int }{
		{0, 10, 0}, {1, 1, 4}, {1, 3, 1}, {3, 3, 3}, {1, 100, 1}, {100, 100, 5}, {10, 100, 3}, {99, 100, 4},
	} {
		if got := grade(c.n, c.top); got != c.want {
			t.Errorf("grade(%d, %d) = %d, want %d", c.n, c.top, got, c.want)
		}
	}
	prev := 0
	for n := 1; n <= 500; n++ {
		g := grade(n, 500)
		if g < prev || g < 1 || g > mapGrades {
			t.Fatalf("grade(%d, 500) = %d after %d", n, g, prev)
		}
		prev = g
	}
}

// TestCountMap is the helper the documents page uses: counts per country
// in graded classes, a legend of the ranges, and the same data as a list.
func TestCountMap(t *testing.T) {
	p, err := places.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Deps: Deps{Places: p}}
	if err := s.initMaps(); err != nil {
		t.Fatal(err)
	}
	l := i18n.Default()
	counts := map[string]int{"SYR": 40, "ukr": 12, "SDN": 1, "XKX": 3, "ZZZ": 5, "TUV": 2}
	m := s.countMap(l, "documents-map", "Documents by country", counts, func(n int) string { return fmt.Sprintf("%d documents", n) }, nil)
	var v any
	if err := xml.Unmarshal([]byte(m.SVG), &v); err != nil {
		t.Fatalf("not well-formed: %v", err)
	}
	names := []string{}
	for _, r := range m.Rows {
		names = append(names, r.ISO3+":"+r.Class)
		if r.OnMap != strings.Contains(string(m.SVG), `href="`+r.URL+`" aria-label="`) {
			t.Errorf("%s: OnMap %v disagrees with the SVG", r.ISO3, r.OnMap)
		}
	}
	// Unknown codes are dropped; Tuvalu is too small for the map but stays in the list.
	if got := strings.Join(names, " "); got != "SDN:g1 SYR:g5 TUV:g1 UKR:g3" {
		t.Fatalf("rows: %s", got)
	}
	for _, r := range m.Rows {
		if r.ISO3 == "TUV" && r.OnMap {
			t.Error("Tuvalu is not drawn at 1:110m")
		}
	}
	if !strings.Contains(string(m.SVG), `<a href="/countries/SYR" aria-label="Syria: 40 documents"><path class="c g5"`) {
		t.Error("Syria's shade")
	}
	if !strings.Contains(string(m.SVG), `<a href="/countries/FRA" aria-label="France" tabindex="-1">`) {
		t.Error("countries without data still link to their page, out of the tab order")
	}
	if len(m.Legend) != 3 || m.Legend[0].Label != "1 to 2" || m.Legend[2].Label != "40" {
		t.Fatalf("legend: %+v", m.Legend)
	}
}
