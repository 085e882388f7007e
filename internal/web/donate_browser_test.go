package web_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"coalition/internal/donations"
	"coalition/internal/testkit"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// TestBrowserDonate gives through the real form in headless Chromium: the
// form (with the gift-aid declaration ticked) → 303 to Stripe Checkout,
// which the test answers with a stub page (the machines have no internet;
// the point is that the browser, under the page's CSP, follows the
// redirect) → the completion webhook → the thank-you page → the e-mail.
func TestBrowserDonate(t *testing.T) {
	mock := testkit.NewStripeMock(t)
	smtp := testkit.NewSMTP(t)
	site := stripeSite(t, nil, smtp, mock)
	ctx := context.Background()
	if err := site.App.Donations.SaveSettings(ctx, "20, 40, 80", true, "I am a taxpayer and want my gift to count.", ""); err != nil {
		t.Fatal(err)
	}
	bctx := testkit.Browser(t)

	// Stand in for checkout.stripe.com: pause requests to it and answer
	// them with a stub page, remembering what the browser asked for.
	var mu sync.Mutex
	var checkoutURLs []string
	paused := make(chan *fetch.EventRequestPaused, 8)
	if err := chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- e:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "https://checkout.stripe.com/*"}}}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case e := <-paused:
				mu.Lock()
				checkoutURLs = append(checkoutURLs, e.Request.URL)
				mu.Unlock()
				_, _ = chromedp.Call(bctx, fetch.FulfillRequest, fetch.FulfillRequestParams{ //nolint:errcheck // a failure shows as a timeout below
					RequestID: e.RequestID, ResponseCode: 200,
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html; charset=utf-8"}},
					Body:            []byte(`<!doctype html><title>Checkout</title><h1 id="stub">Stripe Checkout (stub)</h1>`),
				})
			}
		}
	}()

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(bctx,
		chromedp.Navigate(site.URL+"/"),
		chromedp.Click(css(`.get-involved a[href="/donate"]`)),
		chromedp.WaitVisible(css(`#f-name`)),
		chromedp.Click(css(`label[for="freq-once"]`)),
		chromedp.SendKeys(css(`#f-other_amount`), "35"),
		chromedp.SendKeys(css(`#f-name`), "Katherine Johnson"),
		chromedp.SendKeys(css(`#f-email`), "katherine@example.org"),
		chromedp.Click(css(`#f-gift_aid`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessible(t, bctx, "/donate")
	err = chromedp.Do(bctx,
		chromedp.Click(css(`.donate-form button[type="submit"]`)),
		chromedp.WaitVisible(css(`#stub`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc, "https://checkout.stripe.com/") {
		t.Fatalf("the browser went to %q", loc)
	}
	mu.Lock()
	n := len(checkoutURLs)
	mu.Unlock()
	if n == 0 {
		t.Fatal("no request reached the Checkout stand-in")
	}

	// The script selected "Other" when the amount was typed.
	ref := latestRef(t, site, "donations")
	g, err := site.App.Donations.ByRef(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if g.AmountMinor != 3500 || g.DonorName != "Katherine Johnson" || !g.GiftAid || g.GiftAidText != "I am a taxpayer and want my gift to count." {
		t.Fatalf("recorded gift: %+v", g)
	}

	// Stripe sends the donor back before (or after) the webhook: first
	// pending, then confirmed once the event arrives.
	if err := chromedp.Do(bctx, chromedp.Navigate(site.URL+"/donate/thanks/"+ref), chromedp.WaitVisible(css(`h1`))); err != nil {
		t.Fatal(err)
	}
	lead, err := chromedp.Run(bctx, chromedp.Text(css(`.lead`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(lead, "waiting for the payment service") {
		t.Fatalf("pending page: %q", lead)
	}
	if st := postEvent(t, site, testWhsec, "evt_browser", "checkout.session.completed", completed(ref, "payment", "pi_browser", "", 3500)); st != http.StatusOK {
		t.Fatalf("webhook: %d", st)
	}
	// The page reloads itself (meta refresh, no script needed).
	tctx, cancel := context.WithTimeout(bctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.WaitVisible(css(`a[href^="/donate/receipt/"]`))); err != nil {
		t.Fatalf("the thank-you page did not confirm: %v", err)
	}
	heading, err := chromedp.Run(bctx, chromedp.Text(css(`h1`)))
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Thank you, Katherine Johnson!" {
		t.Fatalf("heading %q", heading)
	}
	testkit.CheckAccessible(t, bctx, "/donate/thanks")
	m := smtp.WaitFor(t, 1)[0]
	if m.To[0] != "katherine@example.org" || !strings.Contains(m.Text, "$35.00") || !strings.Contains(m.Text, "I am a taxpayer") ||
		!strings.Contains(m.Body, "application/pdf") {
		t.Fatalf("mail: %s\n%s", m.Header("Subject"), m.Text)
	}
	if g, _ := site.App.Donations.ByRef(ctx, ref); g.Status != donations.StatusPaid {
		t.Fatalf("gift status %s", g.Status)
	}
}
