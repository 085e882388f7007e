package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/content"
	"coalition/internal/db"
	"coalition/internal/settings"
	"coalition/internal/testkit"

	"github.com/mmcdole/gofeed"
)

const edPass = "an editor password"

// pubSite starts a site with an editor signed in and one category.
func pubSite(t *testing.T, o testkit.SiteOptions) (*testkit.Site, *testkit.Client, content.Category) {
	t.Helper()
	site := testkit.NewSite(t, o)
	if err := site.App.Settings.Save(context.Background(), settings.Settings{OrgName: "Test Coalition", PostalAddress: "1 Test Street\nGeneva"}); err != nil {
		t.Fatal(err)
	}
	site.AddUser(t, "ed@example.org", accounts.RoleEditor, edPass)
	c := site.NewClient(t)
	c.Login("ed@example.org", edPass)
	c.Get("/admin/categories")
	r := c.Post("/admin/categories", url.Values{"name": {"Statements"}, "description": {"Positions of the coalition."}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create category: %d %s", r.Status, r.Body)
	}
	cat, err := site.App.Content.CategoryBySlug(context.Background(), "statements")
	if err != nil {
		t.Fatal(err)
	}
	return site, c, cat
}

func articleForm(cat content.Category, title, body, status string) url.Values {
	return url.Values{"title": {title}, "summary": {"A short summary for " + title + "."}, "body": {body},
		"category": {strconv.FormatInt(cat.ID, 10)}, "status": {status}, "visibility": {"public"}, "action": {"save"}}
}

// saveArticle posts the editor's form and returns the edit URL it redirects to.
func saveArticle(t *testing.T, c *testkit.Client, action string, form url.Values) string {
	t.Helper()
	c.Get("/admin/articles/new")
	r := c.Post(action, form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save article: %d\n%s", r.Status, errorText(r.Body))
	}
	return r.Header.Get("Location")
}

var errRe = regexp.MustCompile(`(?s)<div class="error-summary"[^>]*>(.*?)</div>`)

func errorText(body string) string {
	if m := errRe.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	if m := regexp.MustCompile(`(?s)<div class="error-page">(.*?)</div>`).FindStringSubmatch(body); m != nil {
		return m[1]
	}
	if len(body) > 600 {
		return body[:600]
	}
	return body
}

func TestArticleLifecycle(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		site, ed, cat := pubSite(t, testkit.SiteOptions{DB: d})
		reader := site.NewClient(t)

		edit := saveArticle(t, ed, "/admin/articles", articleForm(cat, "Protect civilians in Côte d'Ivoire",
			"## The situation\n\nFirst version of the text.\n\nWrite to press@gccp.example.org.", "draft"))
		if !strings.HasPrefix(edit, "/admin/articles/") {
			t.Fatalf("redirect to %q", edit)
		}
		path := "/articles/protect-civilians-in-cote-d-ivoire"
		if r := reader.Get(path); r.Status != http.StatusNotFound {
			t.Fatalf("draft visible to a reader: %d", r.Status)
		}
		if r := ed.Get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "only editors can see it") {
			t.Fatalf("draft preview for the editor: %d", r.Status)
		}
		if r := ed.Get(edit + "/preview"); r.Status != http.StatusOK || !strings.Contains(r.Body, "First version") {
			t.Fatalf("admin preview: %d", r.Status)
		}

		// Publish.
		page := ed.Get(edit)
		rev := regexp.MustCompile(`name="base_revision" value="(\d+)"`).FindStringSubmatch(page.Body)
		if rev == nil || rev[1] != "1" {
			t.Fatalf("base revision on the form: %v", rev)
		}
		f := articleForm(cat, "Protect civilians in Côte d'Ivoire", "## The situation\n\nSecond version of the text.\n\nWrite to press@gccp.example.org.", "published")
		f.Set("base_revision", "1")
		ed.Post(edit, f)
		r := reader.Get(path)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "Second version") {
			t.Fatalf("published article: %d", r.Status)
		}
		for _, want := range []string{`<h2 id="the-situation">`, `href="` + path + `.pdf"`, `href="` + path + `/print"`, `href="` + path + `/email"`,
			`<meta property="og:title" content="Protect civilians in Côte d&#39;Ivoire">`, `<meta name="twitter:card"`,
			`<link rel="canonical" href="` + site.URL + path + `">`, `type="application/atom+xml"`, "By ed", "1 min read"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("article page lacks %s", want)
			}
		}
		// Pages kept for visitors never hand one visitor's cookies to another.
		v1, v2 := site.NewClient(t), site.NewClient(t)
		first, second := v1.Get(path), v2.Get(path)
		if first.Body != second.Body || second.Status != http.StatusOK {
			t.Error("visitors get different pages")
		}
		if c := v1.Cookie("coalition_csrf"); c != "" && strings.Contains(strings.Join(second.Header.Values("Set-Cookie"), ";"), c) {
			t.Error("a kept page carried another visitor's cookie")
		}
		// Cloaking: the address is shown but not sent.
		if m := regexp.MustCompile(`press@gccp`).FindString(r.Body); m != "" {
			t.Error("plain e-mail address in the page")
		}
		tok := regexp.MustCompile(`href="/contact/([A-Za-z0-9_-]+)"`).FindAllStringSubmatch(r.Body, -1)
		found := false
		for _, m := range tok {
			if res := reader.Get("/contact/" + m[1]); res.Header.Get("Location") == "mailto:press@gccp.example.org" {
				found = true
			}
		}
		if !found {
			t.Error("no cloaked link leads to press@gccp.example.org")
		}

		// A stale form (revision 1) is refused and keeps the typed text.
		stale := articleForm(cat, "Protect civilians in Côte d'Ivoire", "Stale edit", "published")
		stale.Set("base_revision", "1")
		res := ed.Post(edit, stale)
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Someone else saved") || !strings.Contains(res.Body, "Stale edit") {
			t.Fatalf("stale save: %d %s", res.Status, errorText(res.Body))
		}

		// New slug: the old address answers 301, also for the PDF and print.
		f.Set("slug", "civilians-cote-divoire")
		f.Set("base_revision", "2")
		ed.Post(edit, f)
		for old, want := range map[string]string{path: "/articles/civilians-cote-divoire", path + ".pdf": "/articles/civilians-cote-divoire.pdf",
			path + "/print": "/articles/civilians-cote-divoire/print"} {
			if r := reader.Get(old); r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != want {
				t.Errorf("GET %s: %d → %q, want 301 → %s", old, r.Status, r.Header.Get("Location"), want)
			}
		}
		path = "/articles/civilians-cote-divoire"
		if r := reader.Get("/articles/Civilians-Cote-Divoire"); r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != path {
			t.Errorf("capitalised address: %d → %q", r.Status, r.Header.Get("Location"))
		}

		// Revisions: three saves, compare, restore the first.
		rv := ed.Get(edit + "/revisions")
		if rv.Status != http.StatusOK || strings.Count(rv.Body, `name="from"`) != 3 {
			t.Fatalf("revisions page: %d, %d rows", rv.Status, strings.Count(rv.Body, `name="from"`))
		}
		cmp := ed.Get(edit + "/compare?from=1&to=3")
		if cmp.Status != http.StatusOK || !strings.Contains(cmp.Body, `class="diff-del"`) || !strings.Contains(cmp.Body, "− First version of the text.") ||
			!strings.Contains(cmp.Body, "+ Second version of the text.") {
			t.Fatalf("compare: %d %s", cmp.Status, errorText(cmp.Body))
		}
		if r := ed.Post(edit+"/revisions/1/restore", url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("restore: %d", r.Status)
		}
		r = reader.Get(path)
		if !strings.Contains(r.Body, "First version") || r.Status != http.StatusOK {
			t.Fatalf("after restore: %d", r.Status)
		}
		if list := ed.Get("/admin/articles?status=published&q=ivoire"); !strings.Contains(list.Body, "Protect civilians") {
			t.Error("admin list filter does not find the article")
		}

		// Listings.
		for _, p := range []string{"/news", "/category/statements", "/archive/" + strconv.Itoa(time.Now().UTC().Year()), "/"} {
			if r := reader.Get(p); r.Status != http.StatusOK || !strings.Contains(r.Body, `href="`+path+`"`) {
				t.Errorf("%s does not list the article (%d)", p, r.Status)
			}
		}

		// Delete.
		if r := ed.Post(edit+"/delete", url.Values{"confirm": {"yes"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("delete: %d", r.Status)
		}
		if r := reader.Get(path); r.Status != http.StatusNotFound {
			t.Fatalf("deleted article: %d", r.Status)
		}
	})
}

