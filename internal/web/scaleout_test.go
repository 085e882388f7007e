package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/config"
	"coalition/internal/content"
	"coalition/internal/db"
	"coalition/internal/library"
	"coalition/internal/mail"
	"coalition/internal/testkit"
)

// TestScaleOutOnPostgres runs two instances on one PostgreSQL database and
// one shared data directory (for uploaded files), as two `coalition serve`
// processes behind a load balancer would: a session made on one works on
// the other, a scheduled article is published once, a campaign is sent
// once, and a file uploaded through one is served by the other.
func TestScaleOutOnPostgres(t *testing.T) {
	d1, url := testkit.NewPostgres(t)
	ctx := context.Background()
	d2, err := db.Open(ctx, "", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d2.Close() })
	shared := t.TempDir()
	smtp := testkit.NewSMTP(t)
	cfg := func(c *config.Config) { c.DataDir = shared }
	a := testkit.NewSite(t, testkit.SiteOptions{DB: d1, SMTP: smtp, Config: cfg})
	b := testkit.NewSite(t, testkit.SiteOptions{DB: d2, SMTP: smtp, Config: cfg})

	// A session made on A is honoured by B.
	a.AddUser(t, "editor@example.org", accounts.RoleEditor, "correct horse battery staple")
	ca := a.NewClient(t)
	ca.Login("editor@example.org", "correct horse battery staple")
	tok := ca.Cookie("coalition_session")
	req, _ := http.NewRequest("GET", b.URL+"/admin", nil)
	req.AddCookie(&http.Cookie{Name: "coalition_session", Value: tok})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("session from A on B: %d", res.StatusCode)
	}

	// A scheduled article is published exactly once, whichever instance's
	// scheduler gets there first.
	var published atomic.Int32
	for _, s := range []*testkit.Site{a, b} {
		s.App.Content.OnPublish(func(ctx context.Context, tx *sql.Tx, art content.Article) error {
			if art.Title == "Scheduled once" {
				published.Add(1)
			}
			return nil
		})
	}
	cat, err := a.App.Content.SaveCategory(ctx, content.Category{Name: "News", Slug: "news"})
	if err != nil {
		t.Fatal(err)
	}
	art, err := a.App.Content.Create(ctx, content.Input{Kind: content.KindArticle, CategoryID: cat.ID, Title: "Scheduled once",
		Body: "Text.", Status: content.StatusScheduled, PublishAt: time.Now().Add(500 * time.Millisecond), Editor: content.Editor{Name: "E"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Both schedulers wake often enough in tests through their kick; nudge both.
	waitFor(t, "the scheduled article", func() bool {
		a.App.Content.Kick()
		b.App.Content.Kick()
		got, err := b.App.Content.ByID(ctx, art.ID)
		return err == nil && got.Live()
	})
	time.Sleep(300 * time.Millisecond) // give a second publication, if any, the time to happen
	if n := published.Load(); n != 1 {
		t.Fatalf("the scheduled article was published %d times", n)
	}

	// A campaign sent once by both senders together.
	l, err := a.App.Mail.CreateList(ctx, mail.ListInput{Name: "Newsletter"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	for i := range n {
		if _, err := a.App.Mail.Add(ctx, mail.AddInput{Email: fmt.Sprintf("r%03d@example.org", i), ListIDs: []int64{l.ID}, Status: "confirmed", Source: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := a.App.Mail.CreateCampaign(ctx, mail.CampaignInput{Subject: "Once only", Body: "Hello.", ListIDs: []int64{l.ID}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.App.Mail.Send(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	b.App.Mail.Kick()
	waitFor(t, "the campaign", func() bool {
		got, err := b.App.Mail.GetCampaign(ctx, c.ID)
		return err == nil && got.Status == mail.CampaignSent
	})
	per := map[string]int{}
	for _, m := range smtp.Messages() {
		if m.Header("Subject") == "Once only" {
			per[m.To[0]]++
		}
	}
	if len(per) != n {
		t.Fatalf("%d of %d addresses received the campaign", len(per), n)
	}
	for addr, k := range per {
		if k != 1 {
			t.Fatalf("%s received %d copies", addr, k)
		}
	}

	// A document uploaded through A is served by B from the shared directory.
	doc, err := a.App.Library.Create(ctx, library.Input{Title: "Shared file", Date: "2026-01-02", Type: "report", Language: "en", Access: "public"},
		&library.File{Name: "shared.txt", Body: strings.NewReader("Text stored once, served by both instances.")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err = http.Get(b.URL + "/documents/" + strconv.FormatInt(doc.ID, 10) + "/file")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "Text stored once, served by both instances." {
		t.Fatalf("file from B: %d %q", res.StatusCode, body)
	}
}
