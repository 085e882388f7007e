package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/audit"
	"coalition/internal/db"
	"coalition/internal/testkit"
)

func TestLoginNoEnumerationAndThrottle(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		clock := testkit.NewClock(time.Now().UTC())
		site := testkit.NewSite(t, testkit.SiteOptions{DB: d, Now: clock.Now})
		site.AddUser(t, "member@example.org", accounts.RoleMember, "the member password")
		c := site.NewClient(t)
		c.Get("/login")

		wrong := c.Post("/login", url.Values{"email": {"member@example.org"}, "password": {"nope"}})
		unknown := c.Post("/login", url.Values{"email": {"ghost@example.org"}, "password": {"nope"}})
		if wrong.Status != unknown.Status || wrong.Status != http.StatusUnauthorized {
			t.Fatalf("statuses differ: wrong password %d, unknown e-mail %d", wrong.Status, unknown.Status)
		}
		if msg(wrong.Body) != msg(unknown.Body) || msg(wrong.Body) == "" {
			t.Fatalf("messages differ: %q vs %q", msg(wrong.Body), msg(unknown.Body))
		}

		// Keep failing for one account: slowed, then refused with 429, even
		// with the right password; after the lockout it works again.
		var last testkit.Response
		for i := 0; i < 8; i++ {
			last = c.Post("/login", url.Values{"email": {"member@example.org"}, "password": {"still wrong"}})
			if last.Status == http.StatusTooManyRequests {
				break
			}
		}
		if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
			t.Fatalf("no 429 after repeated failures: %d", last.Status)
		}
		if r := c.Post("/login", url.Values{"email": {"member@example.org"}, "password": {"the member password"}}); r.Status != http.StatusTooManyRequests {
			t.Fatalf("locked account signed in: %d", r.Status)
		}
		clock.Advance(16 * time.Minute)
		c.Login("member@example.org", "the member password")

		entries, _, err := site.App.Audit.List(t.Context(), audit.Filter{Action: "login."})
		if err != nil {
			t.Fatal(err)
		}
		var ok, failed int
		for _, e := range entries {
			switch e.Action {
			case "login.success":
				ok++
			case "login.failure":
				failed++
			}
		}
		if ok != 1 || failed < 3 {
			t.Fatalf("audit: %d successes, %d failures", ok, failed)
		}
	})
}

var alertRe = regexp.MustCompile(`(?s)role="alert"[^>]*><p>(.*?)</p>`)

func msg(body string) string {
	if m := alertRe.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

func TestCSRF(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	site.AddUser(t, "admin@example.org", accounts.RoleAdmin, "an admin password")
	c := site.NewClient(t)
	c.Login("admin@example.org", "an admin password")
	c.Get("/admin/settings")
	form := url.Values{"org.name": {"Hijacked"}}

	// No token.
	noTok := url.Values{"org.name": {"Hijacked"}, "csrf_token": {""}}
	if r := c.Post("/admin/settings", noTok); r.Status != http.StatusForbidden {
		t.Fatalf("POST without a token: %d", r.Status)
	}
	// A token that does not belong to this browser.
	other := site.NewClient(t)
	other.Get("/login")
	bad := url.Values{"org.name": {"Hijacked"}, "csrf_token": {other.CSRF()}}
	if r := c.Post("/admin/settings", bad); r.Status != http.StatusForbidden {
		t.Fatalf("POST with another browser's token: %d", r.Status)
	}
	// The right token but sent cross-site.
	req, _ := http.NewRequest(http.MethodPost, site.URL+"/admin/settings", strings.NewReader(form.Encode()+"&csrf_token="+url.QueryEscape(c.CSRF())))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := c.Do(req); r.Status != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", r.Status)
	}
	req, _ = http.NewRequest(http.MethodPost, site.URL+"/admin/settings", strings.NewReader(form.Encode()+"&csrf_token="+url.QueryEscape(c.CSRF())))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if r := c.Do(req); r.Status != http.StatusForbidden {
		t.Fatalf("POST from another origin: %d", r.Status)
	}
	st, _ := site.App.Settings.Get(t.Context())
	if st.OrgName == "Hijacked" {
		t.Fatal("a refused request changed the settings")
	}
	// The real form works.
	c.Get("/admin/settings")
	if r := c.Post("/admin/settings", url.Values{"org.name": {"Saved Coalition"}, "org.email": {"info@example.org"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("settings save: %d %s", r.Status, msg(r.Body))
	}
	// Login itself needs a token too.
	anon := site.NewClient(t)
	if r := anon.Post("/login", url.Values{"email": {"admin@example.org"}, "password": {"an admin password"}, "csrf_token": {"x"}}); r.Status != http.StatusForbidden {
		t.Fatalf("login without a valid token: %d", r.Status)
	}
}

func TestSessionCookiesAndRedirects(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	site.AddUser(t, "ed@example.org", accounts.RoleEditor, "an editor password")
	c := site.NewClient(t)
	c.Get("/login?next=/admin")
	before := c.Cookie("coalition_csrf")
	// A session value planted before sign-in must not survive it.
	u, _ := url.Parse(site.URL)
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: "coalition_session", Value: "planted-by-attacker", Path: "/"}})
	r := c.Post("/login", url.Values{"email": {"ed@example.org"}, "password": {"an editor password"}, "next": {"//evil.example/x"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("login: %d", r.Status)
	}
	if loc := r.Header.Get("Location"); loc != "/admin" {
		t.Fatalf("open redirect: Location %q", loc)
	}
	var sessionHeader string
	for _, h := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, "coalition_session=") {
			sessionHeader = h
		}
	}
	if !strings.Contains(sessionHeader, "HttpOnly") || !strings.Contains(sessionHeader, "SameSite=Lax") {
		t.Fatalf("session cookie flags: %q", sessionHeader)
	}
	if got := c.Cookie("coalition_session"); got == "planted-by-attacker" || got == "" {
		t.Fatalf("session not rotated: %q", got)
	}
	if c.Cookie("coalition_csrf") == before {
		t.Fatal("CSRF cookie not rotated at sign-in")
	}
	for _, next := range []string{"https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/admin"} {
		c2 := site.NewClient(t)
		c2.Get("/login")
		r := c2.Post("/login", url.Values{"email": {"ed@example.org"}, "password": {"an editor password"}, "next": {next}})
		loc := r.Header.Get("Location")
		if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
			t.Fatalf("next=%q redirected to %q", next, loc)
		}
	}
}

func TestAdminAccess(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	site.AddUser(t, "m@example.org", accounts.RoleMember, "a member password")
	visitor := site.NewClient(t)
	if r := visitor.Get("/admin"); r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "/login") {
		t.Fatalf("visitor: %d %s", r.Status, r.Header.Get("Location"))
	}
	m := site.NewClient(t)
	m.Login("m@example.org", "a member password")
	for _, p := range []string{"/admin", "/admin/users", "/admin/settings", "/admin/outbox", "/admin/audit"} {
		if r := m.Get(p); r.Status != http.StatusForbidden {
			t.Fatalf("member GET %s: %d", p, r.Status)
		}
	}
	if r := m.Get("/account"); r.Status != http.StatusOK {
		t.Fatalf("member account page: %d", r.Status)
	}
}
