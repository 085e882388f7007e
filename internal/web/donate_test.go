package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/config"
	"coalition/internal/content"
	"coalition/internal/db"
	"coalition/internal/donations"
	"coalition/internal/mail"
	"coalition/internal/testkit"

	"github.com/stripe/stripe-go/v82/webhook"
)

const testWhsec = "whsec_web_test"

func stripeSite(t *testing.T, d *db.DB, smtp *testkit.SMTPServer, mock *testkit.StripeMock) *testkit.Site {
	t.Helper()
	return testkit.NewSite(t, testkit.SiteOptions{DB: d, SMTP: smtp, Config: func(c *config.Config) {
		c.StripeKey, c.StripeWebhookSecret, c.StripeAPIURL = "sk_test_123", testWhsec, mock.URL
	}})
}

// postEvent delivers a Stripe event to the site's webhook, signed with
// secret, and returns the status.
func postEvent(t *testing.T, site *testkit.Site, secret, id, typ string, obj map[string]any) int {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "created": time.Now().Unix(),
		"api_version": "2025-08-27.basil", "data": map[string]any{"object": obj}})
	if err != nil {
		t.Fatal(err)
	}
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret})
	req, err := http.NewRequest(http.MethodPost, site.URL+"/webhooks/stripe", strings.NewReader(string(payload)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", sp.Header)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func completed(ref, mode, pi, sub string, amount int64) map[string]any {
	m := map[string]any{"id": "cs_test_" + ref[:8], "object": "checkout.session", "client_reference_id": ref, "mode": mode,
		"payment_status": "paid", "status": "complete", "amount_total": amount, "currency": "usd", "customer": "cus_w"}
	if pi != "" {
		m["payment_intent"] = pi
	}
	if sub != "" {
		m["subscription"] = sub
	}
	return m
}

// latestRef is the reference of the newest gift or monthly gift.
func latestRef(t *testing.T, site *testkit.Site, table string) string {
	t.Helper()
	var ref string
	if err := site.App.DB.R.QueryRowContext(context.Background(), "SELECT ref FROM "+table+" ORDER BY id DESC LIMIT 1").Scan(&ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

var (
	receiptLinkRe = regexp.MustCompile(`/donate/receipt/[0-9]+\.[A-Za-z0-9_-]+`)
	cancelLinkRe  = regexp.MustCompile(`/donate/monthly/[0-9]+\.[A-Za-z0-9_-]+`)
)

// TestDonateOneOffAndMonthly drives the donate form, the redirect to
// Checkout, the webhook, the thank-you page, the e-mail with its PDF and the
// signed links, on both databases.
func TestDonateOneOffAndMonthly(t *testing.T) {
	mock := testkit.NewStripeMock(t)
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		smtp := testkit.NewSMTP(t)
		site := stripeSite(t, d, smtp, mock)
		c := site.NewClient(t)

		r := c.Get("/donate")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `action="/donate"`) || !strings.Contains(r.Body, `name="other_amount"`) {
			t.Fatalf("donate page: %d", r.Status)
		}
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "form-action 'self' https://checkout.stripe.com") || strings.Contains(csp, "unsafe-inline") ||
			!strings.Contains(csp, "script-src 'self'") {
			t.Fatalf("donate CSP: %q", csp)
		}
		if home := c.Get("/"); strings.Contains(home.Header.Get("Content-Security-Policy"), "stripe") {
			t.Fatal("the Stripe origin leaked into other pages' CSP")
		}
		if strings.Contains(r.Body, "js.stripe.com") || strings.Contains(r.Body, "<script>") {
			t.Fatal("the donate page loads a third-party or inline script")
		}

		// Invalid: clear messages, what was typed kept, nothing charged.
		bad := c.Post("/donate", url.Values{"frequency": {"once"}, "amount": {"25"}, "other_amount": {"12.3456"}, "currency": {"USD"},
			"name": {"Grace <b>Hopper</b>"}, "email": {"not-an-address"}})
		if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "at most 2 decimal places") ||
			!strings.Contains(bad.Body, "valid e-mail address") || !strings.Contains(bad.Body, `value="Grace &lt;b&gt;Hopper&lt;/b&gt;"`) ||
			!strings.Contains(bad.Body, `value="12.3456"`) || !strings.Contains(bad.Body, `aria-invalid="true"`) {
			t.Fatalf("invalid form: %d\n%s", bad.Status, bad.Body)
		}
		if n := countRows(t, site, "SELECT COUNT(*) FROM donations"); n != 0 {
			t.Fatalf("an invalid form recorded %d gifts", n)
		}

		// Valid one-off gift: 303 to Stripe Checkout.
		r = c.Post("/donate", url.Values{"frequency": {"once"}, "amount": {"50"}, "currency": {"USD"}, "name": {"Grace Hopper"},
			"email": {"grace@example.org"}, "newsletter": {"yes"}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "https://checkout.stripe.com/") {
			t.Fatalf("donate: %d %q", r.Status, r.Header.Get("Location"))
		}
		ref := latestRef(t, site, "donations")
		r = c.Get("/donate/thanks/" + ref)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "waiting for the payment service") || !strings.Contains(r.Body, `http-equiv="refresh"`) {
			t.Fatalf("pending thanks: %d\n%s", r.Status, r.Body)
		}

		// A forged webhook: 400, nothing changes.
		if st := postEvent(t, site, "whsec_forged", "evt_forged", "checkout.session.completed", completed(ref, "payment", "pi_w1", "", 5000)); st != http.StatusBadRequest {
			t.Fatalf("forged webhook: %d", st)
		}
		if g, _ := site.App.Donations.ByRef(context.Background(), ref); g.Status != donations.StatusPending {
			t.Fatalf("a forged webhook changed the gift to %s", g.Status)
		}
		for i := 0; i < 2; i++ {
			if st := postEvent(t, site, testWhsec, "evt_w1", "checkout.session.completed", completed(ref, "payment", "pi_w1", "", 5000)); st != http.StatusOK {
				t.Fatalf("webhook: %d", st)
			}
		}
		r = c.Get("/donate/thanks/" + ref)
		if !strings.Contains(r.Body, "Your gift of $50.00 is confirmed") || strings.Contains(r.Body, `http-equiv="refresh"`) {
			t.Fatalf("confirmed thanks:\n%s", r.Body)
		}
		link := receiptLinkRe.FindString(r.Body)
		if link == "" {
			t.Fatal("no receipt link on the thank-you page")
		}
		pdf := site.NewClient(t).Get(link)
		if pdf.Status != http.StatusOK || pdf.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.Body, "%PDF") {
			t.Fatalf("receipt download: %d %s", pdf.Status, pdf.Header.Get("Content-Type"))
		}
		if r := site.NewClient(t).Get(link + "x"); r.Status != http.StatusNotFound {
			t.Fatalf("tampered receipt link: %d", r.Status)
		}

		msgs := smtp.WaitFor(t, 1)
		m := msgs[0]
		if m.To[0] != "grace@example.org" || !strings.Contains(m.Header("Subject"), "Thank you for your gift") ||
			!strings.Contains(m.Text, "$50.00") || !strings.Contains(m.Text, link) {
			t.Fatalf("thank-you mail: %s\n%s", m.Header("Subject"), m.Text)
		}
		year := time.Now().UTC().Year()
		if !strings.Contains(m.Body, "application/pdf") || !strings.Contains(m.Body, fmt.Sprintf("receipt-%d-000001.pdf", year)) {
			t.Fatalf("no PDF receipt attached:\n%.2000s", m.Body)
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(smtp.Messages()); n != 1 {
			t.Fatalf("%d mails after a duplicate event", n)
		}

		// Monthly gift: the invoice first, then the completion.
		r = c.Post("/donate", url.Values{"frequency": {"monthly"}, "other_amount": {"15"}, "currency": {"EUR"}, "name": {"Grace Hopper"},
			"email": {"grace@example.org"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("monthly donate: %d", r.Status)
		}
		pref := latestRef(t, site, "donation_plans")
		inv := map[string]any{"id": "in_w1", "object": "invoice", "amount_paid": 1500, "currency": "eur", "customer": "cus_w",
			"parent": map[string]any{"type": "subscription_details", "subscription_details": map[string]any{
				"metadata": map[string]any{"ref": pref}, "subscription": "sub_w1"}}}
		if st := postEvent(t, site, testWhsec, "evt_inv_w1", "invoice.paid", inv); st != http.StatusOK {
			t.Fatalf("invoice webhook: %d", st)
		}
		if st := postEvent(t, site, testWhsec, "evt_cs_w2", "checkout.session.completed", completed(pref, "subscription", "", "sub_w1", 1500)); st != http.StatusOK {
			t.Fatalf("checkout webhook: %d", st)
		}
		r = c.Get("/donate/thanks/" + pref)
		if !strings.Contains(r.Body, "Your monthly gift of €15.00 is confirmed") {
			t.Fatalf("monthly thanks:\n%s", r.Body)
		}
		if rt, err := site.App.Donations.RecurringTotals(context.Background()); err != nil || len(rt) != 1 || rt[0].Minor != 1500 || rt[0].Currency != "EUR" {
			t.Fatalf("running monthly gifts: %+v %v", rt, err)
		}
		msgs = smtp.WaitFor(t, 2)
		m = msgs[1]
		cancel := cancelLinkRe.FindString(m.Text)
		if !strings.Contains(m.Header("Subject"), "monthly gift") || cancel == "" {
			t.Fatalf("monthly mail: %s\n%s", m.Header("Subject"), m.Text)
		}
		// The cancel link shows a page; only its form cancels.
		donor := site.NewClient(t)
		r = donor.Get(cancel)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "Stop my monthly gift") {
			t.Fatalf("cancel page: %d", r.Status)
		}
		if p, _ := site.App.Donations.PlanByRef(context.Background(), pref); p.Status != donations.PlanActive {
			t.Fatalf("opening the link changed the gift: %s", p.Status)
		}
		if r := donor.Post(cancel, url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		if p, _ := site.App.Donations.PlanByRef(context.Background(), pref); p.Status != donations.PlanCancelled {
			t.Fatalf("after cancelling: %s", p.Status)
		}
		if r := donor.Get(cancel); !strings.Contains(r.Body, "is cancelled") {
			t.Fatal("the cancel page does not say it is cancelled")
		}
		if r := donor.Get(strings.Replace(cancel, "/monthly/", "/monthly/9", 1)); r.Status != http.StatusNotFound {
			t.Fatalf("forged cancel link: %d", r.Status)
		}
	})
}

