package web_test

import (
	"strings"
	"testing"

	"coalition/internal/accounts"
	"coalition/internal/testkit"

	"github.com/chromedp/chromedp"
)

// TestBrowserSignIn signs in through the real form in headless Chromium and
// checks the wrong-password message, then the admin dashboard.
func TestBrowserSignIn(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	site.AddUser(t, "admin@example.org", accounts.RoleAdmin, "a browser password")
	ctx := testkit.Browser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	if err := chromedp.Do(ctx, chromedp.Navigate(site.URL+"/")); err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessible(t, ctx, "home")
	err := chromedp.Do(ctx,
		chromedp.Click(css(`a[href="/login"]`)),
		chromedp.WaitVisible(css(`#email`)),
		chromedp.SendKeys(css(`#email`), "admin@example.org"),
		chromedp.SendKeys(css(`#password`), "wrong password"),
		chromedp.Submit(css(`#password`)),
		chromedp.WaitVisible(css(`.error-summary`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessible(t, ctx, "login with an error")
	bad, err := chromedp.Run(ctx, chromedp.Text(css(`.error-summary`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bad, "not correct") {
		t.Fatalf("wrong password message: %q", bad)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(css(`#password`), "a browser password\n"),
		chromedp.WaitVisible(css(`.admin-nav`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(css(`h1`)))
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Dashboard" {
		t.Fatalf("after sign-in the page heading is %q", heading)
	}
	testkit.CheckAccessible(t, ctx, "admin dashboard")
	for _, p := range []string{"/admin/users", "/admin/settings", "/admin/outbox", "/admin/audit", "/account", "/get-involved", "/password/forgot", "/no-such-page"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(site.URL+p)); err != nil {
			t.Fatal(err)
		}
		testkit.CheckAccessible(t, ctx, p)
	}
}
