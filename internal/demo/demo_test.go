package demo_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"coalition/internal/content"
	"coalition/internal/demo"
	"coalition/internal/testkit"
)

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
