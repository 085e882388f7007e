package demo_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"coalition/internal/app"
	"coalition/internal/config"
	"coalition/internal/content"
	"coalition/internal/db"
	"coalition/internal/demo"
	"coalition/internal/library"
	"coalition/internal/members"
	"coalition/internal/places"
	"coalition/internal/search"
	"coalition/internal/testkit"
)

// TestDemoMembersAndCrises loads the demo twice on both databases: the
// second load adds nothing, and the content the issue asks for is there.
func TestDemoMembersAndCrises(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		cfg := config.Default()
		cfg.DataDir = t.TempDir()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		a, err := app.OpenDB(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), d)
		if err != nil {
			t.Fatal(err)
		}
		for round := 0; round < 2; round++ {
			if _, err := demo.Load(ctx, a); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			// A reloaded marker (a newer demo version) must not duplicate anything.
			if err := a.Settings.SetValue(ctx, "demo.version", "0"); err != nil {
				t.Fatal(err)
			}
		}
		orgs, err := a.Members.List(ctx, members.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		regions, tiers, public := map[string]bool{}, map[string]bool{}, 0
		for _, o := range orgs {
			regions[o.Region] = true
			tiers[o.TierSlug] = true
			if o.Public {
				public++
			}
			if !o.HasLogo {
				t.Errorf("%s has no logo", o.Name)
			}
		}
		if len(orgs) != 6 || public < 5 || len(regions) < 4 || !tiers["member"] || !tiers["ngo-supporter"] {
			t.Fatalf("organisations %d (public %d), regions %v, tiers %v", len(orgs), public, regions, tiers)
		}
		if apps, _ := a.Members.Applications(ctx, ""); len(apps) != 1 {
			t.Fatalf("pending applications: %d", len(apps))
		}
		if q, _ := a.Members.Queue(ctx, ""); len(q) != 1 {
			t.Fatalf("queue: %d", len(q))
		}
		u, err := a.Accounts.ByEmail(ctx, demo.MemberEmail)
		if err != nil || u.OrganisationID == 0 {
			t.Fatalf("demo member: %+v %v", u, err)
		}
		if ok, _ := a.Accounts.CheckPassword(ctx, u.ID, demo.AdminPassword); !ok {
			t.Fatal("the demo member's password")
		}
		list, err := a.Crises.List(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		statuses := map[string]bool{}
		for _, c := range list {
			statuses[c.Status.Slug] = true
			full, err := a.Crises.Get(ctx, c.ID)
			if err != nil || len(full.Updates) == 0 || len(full.Recommendations) == 0 || c.TagID == 0 {
				t.Errorf("crisis %s: %d updates, %d recommendations, tag %d, %v", c.Slug, len(full.Updates), len(full.Recommendations), c.TagID, err)
			}
		}
		if len(list) != 5 || len(statuses) != 4 {
			t.Fatalf("crises %d across statuses %v", len(list), statuses)
		}
		// The approved member news was published as an article (the members
		// area's Publisher is wired to publishing), filed under the Sahel crisis.
		sahel, _ := a.Crises.BySlug(ctx, "sahel")
		res, err := a.Search.Search(ctx, search.Query{Tags: []int64{sahel.TagID}, Types: []string{"article"}, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		published := map[string]bool{}
		for _, o := range orgs {
			subs, err := a.Members.Published(ctx, o.ID, false, 50)
			if err != nil {
				t.Fatal(err)
			}
			for _, sb := range subs {
				published[sb.PublishedURL] = true
			}
		}
		var fromMember bool
		for _, h := range res.Hits {
			fromMember = fromMember || published[h.URL]
		}
		if !fromMember {
			t.Fatalf("no member news among the %d articles under the Sahel crisis", len(res.Hits))
		}
	})
}

func TestDemoLoadsOnceWithArticles(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	ctx := context.Background()
	loaded, err := demo.Load(ctx, site.App)
	if err != nil || !loaded {
		t.Fatalf("first load: %v %v", loaded, err)
	}
	count := func(f content.Filter) int {
		_, n, err := site.App.Content.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(content.Filter{Kind: content.KindArticle}); n < 8 {
		t.Fatalf("%d demo articles", n)
	}
	if count(content.Filter{Kind: content.KindArticle, Status: content.StatusScheduled}) != 1 ||
		count(content.Filter{Kind: content.KindArticle, Status: content.StatusDraft}) != 1 {
		t.Error("demo lacks a scheduled and a draft article")
	}
	// Loading again (say, after a version bump) adds nothing twice.
	if err := site.App.Settings.SetValue(ctx, "demo.version", "1"); err != nil {
		t.Fatal(err)
	}
	before := count(content.Filter{Kind: content.KindArticle})
	if _, err := demo.Load(ctx, site.App); err != nil {
		t.Fatal(err)
	}
	if after := count(content.Filter{Kind: content.KindArticle}); after != before {
		t.Fatalf("reload changed the article count: %d → %d", before, after)
	}
	c := site.NewClient(t)
	home := c.Get("/")
	if !strings.Contains(home.Body, "A letter from our coordinator") {
		t.Error("home page does not show the latest articles")
	}
	letter := c.Get("/articles/a-letter-from-our-coordinator-at-the-end-of-the-year")
	for _, want := range []string{`href="/subscribe"`, `href="/donate"`, `href="/feed.atom"`} {
		if !strings.Contains(letter.Body, want) {
			t.Errorf("appeal letter lacks %s", want)
		}
	}
	nl := c.Get("/articles/newsletter-november")
	if !strings.Contains(nl.Body, `id="in-this-issue"`) || !strings.Contains(nl.Body, `href="#central-sahel"`) {
		t.Error("newsletter has no contents list")
	}
	st := c.Get("/articles/statement-protection-of-civilians-in-three-crises")
	if !strings.Contains(st.Body, "Україна") || strings.Contains(st.Body, "press@gccp") {
		t.Error("statement text or cloaking wrong")
	}
	for _, p := range []string{"/about", "/join", "/category/newsletters", "/tag/responsibility-to-protect", "/tag/civ"} {
		if r := c.Get(p); r.Status != http.StatusOK {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
}

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