func TestScheduledArticleAppearsOnItsOwn(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		// The clock stays near real time: cookies expire by the real one.
		start := time.Now().UTC().Truncate(time.Minute)
		clock := testkit.NewClock(start)
		site, ed, cat := pubSite(t, testkit.SiteOptions{DB: d, Now: clock.Now})
		at := start.Add(2 * time.Hour)
		f := articleForm(cat, "Launch of the annual report", "Text.", "scheduled")
		f.Set("publish_at", at.Format("2006-01-02T15:04"))
		saveArticle(t, ed, "/admin/articles", f)
		reader := site.NewClient(t)
		path := "/articles/launch-of-the-annual-report"
		if r := reader.Get(path); r.Status != http.StatusNotFound {
			t.Fatalf("scheduled article visible early: %d", r.Status)
		}
		clock.Advance(3 * time.Hour)
		site.App.Content.Kick() // the worker would wake by itself within 30 s
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := reader.Get(path)
			if r.Status == http.StatusOK {
				if !strings.Contains(r.Body, `datetime="`+at.Format(time.RFC3339)+`"`) {
					t.Errorf("published article shows the wrong date")
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("scheduled article not published: %d", r.Status)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

func TestMembersOnlyArticles(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		site, ed, cat := pubSite(t, testkit.SiteOptions{DB: d})
		f := articleForm(cat, "Briefing for members", "The confidential assessment body.", "published")
		f.Set("visibility", "members")
		saveArticle(t, ed, "/admin/articles", f)
		path := "/articles/briefing-for-members"

		anon := site.NewClient(t)
		r := anon.Get(path)
		if r.Status != http.StatusOK || strings.Contains(r.Body, "confidential assessment") || !strings.Contains(r.Body, "Sign in to read") {
			t.Fatalf("anonymous: %d, body shown: %v", r.Status, strings.Contains(r.Body, "confidential assessment"))
		}
		if r.Header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("members-only page is cacheable: %q", r.Header.Get("Cache-Control"))
		}
		if r := anon.Get(path + ".pdf"); r.Status != http.StatusSeeOther || strings.Contains(r.Body, "%PDF") {
			t.Errorf("anonymous PDF: %d", r.Status)
		}
		if r := anon.Get(path + "/print"); r.Status != http.StatusSeeOther {
			t.Errorf("anonymous print: %d", r.Status)
		}
		if r := anon.Get(path + "/email"); r.Status != http.StatusForbidden {
			t.Errorf("e-mail tool for a members-only article: %d", r.Status)
		}
		if r := anon.Get("/feed.atom"); strings.Contains(r.Body, "Briefing for members") {
			t.Error("members-only article in the public feed")
		}

		// A signed-in user without an organisation is still locked out.
		site.AddUser(t, "loner@example.org", accounts.RoleMember, "a member password")
		loner := site.NewClient(t)
		loner.Login("loner@example.org", "a member password")
		if r := loner.Get(path); strings.Contains(r.Body, "confidential assessment") || !strings.Contains(r.Body, "not linked to a member organisation") {
			t.Error("member without an organisation read the body")
		}

		// A member of an organisation reads it.
		ctx := context.Background()
		var orgID int64
		if err := d.W.QueryRowContext(ctx, "INSERT INTO organisations (name, slug, created_at) VALUES ('Org', 'org', $1) RETURNING id", time.Now().UTC()).Scan(&orgID); err != nil {
			t.Fatal(err)
		}
		if _, err := site.App.Accounts.Create(ctx, accounts.NewUser{Email: "member@example.org", Role: accounts.RoleMember, Password: "a member password", OrganisationID: orgID}); err != nil {
			t.Fatal(err)
		}
		m := site.NewClient(t)
		m.Login("member@example.org", "a member password")
		if r := m.Get(path); !strings.Contains(r.Body, "confidential assessment") {
			t.Error("member of an organisation cannot read the body")
		}
		if r := m.Get(path + ".pdf"); r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" {
			t.Errorf("member PDF: %d", r.Status)
		}
	})
}

