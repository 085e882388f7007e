package web_test

import (
	"net/http"
	"net/url"
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
