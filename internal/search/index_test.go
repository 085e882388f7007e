package search_test

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"testing"
	"time"

	"coalition/internal/db"
	"coalition/internal/places"
	"coalition/internal/search"
	"coalition/internal/testkit"
)

type fixture struct {
	d    *db.DB
	idx  search.Index
	p    *places.Service
	tags map[string]int64
}

func (f *fixture) tag(t *testing.T, kind places.Kind, slug string) int64 {
	t.Helper()
	k := string(kind) + ":" + slug
	if id, ok := f.tags[k]; ok {
		return id
	}
	tg, err := f.p.Get(context.Background(), kind, slug)
	if err != nil {
		t.Fatalf("tag %s: %v", k, err)
	}
	f.tags[k] = tg.ID
	return tg.ID
}

func (f *fixture) put(t *testing.T, it search.Item) {
	t.Helper()
	err := f.d.Tx(context.Background(), func(tx *sql.Tx) error { return f.idx.Put(context.Background(), tx, it) })
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) search(t *testing.T, q search.Query) search.Result {
	t.Helper()
	r, err := f.idx.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return r
}

func titles(r search.Result) string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.Title)
	}
	sort.Strings(out)
	return strings.Join(out, " | ")
}

func date(y int) time.Time { return time.Date(y, 3, 1, 0, 0, 0, 0, time.UTC) }

