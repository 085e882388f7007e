package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"coalition/internal/accounts"
	"coalition/internal/testkit"
	"coalition/internal/web"
)

// TestRouteAccess walks the route table: every GET page answers visitors
// without a server error, pages behind Staff or Admin send visitors to sign
// in and refuse a member without staff rights.
func TestRouteAccess(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	site.AddUser(t, "member@example.org", accounts.RoleMember, "a member password")
	a := site.App
	h, err := web.New(context.Background(), web.Deps{Config: a.Config, DB: a.DB, Log: a.Log, Accounts: a.Accounts, Settings: a.Settings,
		Audit: a.Audit, Outbox: a.Outbox, Places: a.Places, Search: a.Search, Library: a.Library, Now: a.Now})
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("{id}", "1", "{slug}", "asia", "{iso3}", "syr", "{file...}", "style.css", "{token}", "x", "{$}", "")
	anon := site.NewClient(t)
	mem := site.NewClient(t)
	mem.Login("member@example.org", "a member password")
	n := 0
	for _, rt := range h.Routes() {
		if rt.Method() != http.MethodGet {
			continue
		}
		path := fill.Replace(rt.Path())
		if strings.Contains(path, "{") {
			t.Errorf("%s: no example value for a parameter", rt.Pattern)
			continue
		}
		n++
		r := anon.Get(path)
		if r.Status >= 500 {
			t.Errorf("%s for a visitor: %d", path, r.Status)
		}
		switch rt.Access {
		case web.Staff, web.Admin:
			if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
				t.Errorf("%s (%s) for a visitor: %d", path, rt.Access, r.Status)
			}
			if r := mem.Get(path); r.Status != http.StatusForbidden {
				t.Errorf("%s (%s) for a member: %d", path, rt.Access, r.Status)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d GET routes checked", n)
	}
}
