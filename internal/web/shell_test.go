package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"coalition/internal/accounts"
	"coalition/internal/db"
	"coalition/internal/testkit"
)

func TestPublicShell(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		site := testkit.NewSite(t, testkit.SiteOptions{DB: d})
		c := site.NewClient(t)
		r := c.Get("/")
		if r.Status != http.StatusOK {
			t.Fatalf("home: %d", r.Status)
		}
		for _, want := range []string{`href="/login"`, "Member sign in", `href="/news"`, `href="/documents"`, `href="/crises"`,
			`href="/members"`, `href="/get-involved"`, `class="skip"`, "Get involved"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("home lacks %q", want)
			}
		}
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "same-origin",
			"X-Frame-Options":        "DENY",
		} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s = %q, want %q", h, got, want)
			}
		}
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP = %q", csp)
		}
		if nf := c.Get("/no/such/page"); nf.Status != http.StatusNotFound || !strings.Contains(nf.Body, "Page not found") {
			t.Errorf("404 page: %d", nf.Status)
		}

		site.AddUser(t, "ed@example.org", accounts.RoleEditor, "an editor password")
		c.Login("ed@example.org", "an editor password")
		if r := c.Get("/admin"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Dashboard") {
			t.Fatalf("admin for an editor: %d", r.Status)
		}
		if r := c.Get("/admin/users"); r.Status != http.StatusForbidden {
			t.Fatalf("users page for an editor: %d", r.Status)
		}
		r = c.Post("/logout", url.Values{})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("logout: %d", r.Status)
		}
		if r := c.Get("/admin"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
			t.Fatalf("admin after sign-out: %d %s", r.Status, r.Header.Get("Location"))
		}
	})
}

func TestSettingsAndCloaking(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	site.AddUser(t, "admin@example.org", accounts.RoleAdmin, "an admin password")
	c := site.NewClient(t)
	c.Login("admin@example.org", "an admin password")
	c.Get("/admin/settings")
	bad := c.Post("/admin/settings", url.Values{"org.name": {"X"}, "social.facebook": {"javascript:alert(1)"}})
	if bad.Status != http.StatusBadRequest || !strings.Contains(bad.Body, "https://") || !strings.Contains(bad.Body, `value="javascript:alert(1)"`) {
		t.Fatalf("bad social link: %d", bad.Status)
	}
	r := c.Post("/admin/settings", url.Values{
		"org.name": {"Coalition Test"}, "org.tagline": {"Testing together"},
		"org.address": {"1 Test Street\r\n1200 Geneva"}, "org.email": {"Contact@Example.org"},
		"social.mastodon": {"https://mastodon.example/@c"},
	})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", r.Status)
	}
	home := site.NewClient(t).Get("/")
	for _, want := range []string{"Coalition Test", "Testing together", "1 Test Street<br>1200 Geneva", `href="https://mastodon.example/@c"`} {
		if !strings.Contains(home.Body, want) {
			t.Errorf("home lacks %q", want)
		}
	}
	if strings.Contains(home.Body, "contact@example.org") || strings.Contains(home.Body, "contact&#64;example.org") {
		t.Fatal("the contact address is in the HTML in plain text")
	}
	m := regexp.MustCompile(`href="(/contact/[^"]+)"`).FindStringSubmatch(home.Body)
	if m == nil {
		t.Fatal("no cloaked contact link")
	}
	r = site.NewClient(t).Get(m[1])
	if r.Status != http.StatusFound || r.Header.Get("Location") != "mailto:contact@example.org" {
		t.Fatalf("contact link: %d %q", r.Status, r.Header.Get("Location"))
	}
	if r := site.NewClient(t).Get("/contact/forged-token"); r.Status != http.StatusNotFound {
		t.Fatalf("forged contact token: %d", r.Status)
	}
}