// TestIndex is the one search suite, run against SQLite FTS5 and PostgreSQL.
func TestIndex(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p, err := places.New(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		f := &fixture{d: d, idx: search.New(d), p: p, tags: map[string]int64{}}
		theme, err := p.Create(ctx, places.KindTheme, "Protection of civilians", "")
		if err != nil {
			t.Fatal(err)
		}
		mena, err := p.Create(ctx, places.KindGrouping, "Middle East and North Africa", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.SetGroupingCountries(ctx, mena.ID, []string{"SYR", "EGY"}); err != nil {
			t.Fatal(err)
		}
		syr, civ, mmr, ukr := f.tag(t, places.KindCountry, "syr"), f.tag(t, places.KindCountry, "civ"), f.tag(t, places.KindCountry, "mmr"), f.tag(t, places.KindCountry, "ukr")
		f.put(t, search.Item{Type: "document", ID: 1, Title: "Statement on the protection of civilians in Syria", Summary: "The coalition calls for access.",
			Body: "We recall the responsibility to protect and condemn sexual violence. <script>alert(1)</script>", URL: "/documents/1",
			Date: date(2013), Language: "en", Source: "Coalition secretariat", Kind: "statement", TagIDs: []int64{syr, theme.ID}})
		f.put(t, search.Item{Type: "document", ID: 2, Title: "Rapport sur la Côte d’Ivoire", Body: "La situation en Côte d’Ivoire reste fragile.",
			URL: "/documents/2", Date: date(2011), Language: "fr", Source: "Partner NGO", Kind: "report", TagIDs: []int64{civ}})
		f.put(t, search.Item{Type: "document", ID: 3, Title: "Internal briefing on Myanmar", Body: "Members only analysis of Rakhine.",
			URL: "/documents/3", Date: date(2020), Language: "en", Kind: "briefing", Access: search.AccessMembers, TagIDs: []int64{mmr}})
		f.put(t, search.Item{Type: "article", ID: 1, Title: "Arms trade treaty enters into force", Body: "The arms trade treaty regulates transfers.",
			URL: "/news/att", Date: date(2014), Language: "en", Kind: "news"})
		f.put(t, search.Item{Type: "document", ID: 4, Title: "Protecting civilians in Ukraine", Body: "Civilians in Ukraine need protection.",
			URL: "/documents/4", Date: date(2022), Language: "en", Source: "Coalition secretariat", Kind: "statement", TagIDs: []int64{ukr, theme.ID}})
		// Putting again replaces, never duplicates.
		f.put(t, search.Item{Type: "document", ID: 4, Title: "Protecting civilians in Ukraine", Body: "Civilians in Ukraine need protection.",
			URL: "/documents/4", Date: date(2022), Language: "en", Source: "Coalition secretariat", Kind: "statement", TagIDs: []int64{ukr, theme.ID}})

		all := f.search(t, search.Query{})
		if all.Total != 4 || all.Hits[0].Title != "Protecting civilians in Ukraine" {
			t.Fatalf("anonymous browse: %d, first %q", all.Total, titles(all))
		}
		if all.Facets.Types["document"] != 3 || all.Facets.Types["article"] != 1 || all.Facets.Kinds["statement"] != 2 ||
			all.Facets.Years[2013] != 1 || all.Facets.Languages["fr"] != 1 || all.Facets.Sources["Coalition secretariat"] != 2 {
			t.Fatalf("facets: %+v", all.Facets)
		}
		asia, africa, westAsia := f.tag(t, places.KindRegion, "asia"), f.tag(t, places.KindRegion, "africa"), f.tag(t, places.KindSubregion, "western-asia")
		if all.Facets.Tags[asia] != 1 || all.Facets.Tags[westAsia] != 1 || all.Facets.Tags[africa] != 1 || all.Facets.Tags[mena.ID] != 1 ||
			all.Facets.Tags[theme.ID] != 2 || all.Facets.Tags[mmr] != 0 {
			t.Fatalf("tag facets: %+v", all.Facets.Tags)
		}
		members := f.search(t, search.Query{Members: true})
		if members.Total != 5 || members.Facets.Tags[asia] != 2 {
			t.Fatalf("members browse: %d %v", members.Total, members.Facets.Tags[asia])
		}

		cases := []struct {
			q       string
			members bool
			want    string
		}{
			{"syria", false, "Statement on the protection of civilians in Syria"},
			{"SYRIA", false, "Statement on the protection of civilians in Syria"},
			{"cote", false, "Rapport sur la Côte d’Ivoire"},
			{"Côte d'Ivoire", false, "Rapport sur la Côte d’Ivoire"},
			{`"cote d’ivoire"`, false, "Rapport sur la Côte d’Ivoire"},
			{`"responsibility to protect"`, false, "Statement on the protection of civilians in Syria"},
			{`"protect to responsibility"`, false, ""},
			{"protecting syria", false, "Statement on the protection of civilians in Syria"},
			{"syria OR ukraine", false, "Protecting civilians in Ukraine | Statement on the protection of civilians in Syria"},
			{"civilians -syria", false, "Protecting civilians in Ukraine"},
			{"civilians NOT ukraine", false, "Statement on the protection of civilians in Syria"},
			{`civilians -"protection of civilians"`, false, "Protecting civilians in Ukraine"},
			{`"arms trade" OR rakhine`, false, "Arms trade treaty enters into force"},
			{`"arms trade" OR rakhine`, true, "Arms trade treaty enters into force | Internal briefing on Myanmar"},
			{"protect*", false, "Protecting civilians in Ukraine | Statement on the protection of civilians in Syria"},
			{"treaties", false, "Arms trade treaty enters into force"},
			{"myanmar", false, ""},
			{"myanmar", true, "Internal briefing on Myanmar"},
			{"rakh*", true, "Internal briefing on Myanmar"},
		}
		for _, c := range cases {
			r := f.search(t, search.Query{Text: c.q, Members: c.members})
			if got := titles(r); got != c.want {
				t.Errorf("search %q (members %v) = %q, want %q", c.q, c.members, got, c.want)
			}
			if r.Total != len(r.Hits) {
				t.Errorf("search %q: total %d, hits %d", c.q, r.Total, len(r.Hits))
			}
		}

		r := f.search(t, search.Query{Text: "sexual violence"})
		if len(r.Hits) != 1 {
			t.Fatalf("sexual violence: %d hits", len(r.Hits))
		}
		sn := string(r.Hits[0].Snippet)
		if !strings.Contains(sn, "<mark>sexual</mark>") || strings.Contains(sn, "<script") || !strings.Contains(sn, "&lt;script&gt;") {
			t.Fatalf("snippet not highlighted and escaped: %s", sn)
		}
		if r := f.search(t, search.Query{Text: "cote"}); len(r.Hits) != 1 || !strings.Contains(string(r.Hits[0].Snippet), "<mark>Côte</mark>") {
			t.Fatalf("accent-folded highlight: %+v", r.Hits)
		}

		// Filters combine with each other and with text.
		filt := []struct {
			q    search.Query
			want string
		}{
			{search.Query{Tags: []int64{asia}}, "Statement on the protection of civilians in Syria"},
			{search.Query{Tags: []int64{mena.ID}}, "Statement on the protection of civilians in Syria"},
			{search.Query{Tags: []int64{theme.ID}, Kind: "statement", Year: 2022}, "Protecting civilians in Ukraine"},
			{search.Query{Tags: []int64{theme.ID}, Text: "syria"}, "Statement on the protection of civilians in Syria"},
			{search.Query{Tags: []int64{theme.ID, africa}}, ""},
			{search.Query{Language: "fr"}, "Rapport sur la Côte d’Ivoire"},
			{search.Query{Source: "Partner NGO"}, "Rapport sur la Côte d’Ivoire"},
			{search.Query{Types: []string{"article"}}, "Arms trade treaty enters into force"},
			{search.Query{Tags: []int64{asia}, Members: true}, "Internal briefing on Myanmar | Statement on the protection of civilians in Syria"},
		}
		for _, c := range filt {
			r := f.search(t, c.q)
			if got := titles(r); got != c.want {
				t.Errorf("filter %+v = %q, want %q", c.q, got, c.want)
			}
		}
		r = f.search(t, search.Query{Text: "civilians", Tags: []int64{theme.ID}})
		if r.Facets.Tags[ukr] != 1 || r.Facets.Tags[syr] != 1 || r.Facets.Years[2022] != 1 || r.Facets.Kinds["statement"] != 2 {
			t.Fatalf("facets of a search: %+v", r.Facets)
		}
		newest := f.search(t, search.Query{Text: "civilians", Sort: search.SortNewest})
		if len(newest.Hits) != 2 || newest.Hits[0].ID != 4 {
			t.Fatalf("newest first: %+v", newest.Hits)
		}
		paged := f.search(t, search.Query{Limit: 2, Offset: 2})
		if paged.Total != 4 || len(paged.Hits) != 2 || paged.Hits[0].ID != 1 || paged.Hits[1].ID != 2 {
			t.Fatalf("page 2: %+v", paged.Hits)
		}

		// A grouping gains a country: items follow after Reexpand.
		if err := p.SetGroupingCountries(ctx, mena.ID, []string{"SYR", "EGY", "CIV"}); err != nil {
			t.Fatal(err)
		}
		if err := f.idx.Reexpand(ctx); err != nil {
			t.Fatal(err)
		}
		if r := f.search(t, search.Query{Tags: []int64{mena.ID}}); r.Total != 2 {
			t.Fatalf("after regrouping: %d in MENA", r.Total)
		}

		// Hostile input never errors.
		junk := strings.Repeat("é\"(*-OR NEAR/ ", 800)
		for _, q := range []string{`"unbalanced`, `OR`, `-`, `NOT`, `*`, `NEAR(syria ukraine)`, `title:syria`, `syria:`, `{title summary}: x`,
			`'; DROP TABLE search_items; --`, "\x00syria", "\xff\xfe", junk, `a OR OR b`, `((((`, `"`, `-syria`, `^syria`, `syria + ukraine`,
			`the`, `"the of"`, `the -syria`, `"the of" -"arms trade"`, `"of the" OR -syria`, `\`, `%`, `_`, `$1`, `'`, `''`, `:*`, `!!`, `&`, `|`, `<->`} {
			r, err := f.idx.Search(ctx, search.Query{Text: q})
			if err != nil {
				t.Errorf("hostile %q: %v", q, err)
				continue
			}
			if len(r.Hits) == 0 && r.Total != 0 {
				t.Errorf("hostile %q: total %d without hits", q, r.Total)
			}
		}
		if r := f.search(t, search.Query{Text: "-syria"}); len(r.Notes) == 0 || len(r.Hits) != 0 {
			t.Fatalf("only exclusions: %+v", r)
		}
		if r := f.search(t, search.Query{Text: "NEAR(syria)"}); titles(r) != "" {
			t.Logf("NEAR is a word: %q", titles(r))
		}

		// Delete removes, and is idempotent.
		for i := 0; i < 2; i++ {
			err := d.Tx(ctx, func(tx *sql.Tx) error { return f.idx.Delete(ctx, tx, "document", 1) })
			if err != nil {
				t.Fatal(err)
			}
		}
		if r := f.search(t, search.Query{Text: "syria"}); r.Total != 0 {
			t.Fatalf("deleted item still found: %s", titles(r))
		}
		if r := f.search(t, search.Query{}); r.Facets.Tags[asia] != 0 || r.Total != 3 {
			t.Fatalf("after delete: %d items, asia %d", r.Total, r.Facets.Tags[asia])
		}
	})
}
