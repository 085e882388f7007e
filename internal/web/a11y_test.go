package web_test

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"testing"

	"coalition/internal/accounts"
	"coalition/internal/demo"
	"coalition/internal/testkit"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// shape groups URLs that render the same template: the first two path
// segments, the rest replaced by "*", and whether there is a query.
func shape(p string) string {
	u, err := url.Parse(p)
	if err != nil {
		return p
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(segs) > 2 {
		segs = append(segs[:2], "*")
	}
	if len(segs) == 2 && segs[0] != "admin" && segs[0] != "member" {
		segs[1] = "*"
	}
	s := "/" + strings.Join(segs, "/")
	if u.RawQuery != "" {
		s += "?"
	}
	return s
}

// TestAccessibilityOfEveryPage crawls the demo site as a visitor, a member
// and an admin, takes one page of each kind, and runs axe-core on it in
// Chromium: no WCAG 2.2 AA violation anywhere.
func TestAccessibilityOfEveryPage(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	ctx := context.Background()
	if _, err := demo.Load(ctx, site.App); err != nil {
		t.Fatal(err)
	}
	admin, err := site.App.Accounts.ByEmail(ctx, demo.AdminEmail)
	if err != nil {
		t.Fatal(err)
	}
	member, err := site.App.Accounts.ByEmail(ctx, demo.MemberEmail)
	if err != nil {
		t.Fatal(err)
	}
	type visit struct {
		who  *accounts.User
		path string
	}
	var visits []visit
	seen := map[string]bool{}
	for _, who := range []*accounts.User{nil, &member, &admin} {
		c := site.ClientAs(t, who)
		pages, _ := crawl(t, c, []string{"/", "/admin", "/member", "/login", "/join", "/donate", "/subscribe", "/search?q=protection"}, 400)
		for _, p := range pages {
			k := shape(p)
			if seen[k] {
				continue
			}
			seen[k] = true
			visits = append(visits, visit{who, p})
		}
	}
	sort.Slice(visits, func(i, j int) bool { return visits[i].path < visits[j].path })
	if len(visits) < 30 {
		t.Fatalf("only %d kinds of page found", len(visits))
	}
	bctx := testkit.Browser(t)
	var current *accounts.User
	setSession := func(u *accounts.User) {
		base, _ := url.Parse(site.URL)
		if err := chromedp.Do(bctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
			return err
		})); err != nil {
			t.Fatal(err)
		}
		if u == nil {
			return
		}
		tok, _, err := site.App.Accounts.CreateSession(ctx, u.ID, "127.0.0.1", "axe")
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(bctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			httpOnly := true
			_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: "coalition_session", Value: tok,
				Domain: base.Hostname(), Path: "/", HTTPOnly: &httpOnly})
			return err
		})); err != nil {
			t.Fatal(err)
		}
	}
	setSession(nil)
	for i, v := range visits {
		if i == 0 || v.who != current {
			setSession(v.who)
			current = v.who
		}
		if err := chromedp.Do(bctx, chromedp.Navigate(site.URL+v.path)); err != nil {
			t.Errorf("%s: %v", v.path, err)
			continue
		}
		testkit.CheckAccessible(t, bctx, v.path)
	}
	t.Logf("%d kinds of page checked", len(visits))
}
