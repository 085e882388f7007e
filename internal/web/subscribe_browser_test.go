package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"coalition/internal/mail"
	"coalition/internal/testkit"

	"github.com/chromedp/chromedp"
)

// TestBrowserSubscriptionJourney subscribes in Chromium, follows the
// confirmation link from the e-mail, changes preferences, then
// unsubscribes from a campaign's footer link — running axe-core on every
// page on the way (and on the form's error state).
func TestBrowserSubscriptionJourney(t *testing.T) {
	smtp := testkit.NewSMTP(t)
	site := testkit.NewSite(t, testkit.SiteOptions{SMTP: smtp})
	ctx := context.Background()
	l, err := site.App.Mail.CreateList(ctx, mail.ListInput{Name: "Monthly Newsletter", Description: "Once a month."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := site.App.Mail.CreateList(ctx, mail.ListInput{Name: "Crisis Alerts"}); err != nil {
		t.Fatal(err)
	}
	bctx := testkit.Browser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	// waitText waits until the element's text contains want (after a form
	// is sent the old page is still there for a moment).
	waitText := func(sel, want string) {
		t.Helper()
		waitFor(t, sel+" "+want, func() bool {
			s, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(document.querySelector(`+strconv.Quote(sel)+`) || {}).textContent || ""`))
			return err == nil && strings.Contains(s, want)
		})
	}
	// The form's error state first: no list chosen.
	if err := chromedp.Do(bctx, chromedp.Navigate(site.URL+"/subscribe"), chromedp.WaitVisible(css(`#email`))); err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessible(t, bctx, "/subscribe")
	if err := chromedp.Do(bctx,
		chromedp.SendKeys(css(`#email`), "journey@example.org"),
		chromedp.Click(css(`main button[type=submit]`)),
		chromedp.WaitVisible(css(`.error-summary`)),
	); err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessible(t, bctx, "/subscribe (error)")
	if err := chromedp.Do(bctx,
		chromedp.Click(css(`label[for="list-`+itoa(l.ID)+`"]`)),
		chromedp.Click(css(`main button[type=submit]`)),
	); err != nil {
		t.Fatal(err)
	}
	waitText("h1", "Check your inbox")
	testkit.CheckAccessible(t, bctx, "/subscribe/thanks")
	conf := smtp.WaitFor(t, 1)[0]
	link := linkIn(t, conf, "/subscribe/confirm/")
	if err := chromedp.Do(bctx, chromedp.Navigate(link), chromedp.WaitVisible(css(`main button`))); err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessible(t, bctx, "/subscribe/confirm")
	if err := chromedp.Do(bctx, chromedp.Click(css(`main button`)), chromedp.WaitVisible(css(`main a[href^="/subscribe/manage/"]`))); err != nil {
		t.Fatal(err)
	}
	if h := text("h1"); h != "You are subscribed" {
		t.Fatalf("after confirming: %q", h)
	}
	testkit.CheckAccessible(t, bctx, "confirmed")
	if err := chromedp.Do(bctx, chromedp.Click(css(`main a[href^="/subscribe/manage/"]`)), chromedp.WaitVisible(css(`#freq-daily`))); err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessible(t, bctx, "/subscribe/manage")
	if err := chromedp.Do(bctx,
		chromedp.Click(css(`label[for="freq-daily"]`)),
		chromedp.Click(css(`main form button.primary`)),
	); err != nil {
		t.Fatal(err)
	}
	waitText("body", "Your choices are saved")
	rows, _, err := site.App.Mail.Subscribers(ctx, mail.SubscriberFilter{Q: "journey@"})
	if err != nil || len(rows) != 1 || rows[0].Frequency != "daily" || !rows[0].Confirmed() {
		t.Fatalf("subscriber after the preference centre: %+v %v", rows, err)
	}
	// A campaign's footer link: the unsubscribe page, then the button.
	c, err := site.App.Mail.CreateCampaign(ctx, mail.CampaignInput{Subject: "Journey letter", Body: "Hello.", ListIDs: []int64{l.ID}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := site.App.Mail.Send(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	var letter testkit.Mail
	waitFor(t, "the campaign", func() bool {
		for _, m := range smtp.To("journey@example.org") {
			if m.Header("Subject") == "Journey letter" {
				letter = m
				return true
			}
		}
		return false
	})
	if err := chromedp.Do(bctx, chromedp.Navigate(linkIn(t, letter, "/unsubscribe/")), chromedp.WaitVisible(css(`main button`))); err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessible(t, bctx, "/unsubscribe")
	if err := chromedp.Do(bctx, chromedp.Click(css(`main button`))); err != nil {
		t.Fatal(err)
	}
	waitText("h1", "You are unsubscribed")
	testkit.CheckAccessible(t, bctx, "unsubscribed")
	rows, _, _ = site.App.Mail.Subscribers(ctx, mail.SubscriberFilter{Q: "journey@"})
	if len(rows) != 1 || len(rows[0].Lists) != 0 {
		t.Fatalf("still on lists after unsubscribing: %+v", rows)
	}
	// The archive page too.
	if err := chromedp.Do(bctx, chromedp.Navigate(site.URL+"/newsletters"), chromedp.WaitVisible(css(`h1`))); err != nil {
		t.Fatal(err)
	}
	testkit.CheckAccessible(t, bctx, "/newsletters")
}