func countRows(t *testing.T, site *testkit.Site, q string) int {
	t.Helper()
	var n int
	if err := site.App.DB.R.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDonateAbuse: nothing typed or clicked gives a 500, the form is
// rate-limited, redirects only go to the provider, and webhooks without
// Stripe configured are refused.
func TestDonateAbuse(t *testing.T) {
	mock := testkit.NewStripeMock(t)
	site := stripeSite(t, nil, nil, mock)
	c := site.NewClient(t)
	c.Get("/donate")
	for _, f := range []url.Values{
		{"frequency": {"yearly"}, "amount": {"-1"}, "currency": {"usd"}, "name": {strings.Repeat("é", 5000)}, "email": {"a@b.c"}},
		{"amount": {"other"}, "currency": {"GBP"}, "name": {"x\x00y"}, "email": {"x@example.org"}},
		{"other_amount": {"1e308"}, "currency": {"USD"}, "name": {"X"}, "email": {"x@example.org"}, "appeal": {"../../etc"}},
		{"other_amount": {"0,5"}, "currency": {"EUR"}, "name": {"X"}, "email": {"x@example.org"}, "dedication": {"a\nb"}},
		{"O:8:\"stdClass\":0:{}": {"1"}, "amount": {"a:1:{s:4:\"test\";}"}, "currency": {"USD"}, "name": {"X"}, "email": {"x@example.org"}},
	} {
		r := c.Post("/donate", f)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `role="alert"`) {
			t.Fatalf("%v: %d", f, r.Status)
		}
	}
	for _, p := range []string{"/donate/thanks/nope", "/donate/thanks/" + strings.Repeat("A", 22), "/donate/cancelled/x",
		"/donate/receipt/1.abc", "/donate/receipt/../../x", "/donate/monthly/0.x", "/appeals/no-such", "/appeals/%00",
		"/donate?appeal=%ff%fe", "/donate?appeal=no-such&currency=zzz"} {
		r := c.Get(p)
		if r.Status >= 500 {
			t.Fatalf("GET %s: %d", p, r.Status)
		}
	}
	// The rate limit (10 quick posts) answers 429 and keeps the form.
	var last testkit.Response
	for i := 0; i < 12; i++ {
		last = c.Post("/donate", url.Values{"amount": {"x"}, "currency": {"USD"}, "name": {"Limit"}, "email": {"l@example.org"}})
	}
	if last.Status != http.StatusTooManyRequests || !strings.Contains(last.Body, `value="Limit"`) {
		t.Fatalf("rate limit: %d", last.Status)
	}
	// A webhook without a signature: 400.
	req, _ := http.NewRequest(http.MethodPost, site.URL+"/webhooks/stripe", strings.NewReader(`{"id":"evt_1","type":"checkout.session.completed"}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("unsigned webhook: %d", res.StatusCode)
	}

	// Stripe unreachable: a clear message, the form kept, the attempt closed.
	down := testkit.NewSite(t, testkit.SiteOptions{Config: func(c *config.Config) {
		c.StripeKey, c.StripeWebhookSecret, c.StripeAPIURL = "sk_test_123", testWhsec, "http://127.0.0.1:1"
	}})
	dc := down.NewClient(t)
	dc.Get("/donate")
	r := dc.Post("/donate", url.Values{"amount": {"25"}, "currency": {"USD"}, "name": {"Down"}, "email": {"down@example.org"}})
	if r.Status != http.StatusBadGateway || !strings.Contains(r.Body, "could not reach the payment service") || !strings.Contains(r.Body, `value="Down"`) {
		t.Fatalf("provider down: %d", r.Status)
	}
	if n := countRows(t, down, "SELECT COUNT(*) FROM donations WHERE status = 'failed'"); n != 1 {
		t.Fatalf("the failed attempt was not closed (%d)", n)
	}

	// Without Stripe: the page says so and the webhook is 404.
	off := testkit.NewSite(t, testkit.SiteOptions{})
	r = off.NewClient(t).Get("/donate")
	if r.Status != http.StatusOK || strings.Contains(r.Body, `action="/donate"`) || !strings.Contains(r.Body, "not available") {
		t.Fatalf("donate page without Stripe: %d", r.Status)
	}
	if strings.Contains(r.Header.Get("Content-Security-Policy"), "stripe") {
		t.Fatal("CSP names Stripe although it is off")
	}
	if st := postEvent(t, off, testWhsec, "evt_x", "charge.refunded", map[string]any{"id": "ch_1"}); st != http.StatusNotFound {
		t.Fatalf("webhook without Stripe: %d", st)
	}
}

// TestDonationsAdmin covers appeals, pledges, the list with its chart and
// filters, the CSV export (admins only), refunds and the person view.
func TestDonationsAdmin(t *testing.T) {
	ctx := context.Background()
	site := testkit.NewSite(t, testkit.SiteOptions{})
	site.AddUser(t, "ed@example.org", accounts.RoleEditor, "an editor password")
	site.AddUser(t, "admin@example.org", accounts.RoleAdmin, "an admin password")
	site.AddUser(t, "member@example.org", accounts.RoleMember, "a member password")
	ed := site.NewClient(t)
	ed.Login("ed@example.org", "an editor password")

	mem := site.NewClient(t)
	mem.Login("member@example.org", "a member password")
	if r := mem.Get("/admin/donations"); r.Status != http.StatusForbidden {
		t.Fatalf("a member opened the donations: %d", r.Status)
	}
	if r := site.NewClient(t).Get("/admin/donors"); r.Status != http.StatusSeeOther {
		t.Fatalf("a visitor opened the donors: %d", r.Status)
	}

	// An appeal.
	ed.Get("/admin/appeals/new")
	r := ed.Post("/admin/appeals", url.Values{"title": {"Winter Appeal"}, "goal": {"oops"}, "currency": {"USD"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `value="Winter Appeal"`) {
		t.Fatalf("invalid appeal: %d", r.Status)
	}
	r = ed.Post("/admin/appeals", url.Values{"title": {"Winter Appeal"}, "goal": {"1000"}, "currency": {"USD"}, "published": {"yes"},
		"summary": {"Help **now**. <script>alert(1)</script> [x](javascript:alert(1))"}, "article_slug": {"winter-story"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save appeal: %d %s", r.Status, r.Body)
	}
	a, err := site.App.Donations.AppealBySlug(context.Background(), "winter-appeal")
	if err != nil {
		t.Fatal(err)
	}

	// A cheque for the appeal, received now, from a person who also has an account.
	ed.Get("/admin/donations/pledge")
	r = ed.Post("/admin/donations/pledge", url.Values{"name": {"Member Person"}, "email": {"member@example.org"}, "amount": {"250"},
		"currency": {"USD"}, "method": {"cheque"}, "appeal": {fmt.Sprint(a.ID)}, "note": {"=cmd|' /C calc'!A0"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("pledge: %d %s", r.Status, r.Body)
	}
	loc := r.Header.Get("Location")
	r = ed.Get(loc)
	if !strings.Contains(r.Body, "Mark received") {
		t.Fatalf("pledge page: %d", r.Status)
	}
	r = ed.Post(loc+"/received", url.Values{"received_on": {time.Now().UTC().Format("2006-01-02")}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("received: %d %s", r.Status, r.Body)
	}
	r = ed.Get(loc)
	if !strings.Contains(r.Body, fmt.Sprintf("%d-000001", time.Now().UTC().Year())) {
		t.Fatal("no receipt number after receiving")
	}
	if pdf := ed.Get(loc + "/receipt"); pdf.Status != http.StatusOK || !strings.HasPrefix(pdf.Body, "%PDF") {
		t.Fatalf("admin receipt: %d", pdf.Status)
	}
	if r := ed.Post(loc+"/refund", url.Values{}); r.Status != http.StatusForbidden {
		t.Fatalf("an editor marked a refund: %d", r.Status)
	}

	// The story article does not exist yet: no link that would lead to a 404.
	if pub := site.NewClient(t).Get("/appeals/winter-appeal"); strings.Contains(pub.Body, `href="/articles/winter-story"`) {
		t.Fatal("the appeal links to a story that does not exist")
	}
	cat, err := site.App.Content.SaveCategory(ctx, content.Category{Name: "Appeals"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := site.App.Content.Create(ctx, content.Input{Kind: content.KindArticle, CategoryID: cat.ID, Title: "Winter on the front line",
		Slug: "winter-story", Summary: "What the winter means for displaced families.", Body: "Text.", Status: content.StatusPublished,
		Visibility: content.Public, Editor: content.Editor{Name: "Ed"}}, nil); err != nil {
		t.Fatal(err)
	}
	// The appeal page shows progress, figures as text, the story, safe Markdown.
	pub := site.NewClient(t).Get("/appeals/winter-appeal")
	for _, want := range []string{"$250.00", "raised of a goal of $1,000.00", "1 donors", `<progress class="progress-bar" max="100" value="25"`,
		`href="/articles/winter-story"`, "Winter on the front line", "What the winter means", "<strong>now</strong>", `href="/donate?appeal=winter-appeal"`} {
		if !strings.Contains(pub.Body, want) {
			t.Errorf("appeal page lacks %q", want)
		}
	}
	if strings.Contains(pub.Body, "<script>alert") || strings.Contains(pub.Body, `href="javascript:`) {
		t.Fatal("the appeal story lets script through")
	}
	if r := site.NewClient(t).Get("/donate?appeal=winter-appeal"); !strings.Contains(r.Body, "Your gift supports: Winter Appeal") {
		t.Fatal("the donate form does not show the appeal")
	}

	// The list: chart, totals, filters.
	r = ed.Get("/admin/donations?status=paid&method=cheque&appeal=" + fmt.Sprint(a.ID))
	for _, want := range []string{`role="img"`, "<title id=\"chart-usd-title\">", "<desc", "Member Person", "$250.00", "<table"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("donations list lacks %q", want)
		}
	}
	if r := ed.Get("/admin/donations?status=refunded"); strings.Contains(r.Body, "Member Person") {
		t.Fatal("the status filter does not filter")
	}
	if r := ed.Get("/admin/donations?from=bogus&to=2099-13-45&status=<x>"); r.Status != http.StatusOK {
		t.Fatalf("bad filters: %d", r.Status)
	}
	if r := ed.Get("/admin/donations/export.csv"); r.Status != http.StatusForbidden {
		t.Fatalf("an editor exported the accounts: %d", r.Status)
	}

	adm := site.NewClient(t)
	adm.Login("admin@example.org", "an admin password")
	csv := adm.Get("/admin/donations/export.csv?appeal=" + fmt.Sprint(a.ID))
	if csv.Status != http.StatusOK || !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(csv.Body, "Member Person,member@example.org,250.00") || !strings.Contains(csv.Body, `'=cmd|' /C calc'!A0`) {
		t.Fatalf("export: %d\n%s", csv.Status, csv.Body)
	}
	adm.Get(loc)
	if r := adm.Post(loc+"/refund", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("refund: %d", r.Status)
	}
	if r := adm.Get(loc); !strings.Contains(r.Body, "refunded $250.00") {
		t.Fatal("the refund is not shown")
	}

	// The person view joins the donor, the account and the subscriber by e-mail.
	nl, err := site.App.Mail.CreateList(ctx, mail.ListInput{Name: "Donors' Newsletter"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := site.App.Mail.Add(ctx, mail.AddInput{Email: "member@example.org", ListIDs: []int64{nl.ID}, Status: "confirmed", Source: "test"}); err != nil {
		t.Fatal(err)
	}
	r = ed.Get("/admin/people?email=Member@Example.org")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Member Person") || !strings.Contains(r.Body, "member — member") ||
		!strings.Contains(r.Body, "Donors&#39; Newsletter") || !strings.Contains(r.Body, `href="/admin/subscribers/`) {
		t.Fatalf("person view: %d\n%s", r.Status, r.Body)
	}
	if r := ed.Get("/admin/people?email=nobody@example.org"); r.Status != http.StatusNotFound {
		t.Fatalf("person view of nobody: %d", r.Status)
	}
	if r := ed.Get("/admin/donors?q=member"); !strings.Contains(r.Body, "Member Person") {
		t.Fatal("donor search")
	}

	// Settings (admins): gift-aid declaration on the form.
	adm.Get("/admin/donations/settings")
	if r := adm.Post("/admin/donations/settings", url.Values{"presets": {"5, 500000"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid presets: %d", r.Status)
	}
	if r := adm.Post("/admin/donations/settings", url.Values{"presets": {"15, 30, 60"}, "gift_aid": {"yes"},
		"gift_aid_text": {"I declare I pay tax."}, "other_ways": {"IBAN CH00 0000 0000"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("save settings: %d", r.Status)
	}
	if r := site.NewClient(t).Get("/donate"); !strings.Contains(r.Body, "IBAN CH00 0000 0000") {
		t.Fatal("the donate page does not show the bank details")
	}
	if gs, err := site.App.Donations.Settings(context.Background()); err != nil || !gs.GiftAid || gs.GiftAidText != "I declare I pay tax." ||
		fmt.Sprint(gs.Presets) != "[15 30 60]" {
		t.Fatalf("settings: %+v %v", gs, err)
	}
}
