package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"coalition/internal/demo"
	"coalition/internal/testkit"
)

// TestDocumentsMap: /documents shows the world map of where the matching
// documents come from, with the same data as a list whose links narrow the
// listing to a country; no script involved.
func TestDocumentsMap(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	if _, err := demo.Load(context.Background(), site.App); err != nil {
		t.Fatal(err)
	}
	c := site.NewClient(t)
	r := c.Get("/documents")
	if !strings.Contains(r.Body, `id="documents-map-caption"`) || !strings.Contains(r.Body, "<svg") {
		t.Fatalf("no documents map on /documents")
	}
	row := regexp.MustCompile(`<li><span class="swatch g\d" aria-hidden="true"></span> <a href="[^"]+">([^<]+)</a>: (\d+) documents?\s*<ul><li><a href="(/documents\?country=[^"]+)">`).FindStringSubmatch(r.Body)
	if row == nil {
		t.Fatalf("the map's list has no country row linking to the narrowed listing")
	}
	narrowed := c.Get(strings.ReplaceAll(row[3], "&amp;", "&"))
	if narrowed.Status != 200 || !strings.Contains(narrowed.Body, row[1]) {
		t.Fatalf("narrowed listing %s: %d", row[3], narrowed.Status)
	}
	if n := strings.Count(narrowed.Body, `class="swatch g`); n < 1 {
		t.Fatalf("narrowed map has no shaded country")
	}
}
