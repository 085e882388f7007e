package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"coalition/internal/mail"
	"coalition/internal/testkit"
)

// TestHomePageCacheKeepsTokensPersonal: the home page reused for visitors
// carries each visitor's own CSRF token (its subscribe form works), and a
// signed-in user gets a page of their own.
func TestHomePageCacheKeepsTokensPersonal(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	if _, err := site.App.Mail.CreateList(t.Context(), mail.ListInput{Name: "Monthly Newsletter"}); err != nil {
		t.Fatal(err)
	}
	tokRe := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	a, b := site.NewClient(t), site.NewClient(t)
	pa, pb := a.Get("/"), b.Get("/")
	ta, tb := tokRe.FindStringSubmatch(pa.Body), tokRe.FindStringSubmatch(pb.Body)
	if ta == nil || tb == nil || ta[1] == tb[1] || strings.Contains(pa.Body, "csrf-placeholder") {
		t.Fatalf("tokens on the cached home page: %v %v", ta, tb)
	}
	// Each visitor's form posts with the token from the cached page.
	for _, c := range []*testkit.Client{a, b} {
		r := c.Post("/subscribe", url.Values{"email": {"x@example.org"}, "list": {"1"}, "form": {"short"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("subscribe from the cached home page: %d", r.Status)
		}
	}
	// A signed-in user's page has their sign-out form, not the visitors'.
	site.AddUser(t, "ed@example.org", "editor", "correct horse battery staple")
	e := site.NewClient(t)
	e.Login("ed@example.org", "correct horse battery staple")
	if p := e.Get("/"); !strings.Contains(p.Body, `action="/logout"`) {
		t.Fatal("a signed-in user got the visitors' cached page")
	}
	if p := a.Get("/"); strings.Contains(p.Body, `action="/logout"`) {
		t.Fatal("a visitor got a signed-in page")
	}
}
