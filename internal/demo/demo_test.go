package demo_test

import (
	"context"
	"testing"
	"time"

	"coalition/internal/db"
	"coalition/internal/demo"
	"coalition/internal/library"
	"coalition/internal/places"
	"coalition/internal/search"
	"coalition/internal/testkit"
)

// TestDemoDocuments loads the demo twice: documents of every format, the
// coalition's regions, and no duplicates.
func TestDemoDocuments(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		site := testkit.NewSite(t, testkit.SiteOptions{DB: d})
		a := site.App
		ctx := context.Background()
		if loaded, err := demo.Load(ctx, a); err != nil || !loaded {
			t.Fatalf("first load: %v %v", loaded, err)
		}
		if _, err := a.Settings.Value(ctx, "demo.version"); err != nil {
			t.Fatal(err)
		}
		if err := a.Settings.SetValue(ctx, "demo.version", "0"); err != nil { // force the steps to run again
			t.Fatal(err)
		}
		if _, err := demo.Load(ctx, a); err != nil {
			t.Fatalf("second load: %v", err)
		}
		docs, total, err := a.Library.List(ctx, library.ListFilter{Limit: 100})
		if err != nil || total < 12 {
			t.Fatalf("demo documents: %d %v", total, err)
		}
		formats := map[string]bool{}
		titles := map[string]bool{}
		for _, doc := range docs {
			formats[doc.Format] = true
			if titles[doc.Title] {
				t.Fatalf("duplicate demo document %q", doc.Title)
			}
			titles[doc.Title] = true
		}
		if !formats["pdf"] || !formats["txt"] || !formats["html"] {
			t.Fatalf("formats: %v", formats)
		}
		groupings, err := a.Places.List(ctx, places.KindGrouping)
		if err != nil || len(groupings) != 5 {
			t.Fatalf("groupings: %d %v", len(groupings), err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			c, err := a.Library.StateCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c[library.StatePending]+c[library.StateRunning] == 0 {
				if c[library.StateDone] != total {
					t.Fatalf("extraction: %v", c)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("extraction did not finish: %v", c)
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, q := range []string{`"lines and borders"`, `"early warning committees" kivu`} {
			r, err := a.Search.Search(ctx, search.Query{Text: q})
			if err != nil || r.Total != 1 {
				t.Fatalf("search %s inside a demo PDF: %d %v %+v", q, r.Total, err, r.Hits)
			}
		}
		if r, err := a.Search.Search(ctx, search.Query{Text: `"humanitarian access" aleppo`}); err != nil || r.Total != 0 || len(r.Hits) != 0 {
			t.Fatalf("aleppo: %+v %v", r.Hits, err)
		}
	})
}
