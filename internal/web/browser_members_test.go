package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"coalition/internal/accounts"
	"coalition/internal/testkit"

	"github.com/chromedp/chromedp"
)

// TestBrowserJoinToPublishedNews walks the whole members journey in headless
// Chromium: an organisation applies on /join, an editor approves it, the
// invited contact chooses a password and signs in, submits news, the editor
// approves it, and it appears on the organisation's profile. Set
// COALITION_SCREENSHOTS to a directory to keep a picture of each step.
func TestBrowserJoinToPublishedNews(t *testing.T) {
	smtp := testkit.NewSMTP(t)
	site := testkit.NewSite(t, testkit.SiteOptions{SMTP: smtp})
	site.AddUser(t, "editor@example.org", accounts.RoleEditor, "an editor password")
	ctx := testkit.Browser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	shots := os.Getenv("COALITION_SCREENSHOTS")
	// Every step's page also goes through axe-core.
	shot := func(name string) {
		t.Helper()
		testkit.CheckAccessible(t, ctx, name)
		if shots == "" {
			return
		}
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Logf("screenshot %s: %v", name, err)
			return
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), b, 0o644); err != nil {
			t.Log(err)
		}
	}
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	signIn := func(email, pw string) {
		t.Helper()
		do("sign in "+email,
			chromedp.Navigate(site.URL+"/login"),
			chromedp.WaitVisible(css(`#email`)),
			chromedp.SendKeys(css(`#email`), email),
			chromedp.SendKeys(css(`#password`), pw+"\n"),
			chromedp.WaitVisible(css(`form[action="/logout"]`)),
		)
	}
	signOut := func() {
		t.Helper()
		do("sign out", chromedp.Click(css(`form[action="/logout"] button`)), chromedp.WaitVisible(css(`a[href="/login"]`)))
	}

	// 1. The organisation applies.
	do("apply",
		chromedp.Navigate(site.URL+"/members"),
		chromedp.Click(css(`a[href="/join"]`)),
		chromedp.WaitVisible(css(`#org_name`)),
		chromedp.SendKeys(css(`#org_name`), "Lake Chad Civic Watch"),
		chromedp.SetValue(css(`#country`), "NGA"),
		chromedp.SendKeys(css(`#website`), "https://lakechad-watch.example.org"),
		chromedp.SendKeys(css(`#description`), "We monitor attacks on displaced people around Lake Chad."),
		chromedp.SendKeys(css(`#contact_name`), "Hauwa Bello"),
		chromedp.SendKeys(css(`#contact_email`), "hauwa@lakechad-watch.example.org"),
		chromedp.Click(css(`input[name="tier"]`)),
		chromedp.SendKeys(css(`#statement`), "Our monitors have documented attacks on camps since 2016; we endorse the charter."),
	)
	shot("1-join")
	do("send the application", chromedp.Click(css(`form[action="/join"] button.primary`)), chromedp.WaitVisible(css(`main h1`)))
	if h := text(`main h1`); h != "Thank you for applying" {
		t.Fatalf("after applying: %q", h)
	}
	shot("1b-thanks")
	waitMail(t, smtp, "hauwa@lakechad-watch.example.org", "Your application")

	// 2. An editor approves it.
	signIn("editor@example.org", "an editor password")
	do("open the application",
		chromedp.Navigate(site.URL+"/admin/applications"),
		chromedp.Click(css(`table a[href^="/admin/applications/"]`)),
		chromedp.WaitVisible(css(`#decide-form`)),
		chromedp.SendKeys(css(`#note`), "Welcome to the coalition."),
	)
	shot("2-application")
	do("approve", chromedp.Click(css(`#decide-form button.primary`)), chromedp.WaitVisible(css(`.flash`)))
	if f := text(`.flash`); !strings.Contains(f, "Approved") {
		t.Fatalf("approval message: %q", f)
	}
	signOut()

	// 3. The invited contact chooses a password and signs in.
	welcome := waitMail(t, smtp, "hauwa@lakechad-watch.example.org", "Welcome to")
	link := welcomeLinkRe.FindStringSubmatch(welcome.Text)
	if link == nil {
		t.Fatalf("no invitation link in %q", welcome.Text)
	}
	do("choose a password",
		chromedp.Navigate(site.URL+link[1]),
		chromedp.WaitVisible(css(`#password`)),
		chromedp.SendKeys(css(`#password`), "lake chad password"),
		chromedp.SendKeys(css(`#confirm`), "lake chad password\n"),
		chromedp.WaitVisible(css(`#email`)),
	)
	signIn("hauwa@lakechad-watch.example.org", "lake chad password")

	// 4. They submit news from the member area.
	do("submit news",
		chromedp.Navigate(site.URL+"/member"),
		chromedp.WaitVisible(css(`a[href="/member/submit/news"]`)),
	)
	shot("3-member-area")
	do("fill the news",
		chromedp.Click(css(`a[href="/member/submit/news"]`)),
		chromedp.WaitVisible(css(`#title`)),
		chromedp.SendKeys(css(`#title`), "Camp near Monguno shelled"),
		chromedp.SendKeys(css(`#summary`), "Families fled a displacement camp after night-time shelling."),
		chromedp.SendKeys(css(`#body`), "Residents told our monitors that **three shells** fell on the camp during the night."),
	)
	shot("4-submit")
	do("send the news", chromedp.Click(css(`form.form button.primary`)), chromedp.WaitVisible(css(`.state`)))
	if s := text(`main .state`); s != "Waiting for the editors" {
		t.Fatalf("state after submitting: %q", s)
	}
	shot("4b-submission")
	if _, err := chromedp.Run(ctx, chromedp.Location()); err != nil {
		t.Fatal(err)
	}
	// Members cannot reach the admin.
	do("admin refused", chromedp.Navigate(site.URL+"/admin"), chromedp.WaitVisible(css(`main h1`)))
	if h := text(`main h1`); h != "Not allowed" {
		t.Fatalf("member at /admin: %q", h)
	}
	signOut()

	// 5. The editor approves the news.
	signIn("editor@example.org", "an editor password")
	do("review",
		chromedp.Navigate(site.URL+"/admin/submissions"),
		chromedp.Click(css(`table a[href^="/admin/submissions/"]`)),
		chromedp.WaitVisible(css(`button[value="approve"]`)),
	)
	shot("5-review")
	do("approve the news", chromedp.Click(css(`button[value="approve"]`)), chromedp.WaitVisible(css(`.flash`)))
	if f := text(`.flash`); !strings.Contains(f, "Approved and published") {
		t.Fatalf("approval: %q", f)
	}
	signOut()

	// 6. It appears on the organisation's profile, published under its name.
	do("profile",
		chromedp.Navigate(site.URL+"/members"),
		chromedp.Click(css(`a[href="/members/lake-chad-civic-watch"]`)),
		chromedp.WaitVisible(css(`#news`)),
	)
	shot("6-profile")
	do("open the news", chromedp.Click(css(`ul.item-list a[href^="/articles/"]`)), chromedp.WaitVisible(css(`article h1`)))
	if h := text(`article h1`); h != "Camp near Monguno shelled" {
		t.Fatalf("published news: %q", h)
	}
	if body := text(`article`); !strings.Contains(body, "three shells") || !strings.Contains(body, "Lake Chad Civic Watch") {
		t.Fatalf("published news body: %q", body)
	}
	shot("7-news")
	waitMail(t, smtp, "hauwa@lakechad-watch.example.org", "Published: Camp near Monguno shelled")
}