func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("COALITION_REQUIRE_ALL") == "1" {
			t.Fatal("pdftotext is required")
		}
		t.Skip("SKIPPED: pdftotext not installed")
	}
	p := filepath.Join(t.TempDir(), "a.pdf")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", p, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v %s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func jpegBytes(w, h int) []byte {
	im := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			im.Set(x, y, color.RGBA{uint8(x), uint8(y), 150, 255})
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, im, nil)
	return b.Bytes()
}

// upload posts an image to the library as the editor's script does.
func uploadImage(t *testing.T, site *testkit.Site, c *testkit.Client, data []byte, name string) (int, string) {
	t.Helper()
	c.Get("/admin/media")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf_token", c.CSRF())
	_ = mw.WriteField("alt", "A test image")
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, site.URL+"/admin/media", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	r := c.Do(req)
	return r.Status, r.Body
}

func TestPDFPrintAndImages(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		site, ed, cat := pubSite(t, testkit.SiteOptions{DB: d})
		st, body := uploadImage(t, site, ed, jpegBytes(1200, 600), "photo.jpg")
		if st != http.StatusOK {
			t.Fatalf("upload: %d %s", st, body)
		}
		md := regexp.MustCompile(`"markdown":"([^"]+)"`).FindStringSubmatch(body)
		if md == nil || !strings.Contains(md[1], "/960.jpg") {
			t.Fatalf("upload reply %s", body)
		}
		if st, body := uploadImage(t, site, ed, []byte("GIF89a not really"), "x.gif"); st != http.StatusBadRequest || !strings.Contains(body, "error") {
			t.Fatalf("bad upload: %d %s", st, body)
		}
		text := "Civilians in Côte d'Ivoire, São Tomé and Україна deserve protection.\n\n" + md[1] + "\n\n- first point\n- second point\n\n> A quoted line."
		saveArticle(t, ed, "/admin/articles", articleForm(cat, "Statement on three places", text, "published"))
		reader := site.NewClient(t)
		path := "/articles/statement-on-three-places"

		page := reader.Get(path)
		if !strings.Contains(page.Body, `width="960" height="480"`) || !strings.Contains(page.Body, `srcset="/media/`) {
			t.Error("body image lacks width/height/srcset")
		}
		img := regexp.MustCompile(`src="(/media/\d+/960\.jpg)"`).FindStringSubmatch(page.Body)
		if img == nil {
			t.Fatal("no image in the page")
		}
		if r := reader.Get(img[1]); r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/jpeg" || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("image: %d %s", r.Status, r.Header.Get("Content-Type"))
		}

		r := reader.Get(path + ".pdf")
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("pdf: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		if cd := r.Header.Get("Content-Disposition"); cd != `inline; filename="statement-on-three-places.pdf"; filename*=UTF-8''statement-on-three-places.pdf` {
			t.Errorf("Content-Disposition %q", cd)
		}
		txt := pdfText(t, []byte(r.Body))
		for _, want := range []string{"Statement on three places", "Civilians in Côte d'Ivoire, São Tomé and Україна deserve protection.",
			"• first point", "A quoted line.", "Test Coalition", site.URL + path} {
			if !strings.Contains(txt, want) {
				t.Errorf("PDF text lacks %q: %s", want, txt)
			}
		}
		if !strings.Contains(r.Body, "/Subtype /Image") {
			t.Error("PDF has no image")
		}
		cached, _ := filepath.Glob(filepath.Join(site.Data, "files", "cache", "pdf", "*.pdf"))
		if len(cached) != 1 {
			t.Fatalf("cache holds %d files", len(cached))
		}
		if again := reader.Get(path + ".pdf"); again.Body != r.Body {
			t.Error("cached PDF differs")
		}
		if letter := reader.Get(path + ".pdf?paper=letter"); !strings.Contains(letter.Body, "612.00 792.00") {
			t.Error("letter paper not used")
		}

		// An image in use cannot be deleted; the message says where it is.
		imgID := regexp.MustCompile(`/media/(\d+)/`).FindStringSubmatch(img[1])[1]
		ed.Get("/admin/media")
		if r := ed.Post("/admin/media/"+imgID+"/delete", url.Values{}); r.Status != http.StatusConflict || !strings.Contains(r.Body, "Statement on three places") {
			t.Errorf("deleting an image in use: %d %s", r.Status, errorText(r.Body))
		}

		pr := reader.Get(path + "/print")
		if pr.Status != http.StatusOK || !strings.Contains(pr.Body, `data-autoprint="1"`) || strings.Contains(pr.Body, `class="main-nav"`) ||
			!strings.Contains(pr.Body, "A quoted line.") || !strings.Contains(pr.Body, `<meta name="robots" content="noindex">`) {
			t.Fatalf("print page: %d", pr.Status)
		}
	})
}

