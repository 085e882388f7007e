package worldmap

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestMap(t *testing.T) {
	m, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Countries) < 170 {
		t.Fatalf("only %d countries", len(m.Countries))
	}
	if !m.Has("760") || m.Has("010") {
		t.Fatal("Syria must be drawn and Antarctica left out")
	}
	// Well-formed paths, and no stroke across the whole map: rings that
	// cross the antimeridian (Russia, Fiji) are unwrapped, not drawn with a
	// jump from one edge to the other.
	jump := regexp.MustCompile(`l(-?\d+) `)
	for _, c := range m.Countries {
		if !strings.HasPrefix(c.Path, "M") || !strings.HasSuffix(c.Path, "z") {
			t.Fatalf("%s: path %q", c.Name, c.Path[:20])
		}
		for _, mm := range jump.FindAllStringSubmatch(c.Path, -1) {
			if dx, _ := strconv.Atoi(mm[1]); dx > Width/2 || dx < -Width/2 {
				t.Fatalf("%s: a segment %d units wide", c.Name, dx)
			}
		}
	}
	out := string(m.Render(map[string]Shade{
		"760": {Class: "s3", Title: "Syria: 12 documents", URL: "/countries/SYR", Focusable: true},
		"804": {Class: "s1", Title: `Ukraine <"&>`, URL: "/countries/UKR?x=1&y=2"},
	}, Options{Label: "Documents by country", Default: func(n, name string) Shade {
		return Shade{Title: name, URL: "/countries/" + n}
	}}))
	var v any
	if err := xml.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not well-formed XML: %v", err)
	}
	if strings.Count(out, "<a ") != len(m.Countries) || strings.Count(out, "<title>") != len(m.Countries) {
		t.Fatalf("links %d, titles %d, countries %d", strings.Count(out, "<a "), strings.Count(out, "<title>"), len(m.Countries))
	}
	for _, want := range []string{`<a href="/countries/SYR" aria-label="Syria: 12 documents"><path class="c s3"`,
		`Ukraine &lt;&#34;&amp;&gt;`, `href="/countries/UKR?x=1&amp;y=2"`, `aria-label="Documents by country"`} {
		if !strings.Contains(out, want) {
			t.Errorf("map lacks %q", want)
		}
	}
	if strings.Count(out, `tabindex="-1"`) != len(m.Countries)-1 {
		t.Errorf("only the countries with data are in the tab order")
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(out))
	w.Close()
	t.Logf("map: %d bytes, %d gzipped", len(out), gz.Len())
	if gz.Len() > 60<<10 {
		t.Fatalf("map is %d bytes gzipped; the budget is 60 kB", gz.Len())
	}
	p := project(180, 0)
	if math.Abs(p[0]-2.7066) > 0.001 {
		t.Fatalf("Equal Earth at 180°: %v", p)
	}
}
