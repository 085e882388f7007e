package content_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coalition/internal/content"
	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/places"
	"coalition/internal/testkit"
)

func newService(t *testing.T, d *db.DB, now func() time.Time) (*content.Service, *places.Service) {
	t.Helper()
	p, err := places.New(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return content.NewService(d, p, now), p
}

func mustCategory(t *testing.T, s *content.Service, name string) content.Category {
	t.Helper()
	c, err := s.SaveCategory(context.Background(), content.Category{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var ed = content.Editor{Name: "Test Editor"}

func TestArticlesRevisionsAndSlugs(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := testkit.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
		s, p := newService(t, d, clock.Now)
		news := mustCategory(t, s, "News")
		if news.Slug != "news" {
			t.Fatalf("category slug %q", news.Slug)
		}
		syr, err := p.Get(ctx, places.KindCountry, "syr")
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Create(ctx, content.Input{Kind: content.KindArticle, CategoryID: news.ID, Title: "Côte d'Ivoire: first report",
			Body: "First words.", Status: content.StatusDraft, TagIDs: []int64{syr.ID}, Editor: ed}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a.Slug != "cote-d-ivoire-first-report" || a.Revision != 1 || a.AuthorName != "Test Editor" || len(a.Tags) != 1 {
			t.Fatalf("created %+v", a)
		}
		// A second article cannot take the same slug.
		_, err = s.Create(ctx, content.Input{Kind: content.KindArticle, CategoryID: news.ID, Title: "Côte d'Ivoire: first report",
			Status: content.StatusDraft, Editor: ed}, nil)
		if ie, ok := errs.AsInvalid(err); !ok || ie.Field != "slug" {
			t.Fatalf("duplicate slug: %v", err)
		}

		clock.Advance(time.Hour)
		in := a.Input()
		in.Body, in.Slug, in.Status, in.Editor = "Second words.", "first-report", content.StatusPublished, content.Editor{Name: "Another"}
		a2, err := s.Update(ctx, a.ID, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a2.Revision != 2 || a2.Slug != "first-report" || !a2.Live() || !a2.PublishAt.Equal(clock.Now()) {
			t.Fatalf("updated %+v", a2)
		}
		// The old slug redirects; the new one is current.
		if cur, err := s.Moved(ctx, content.KindArticle, "cote-d-ivoire-first-report"); err != nil || cur != "first-report" {
			t.Fatalf("moved: %q %v", cur, err)
		}
		if _, err := s.BySlug(ctx, content.KindArticle, "cote-d-ivoire-first-report"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("old slug still resolves directly: %v", err)
		}

		// A stale form is refused, not silently applied.
		stale := a.Input()
		stale.Body = "Overwrite"
		if _, err := s.Update(ctx, a.ID, stale, nil); err == nil {
			t.Fatal("a save based on revision 1 overwrote revision 2")
		} else if ie, ok := errs.AsInvalid(err); !ok || ie.Field != "revision" {
			t.Fatalf("stale save: %v", err)
		}

		revs, err := s.Revisions(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(revs) != 2 || revs[0].Body != "Second words." || revs[1].Body != "First words." || revs[0].EditorName != "Another" {
			t.Fatalf("revisions %+v", revs)
		}
		// Restore revision 1: the words come back as revision 3; the
		// article stays published at its new address.
		a3, err := s.Restore(ctx, a.ID, 1, ed, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a3.Body != "First words." || a3.Revision != 3 || !a3.Live() || a3.Slug != "first-report" {
			t.Fatalf("restored %+v", a3)
		}
		r3, err := s.Revision(ctx, a.ID, 3)
		if err != nil || r3.Note != "Restored revision 1" {
			t.Fatalf("revision 3: %+v %v", r3, err)
		}

		// Moving back to the old slug removes that redirect.
		in = a3.Input()
		in.Slug = "cote-d-ivoire-first-report"
		if _, err := s.Update(ctx, a.ID, in, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Moved(ctx, content.KindArticle, "cote-d-ivoire-first-report"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("current slug still a redirect: %v", err)
		}
		if cur, err := s.Moved(ctx, content.KindArticle, "first-report"); err != nil || cur != "cote-d-ivoire-first-report" {
			t.Fatalf("moved back: %q %v", cur, err)
		}

		// Listing and filters.
		list, total, err := s.List(ctx, content.Filter{Kind: content.KindArticle, Live: true, TagIDs: []int64{syr.ID}})
		if err != nil || total != 1 || len(list) != 1 || list[0].ID != a.ID {
			t.Fatalf("live list by tag: %d %v", total, err)
		}
		if _, total, _ := s.List(ctx, content.Filter{Kind: content.KindArticle, Query: "IVOIRE"}); total != 1 {
			t.Fatalf("title search found %d", total)
		}
		if cats, err := s.Categories(ctx); err != nil || len(cats) != 1 || cats[0].Articles != 1 {
			t.Fatalf("categories with counts: %+v %v", cats, err)
		}
		// Category with articles cannot be deleted.
		if err := s.DeleteCategory(ctx, news.ID); err == nil {
			t.Fatal("deleted a category holding an article")
		}
		if err := s.Delete(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ByID(ctx, a.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("deleted article: %v", err)
		}
		if err := s.DeleteCategory(ctx, news.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPagesCannotShadowRoutes(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		s, _ := newService(t, d, nil)
		ctx := context.Background()
		for _, sl := range []string{"admin", "news", "articles", "login", "donate"} {
			_, err := s.Create(ctx, content.Input{Kind: content.KindPage, Title: "X", Slug: sl, Status: content.StatusPublished, Editor: ed}, nil)
			if ie, ok := errs.AsInvalid(err); !ok || ie.Field != "slug" {
				t.Errorf("page at /%s: %v", sl, err)
			}
		}
		extra := func(s string) bool { return s == "brand-new-route" }
		if _, err := s.Create(ctx, content.Input{Kind: content.KindPage, Title: "X", Slug: "brand-new-route", Status: content.StatusDraft, Editor: ed}, extra); err == nil {
			t.Error("page took a slug the router reserves")
		}
		// A title that would make a reserved slug gets a safe one.
		p, err := s.Create(ctx, content.Input{Kind: content.KindPage, Title: "News", Status: content.StatusPublished, Editor: ed}, nil)
		if err != nil || p.Slug != "news-page" || p.Path() != "/news-page" {
			t.Fatalf("page from title News: %+v %v", p, err)
		}
	})
}

// TestScheduledPublishingOnce moves the clock past a scheduled time and has
// two schedulers (two app instances on one database) race to publish: each
// article is published, and its hook run, exactly once.
func TestScheduledPublishingOnce(t *testing.T) {
	for _, b := range testkit.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			clock := testkit.NewClock(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
			d1, url := b.Open(t)
			var d2 *db.DB
			if url != "" {
				var err error
				if d2, err = db.Open(ctx, "", url); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d2.Close() })
			} else {
				d2 = d1 // SQLite: one file, one writer; two services still race
			}
			s1, _ := newService(t, d1, clock.Now)
			s2, _ := newService(t, d2, clock.Now)
			var hooks atomic.Int32
			seen := sync.Map{}
			hook := func(ctx context.Context, tx *sql.Tx, a content.Article) error {
				if _, dup := seen.LoadOrStore(a.ID, true); dup {
					t.Errorf("article %d published twice", a.ID)
				}
				if a.Status != content.StatusPublished {
					t.Errorf("hook saw status %s", a.Status)
				}
				hooks.Add(1)
				return nil
			}
			s1.OnPublish(hook)
			s2.OnPublish(hook)
			cat := mustCategory(t, s1, "Statements")
			const n = 12
			for i := range n {
				a, err := s1.Create(ctx, content.Input{Kind: content.KindArticle, CategoryID: cat.ID, Title: "Scheduled " + string(rune('A'+i)),
					Status: content.StatusScheduled, PublishAt: clock.Now().Add(time.Duration(i+1) * time.Minute), Editor: ed}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if a.Status != content.StatusScheduled || a.Live() {
					t.Fatalf("scheduled article is %s", a.Status)
				}
			}
			if ids, err := s1.PublishDue(ctx); err != nil || len(ids) != 0 {
				t.Fatalf("published %v before time (%v)", ids, err)
			}
			clock.Advance(time.Hour)
			var wg sync.WaitGroup
			var total atomic.Int32
			for _, s := range []*content.Service{s1, s2, s1, s2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 3 {
						ids, err := s.PublishDue(ctx)
						if err != nil {
							t.Error(err)
							return
						}
						total.Add(int32(len(ids)))
					}
				}()
			}
			wg.Wait()
			if total.Load() != n || hooks.Load() != n {
				t.Fatalf("published %d times, hooks ran %d times; want %d each", total.Load(), hooks.Load(), n)
			}
			live, count, err := s2.List(ctx, content.Filter{Kind: content.KindArticle, Live: true})
			if err != nil || count != n || live[0].FirstPublishedAt.IsZero() {
				t.Fatalf("live after publishing: %d %v", count, err)
			}
		})
	}
}

func TestPublishHookFailureRollsBack(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := testkit.NewClock(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
		s, _ := newService(t, d, clock.Now)
		fail := true
		s.OnPublish(func(context.Context, *sql.Tx, content.Article) error {
			if fail {
				return errors.New("queue unavailable")
			}
			return nil
		})
		cat := mustCategory(t, s, "News")
		a, err := s.Create(ctx, content.Input{Kind: content.KindArticle, CategoryID: cat.ID, Title: "Later", Status: content.StatusScheduled,
			PublishAt: clock.Now().Add(time.Minute), Editor: ed}, nil)
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Minute)
		if _, err := s.PublishDue(ctx); err == nil {
			t.Fatal("a failing hook did not fail the publication")
		}
		if got, _ := s.ByID(ctx, a.ID); got.Status != content.StatusScheduled {
			t.Fatalf("status after failed hook: %s", got.Status)
		}
		fail = false
		if ids, err := s.PublishDue(ctx); err != nil || len(ids) != 1 {
			t.Fatalf("retry: %v %v", ids, err)
		}
	})
}

func TestShareCapAcrossCalls(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := testkit.NewClock(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
		s, _ := newService(t, d, clock.Now)
		try := func(key string) bool {
			var ok bool
			if err := d.Tx(ctx, func(tx *sql.Tx) error {
				var err error
				ok, err = s.CountShare(ctx, tx, key, 3)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		for i := range 3 {
			if !try("k1") {
				t.Fatalf("share %d refused", i+1)
			}
		}
		if try("k1") {
			t.Fatal("fourth share allowed")
		}
		if !try("k2") {
			t.Fatal("another recipient refused")
		}
		clock.Advance(24 * time.Hour)
		if !try("k1") {
			t.Fatal("next day refused")
		}
	})
}

func TestIndexEntry(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, p := newService(t, d, nil)
		cat := mustCategory(t, s, "News")
		ukr, err := p.Get(ctx, places.KindCountry, "ukr")
		if err != nil {
			t.Fatal(err)
		}
		var changed []int64
		s.OnChange(func(_ context.Context, id int64) { changed = append(changed, id) })
		a, err := s.Create(ctx, content.Input{Kind: content.KindArticle, CategoryID: cat.ID, Title: "Index me", Summary: "Short.",
			Body: "## Heading\n\nSome **bold** words about Україна. Write to desk@example.org.", Status: content.StatusPublished,
			Visibility: content.Members, TagIDs: []int64{ukr.ID}, Editor: ed}, nil)
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.IndexEntry(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Text != "Heading\nSome bold words about Україна. Write to desk at example.org." || e.URL != "/articles/index-me" ||
			!e.Live || e.Visibility != content.Members || len(e.TagIDs) != 1 || e.TagIDs[0] != ukr.ID || e.PublishedAt.IsZero() {
			t.Fatalf("index entry %+v", e)
		}
		if len(changed) != 1 || changed[0] != a.ID {
			t.Fatalf("OnChange calls: %v", changed)
		}
		if err := s.Delete(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.IndexEntry(ctx, a.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("deleted article's index entry: %v", err)
		}
	})
}