func TestEmailArticleLimits(t *testing.T) {
	smtp := testkit.NewSMTP(t)
	site, ed, cat := pubSite(t, testkit.SiteOptions{SMTP: smtp})
	saveArticle(t, ed, "/admin/articles", articleForm(cat, "Share me", "Body text.", "published"))
	saveArticle(t, ed, "/admin/articles", articleForm(cat, "Not yet", "Draft text.", "draft"))
	path := "/articles/share-me/email"

	c := site.NewClient(t)
	if r := c.Get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, `name="website"`) {
		t.Fatalf("form: %d", r.Status)
	}
	send := func(c *testkit.Client, v url.Values) testkit.Response {
		c.Get(path)
		form := url.Values{}
		for k, vs := range v {
			form[k] = vs
		}
		return c.Post(path, form)
	}
	ok := url.Values{"to": {"friend@example.net"}, "name": {"Ana"}, "note": {"Thought of you when I read this."}}
	r := send(c, ok)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("send: %d %s", r.Status, errorText(r.Body))
	}
	msgs := smtp.WaitFor(t, 1)
	m := msgs[0]
	if m.To[0] != "friend@example.net" || !strings.Contains(m.Header("Subject"), "Share me") || !strings.Contains(m.Body, site.URL+"/articles/share-me") ||
		!strings.Contains(m.Body, "Thought of you") || strings.Contains(strings.ToLower(m.Header("Content-Type")), "html") {
		t.Fatalf("message: %s\n%s", m.Header("Subject"), m.Body)
	}

	refusals := []struct {
		name   string
		form   url.Values
		status int
		msg    string
	}{
		{"honeypot", url.Values{"to": {"b@example.net"}, "name": {"Bot"}, "website": {"http://spam.example"}}, 400, "filled in automatically"},
		{"link in note", url.Values{"to": {"b@example.net"}, "name": {"Ana"}, "note": {"cheap pills at http://spam.example"}}, 400, "cannot contain web addresses"},
		{"domain in note", url.Values{"to": {"b@example.net"}, "name": {"Ana"}, "note": {"visit spam-shop.com now"}}, 400, "cannot contain web addresses"},
		{"long note", url.Values{"to": {"b@example.net"}, "name": {"Ana"}, "note": {strings.Repeat("a", 301)}}, 400, "300 characters"},
		{"bad address", url.Values{"to": {"not an address"}, "name": {"Ana"}}, 400, "e-mail address, like"},
		{"two addresses", url.Values{"to": {"a@example.net, b@example.net"}, "name": {"Ana"}}, 400, "e-mail address, like"},
		{"header injection", url.Values{"to": {"a@example.net\r\nBcc: x@example.net"}, "name": {"Ana"}}, 400, "e-mail address, like"},
		{"no name", url.Values{"to": {"b@example.net"}}, 400, "Enter your name"},
		{"url as name", url.Values{"to": {"b@example.net"}, "name": {"www.spam.example"}}, 400, "without web or e-mail addresses"},
	}
	for _, tc := range refusals {
		r := send(site.NewClient(t), tc.form)
		if r.Status != tc.status || !strings.Contains(r.Body, tc.msg) {
			t.Errorf("%s: %d %s", tc.name, r.Status, errorText(r.Body))
		}
	}
	// No CSRF token: refused by the guard.
	if r := c.Post(path, url.Values{"to": {"b@example.net"}, "name": {"Ana"}, "csrf_token": {"forged"}}); r.Status != http.StatusForbidden {
		t.Errorf("forged token: %d", r.Status)
	}
	// Only published public articles.
	if r := c.Get("/articles/not-yet/email"); r.Status != http.StatusNotFound {
		t.Errorf("draft e-mail form: %d", r.Status)
	}

	// Daily cap per recipient: three in all (one already sent), from fresh browsers.
	for i := 0; i < 2; i++ {
		if r := send(site.NewClient(t), ok); r.Status != http.StatusSeeOther {
			t.Fatalf("send %d: %d %s", i+2, r.Status, errorText(r.Body))
		}
	}
	r = send(site.NewClient(t), ok)
	if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "already received 3 articles") {
		t.Fatalf("recipient cap: %d %s", r.Status, errorText(r.Body))
	}
	// Per-browser limit: the same browser sending to new people is slowed.
	var limited bool
	for i := 0; i < 6 && !limited; i++ {
		r := send(c, url.Values{"to": {"p" + strconv.Itoa(i) + "@example.net"}, "name": {"Ana"}})
		limited = r.Status == http.StatusTooManyRequests && strings.Contains(r.Body, "Please wait a few minutes")
	}
	if !limited {
		t.Error("no per-browser or per-address limit reached")
	}
	smtp.WaitFor(t, 3)
	time.Sleep(200 * time.Millisecond)
	if n := len(smtp.To("friend@example.net")); n != 3 {
		t.Errorf("friend got %d messages, want 3", n)
	}
}

func TestFeedsAndSitemap(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		site, ed, cat := pubSite(t, testkit.SiteOptions{DB: d})
		f := articleForm(cat, "Feed item one", "Some **bold** text and a [link](/news).\n\nContact info@gccp.example.org.", "published")
		f.Set("countries", "Sudan, UKR")
		f.Set("new_themes", "Responsibility to Protect")
		saveArticle(t, ed, "/admin/articles", f)
		saveArticle(t, ed, "/admin/articles", articleForm(cat, "Feed item two", "Text.", "published"))
		saveArticle(t, ed, "/admin/articles", articleForm(cat, "Unpublished", "Text.", "draft"))
		reader := site.NewClient(t)
		p := gofeed.NewParser()
		for path, want := range map[string]int{"/feed.atom": 2, "/category/statements/feed.atom": 2, "/tag/responsibility-to-protect/feed.atom": 1,
			"/tag/sdn/feed.atom": 1, "/tag/africa/feed.atom": 1} {
			r := reader.Get(path)
			if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/atom+xml") {
				t.Fatalf("%s: %d %s", path, r.Status, r.Header.Get("Content-Type"))
			}
			feed, err := p.ParseString(r.Body)
			if err != nil {
				t.Fatalf("%s does not parse: %v", path, err)
			}
			if feed.FeedType != "atom" || len(feed.Items) != want {
				t.Fatalf("%s: %s with %d items, want %d", path, feed.FeedType, len(feed.Items), want)
			}
			for _, it := range feed.Items {
				if it.Title == "Unpublished" || !strings.HasPrefix(it.Link, site.URL+"/articles/") || it.PublishedParsed == nil || it.GUID == "" {
					t.Errorf("%s item %+v", path, it)
				}
				if strings.Contains(it.Content, "info@gccp") {
					t.Errorf("%s: plain address in feed content", path)
				}
				if strings.Contains(it.Content, `href="/`) {
					t.Errorf("%s: relative link in feed content", path)
				}
			}
		}
		r := reader.Get("/articles/feed-item-one")
		for _, want := range []string{`href="/tag/sdn">Sudan</a>`, `href="/tag/responsibility-to-protect"`, `<link rel="alternate" type="application/atom+xml"`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("article page lacks %s", want)
			}
		}
		if r := reader.Get("/tag/africa"); !strings.Contains(r.Body, "Feed item one") {
			t.Error("region page does not include an article tagged with one of its countries")
		}
		sm := reader.Get("/sitemap.xml")
		if sm.Status != http.StatusOK || !strings.Contains(sm.Body, "<loc>"+site.URL+"/articles/feed-item-one</loc>") || strings.Contains(sm.Body, "unpublished") ||
			!strings.Contains(sm.Body, "/tag/responsibility-to-protect</loc>") || !strings.Contains(sm.Body, "/category/statements</loc>") {
			t.Fatalf("sitemap: %d %s", sm.Status, sm.Body)
		}
	})
}

func TestPagesAndCategoriesAdmin(t *testing.T) {
	site, ed, cat := pubSite(t, testkit.SiteOptions{})
	ed.Get("/admin/pages/new")
	r := ed.Post("/admin/pages", url.Values{"title": {"About us"}, "slug": {"about"}, "body": {"We are a coalition."}, "status": {"published"}, "action": {"save"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/admin/pages/") {
		t.Fatalf("create page: %d %s", r.Status, errorText(r.Body))
	}
	reader := site.NewClient(t)
	if r := reader.Get("/about"); r.Status != http.StatusOK || !strings.Contains(r.Body, "We are a coalition.") {
		t.Fatalf("/about: %d", r.Status)
	}
	for _, sl := range []string{"news", "admin", "feed", "login", "sitemap"} {
		r := ed.Post("/admin/pages", url.Values{"title": {"X"}, "slug": {sl}, "status": {"published"}, "action": {"save"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "used by the site itself") {
			t.Errorf("page at /%s: %d %s", sl, r.Status, errorText(r.Body))
		}
	}
	// A category with articles cannot be deleted; the message says why.
	saveArticle(t, ed, "/admin/articles", articleForm(cat, "Filed", "x", "draft"))
	r = ed.Post("/admin/categories/"+strconv.FormatInt(cat.ID, 10)+"/delete", url.Values{})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "still holds 1 articles") {
		t.Fatalf("delete used category: %d %s", r.Status, errorText(r.Body))
	}
	r = ed.Post("/admin/categories/"+strconv.FormatInt(cat.ID, 10), url.Values{"name": {"Statements"}, "toc": {"1"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("update category: %d", r.Status)
	}
	// Newsletter TOC: a category with contents lists.
	saveArticle(t, ed, "/admin/articles", articleForm(cat, "Monthly letter", "## One\n\nText\n\n## Two\n\nText\n\n### Two point one\n\nMore", "published"))
	page := reader.Get("/articles/monthly-letter")
	for _, want := range []string{`<nav class="toc" aria-labelledby="in-this-issue">`, `<a href="#one">One</a>`, `<ol><li><a href="#two-point-one">Two point one</a></li></ol>`, `<h2 id="two">Two</h2>`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("newsletter lacks %s", want)
		}
	}
}

// TestNoServerErrorsOnOddInput sends what people and robots type.
func TestNoServerErrorsOnOddInput(t *testing.T) {
	site, ed, cat := pubSite(t, testkit.SiteOptions{})
	edit := saveArticle(t, ed, "/admin/articles", articleForm(cat, "Target", "x", "published"))
	anon := site.NewClient(t)
	for _, p := range []string{"/articles/", "/articles/%00", "/articles/..%2f..%2fetc", "/articles/x.pdf", "/articles/target.pdf?paper=%ff",
		"/articles/" + strings.Repeat("a", 3000), "/archive/abc", "/archive/99999", "/archive/-1", "/tag/" + strings.Repeat("z", 500),
		"/tag/nope/feed.atom", "/category/nope", "/category/nope/feed.atom", "/news?page=abc", "/news?page=99999", "/media/1/abc",
		"/media/99/960.jpg", "/media/abc/960.jpg", "/a.b", "/%e2%82", "/articles/target/email?x=<script>", "/contact/garbage"} {
		if r := anon.Get(p); r.Status >= 500 {
			t.Errorf("GET %s: %d", p, r.Status)
		}
	}
	for _, p := range []string{edit + "/compare?from=a&to=b", edit + "/compare?from=1&to=99", "/admin/articles/999999", "/admin/articles/abc",
		"/admin/pages/1", "/admin/articles?status=zzz&category=abc&page=-4"} {
		if r := ed.Get(p); r.Status >= 500 {
			t.Errorf("GET %s: %d", p, r.Status)
		}
	}
	bad := []url.Values{
		{"title": {""}, "action": {"save"}},
		{"title": {"x"}, "category": {"abc"}, "status": {"published"}},
		{"title": {"x"}, "category": {"999999"}, "status": {"published"}},
		{"title": {"x"}, "category": {strconv.FormatInt(cat.ID, 10)}, "status": {"nonsense"}},
		{"title": {"x"}, "category": {strconv.FormatInt(cat.ID, 10)}, "status": {"scheduled"}, "publish_at": {"next tuesday"}},
		{"title": {"x"}, "category": {strconv.FormatInt(cat.ID, 10)}, "status": {"published"}, "countries": {"Atlantis, Narnia"}},
		{"title": {"x"}, "category": {strconv.FormatInt(cat.ID, 10)}, "status": {"draft"}, "slug": {"Not A Slug!"}},
		{"title": {"x"}, "category": {strconv.FormatInt(cat.ID, 10)}, "status": {"draft"}, "cover_id": {"424242"}, "cover_alt": {"x"}},
		{"title": {strings.Repeat("T", 400)}, "category": {strconv.FormatInt(cat.ID, 10)}, "status": {"draft"}},
		{"title": {"Write to someone@example.org"}, "category": {strconv.FormatInt(cat.ID, 10)}, "status": {"draft"}},
		{"title": {"x\x00y"}, "category": {strconv.FormatInt(cat.ID, 10)}, "status": {"draft"}},
		{"title": {"x"}, "category": {strconv.FormatInt(cat.ID, 10)}, "status": {"draft"}, "visibility": {"everyone"}},
	}
	for _, f := range bad {
		ed.Get("/admin/articles/new")
		r := ed.Post("/admin/articles", f)
		if r.Status >= 500 || r.Status == http.StatusSeeOther {
			t.Errorf("POST %v: %d", f, r.Status)
		}
		if r.Status >= 400 && !strings.Contains(r.Body, `class="error-summary"`) {
			t.Errorf("POST %v: %d without a message", f, r.Status)
		}
	}
	for _, p := range []string{edit + "/revisions/99/restore", edit + "/revisions/abc/restore", "/admin/categories/999/delete", "/admin/media/999/delete"} {
		if r := ed.Post(p, url.Values{}); r.Status >= 500 {
			t.Errorf("POST %s: %d", p, r.Status)
		}
	}
	if r := ed.Post("/admin/preview", url.Values{"body": {strings.Repeat("x", 300000)}}); r.Status >= 500 {
		t.Errorf("huge preview: %d", r.Status)
	}
	ed.Get("/admin/articles/new")
	if r := ed.Post("/admin/articles", url.Values{"title": {"Tags gone"}, "category": {strconv.FormatInt(cat.ID, 10)}, "status": {"draft"},
		"tag": {"abc", "99999999", "-3"}, "action": {"save"}}); r.Status != http.StatusSeeOther {
		t.Errorf("unknown tag ids are not ignored: %d %s", r.Status, errorText(r.Body))
	}
	if r := ed.Post("/admin/preview", url.Values{"body": {"<script>alert(1)</script>\n\n**ok**"}}); strings.Contains(r.Body, "<script") || !strings.Contains(r.Body, "<strong>ok</strong>") {
		t.Errorf("preview fragment: %s", r.Body)
	}
}
