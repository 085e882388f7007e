package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/config"
	"coalition/internal/crises"
	"coalition/internal/db"
	"coalition/internal/mail"
	"coalition/internal/testkit"
)

var mailLinkRe = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkIn returns the first link in a message's text containing part.
func linkIn(t *testing.T, m testkit.Mail, part string) string {
	t.Helper()
	for _, l := range mailLinkRe.FindAllString(m.Text, -1) {
		if strings.Contains(l, part) {
			return l
		}
	}
	t.Fatalf("no link with %q in:\n%s", part, m.Text)
	return ""
}

func pathOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func newList(t *testing.T, site *testkit.Site, name string, membersOnly bool) mail.List {
	t.Helper()
	l, err := site.App.Mail.CreateList(context.Background(), mail.ListInput{Name: name, MembersOnly: membersOnly})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// waitFor polls cond until it holds (the sender and the alert workers run
// in the background).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestSubscribeDoubleOptIn follows a reader from the "Get involved" form on
// an article page through the confirmation e-mail to the preference centre
// and out again, on both databases, over real SMTP.
func TestSubscribeDoubleOptIn(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		smtp := testkit.NewSMTP(t)
		site := testkit.NewSite(t, testkit.SiteOptions{DB: d, SMTP: smtp})
		ctx := context.Background()
		news := newList(t, site, "Monthly Newsletter", false)
		alerts := newList(t, site, "Crisis Alerts", false)
		briefing := newList(t, site, "Members' Briefing", true)

		c := site.NewClient(t)
		home := c.Get("/news")
		if !strings.Contains(home.Body, `action="/subscribe"`) || !strings.Contains(home.Body, "Monthly Newsletter") {
			t.Fatalf("no subscribe form with the lists in the Get involved block:\n%s", home.Body)
		}
		if strings.Contains(home.Body, "Members&#39; Briefing") {
			t.Fatal("a members-only list is offered to visitors")
		}
		if !strings.Contains(home.Body, `name="source" value="/news"`) {
			t.Fatal("the chrome's form does not record the page it is on")
		}
		// A members-only list chosen by a visitor is refused, keeping what was typed.
		r := c.Post("/subscribe", url.Values{"email": {"reader@example.org"}, "list": {strconv.FormatInt(briefing.ID, 10)}, "source": {"/news"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "reader@example.org") || !strings.Contains(r.Body, `role="alert"`) {
			t.Fatalf("members-only list for a visitor: %d\n%s", r.Status, r.Body)
		}
		r = c.Post("/subscribe", url.Values{"email": {"not an address"}, "list": {strconv.FormatInt(news.ID, 10)}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad address: %d", r.Status)
		}
		// The honeypot: answered like a success, nothing stored or sent.
		r = c.Post("/subscribe", url.Values{"email": {"bot@example.org"}, "website": {"http://spam"}, "list": {strconv.FormatInt(news.ID, 10)}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("honeypot: %d", r.Status)
		}
		r = c.Post("/subscribe", url.Values{"email": {"Reader@Example.org"}, "name": {"Rea Der"}, "form": {"short"}, "source": {"/news"},
			"list": {strconv.FormatInt(news.ID, 10), strconv.FormatInt(alerts.ID, 10)}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/subscribe/thanks" {
			t.Fatalf("subscribe: %d %s\n%s", r.Status, r.Header.Get("Location"), r.Body)
		}
		if th := c.Get("/subscribe/thanks"); !strings.Contains(th.Body, "Check your inbox") {
			t.Fatal("no thank-you page")
		}
		msgs := smtp.WaitFor(t, 1)
		if len(smtp.To("bot@example.org")) != 0 {
			t.Fatal("the honeypot sent mail")
		}
		conf := msgs[0]
		if conf.To[0] != "reader@example.org" {
			t.Fatalf("confirmation went to %v", conf.To)
		}
		// Before confirming, the subscription is not active.
		rows, _, err := site.App.Mail.Subscribers(ctx, mail.SubscriberFilter{Q: "reader@", Status: "confirmed"})
		if err != nil || len(rows) != 0 {
			t.Fatalf("confirmed before the link was followed: %v %v", rows, err)
		}
		link := pathOf(t, linkIn(t, conf, "/subscribe/confirm/"))
		page := c.Get(link)
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "<form") {
			t.Fatalf("confirm page: %d", page.Status)
		}
		// GET alone changes nothing (mail scanners follow links).
		rows, _, _ = site.App.Mail.Subscribers(ctx, mail.SubscriberFilter{Q: "reader@", Status: "confirmed"})
		if len(rows) != 0 {
			t.Fatal("a GET confirmed the subscription")
		}
		done := c.Post(link, nil)
		if done.Status != http.StatusOK || !strings.Contains(done.Body, "You are subscribed") {
			t.Fatalf("confirm: %d\n%s", done.Status, done.Body)
		}
		rows, _, err = site.App.Mail.Subscribers(ctx, mail.SubscriberFilter{Q: "reader@", Status: "confirmed"})
		if err != nil || len(rows) != 1 {
			t.Fatalf("not confirmed: %v %v", rows, err)
		}
		det, err := site.App.Mail.SubscriberByID(ctx, rows[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var consent *mail.Consent
		for i := range det.Consents {
			if det.Consents[i].Action == "subscribe" {
				consent = &det.Consents[i]
			}
		}
		if consent == nil || consent.Source != "/news" || !strings.Contains(consent.ConsentText, "one-click unsubscribe") || consent.At.IsZero() {
			t.Fatalf("consent record: %+v", det.Consents)
		}
		active := 0
		for _, s := range det.Subscriptions {
			if s.Status == mail.SubActive {
				active++
			}
		}
		if active != 2 {
			t.Fatalf("want 2 active lists, got %+v", det.Subscriptions)
		}

		// The preference centre from the link on the confirmation page.
		prefLink := regexp.MustCompile(`href="(/subscribe/manage/[^"]+)"`).FindStringSubmatch(done.Body)
		if prefLink == nil {
			t.Fatalf("no preference link after confirming:\n%s", done.Body)
		}
		prefs := c.Get(prefLink[1])
		if prefs.Status != http.StatusOK || !strings.Contains(prefs.Body, "reader@example.org") || prefs.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("preference centre: %d %v", prefs.Status, prefs.Header)
		}
		syr, err := site.App.Places.ResolveCountries(ctx, []string{"SYR"})
		if err != nil {
			t.Fatal(err)
		}
		r = c.Post(prefLink[1], url.Values{"email": {"reader@example.org"}, "name": {"Rea"}, "list": {strconv.FormatInt(news.ID, 10)},
			"follow": {strconv.FormatInt(syr[0], 10)}, "frequency": {"daily"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save preferences: %d\n%s", r.Status, r.Body)
		}
		det, _ = site.App.Mail.SubscriberByID(ctx, rows[0].ID)
		if det.Subscriber.Frequency != "daily" || len(det.Follows) != 1 || det.Follows[0] != syr[0] || det.Subscriber.Name != "Rea" {
			t.Fatalf("preferences not saved: %+v follows %v", det.Subscriber, det.Follows)
		}
		for _, s := range det.Subscriptions {
			if s.List.ID == alerts.ID && s.Status != mail.SubUnsubscribed {
				t.Fatalf("unticked list still %s", s.Status)
			}
		}
		// Leave everything.
		c.Get(prefLink[1])
		r = c.Post(prefLink[1]+"/leave", nil)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "left every list") {
			t.Fatalf("leave: %d", r.Status)
		}
		det, _ = site.App.Mail.SubscriberByID(ctx, rows[0].ID)
		for _, s := range det.Subscriptions {
			if s.Status == mail.SubActive {
				t.Fatalf("still active on %s after leaving", s.List.Name)
			}
		}
		if len(det.Follows) != 0 {
			t.Fatal("alerts survive leaving everything")
		}
		// A forged or truncated link is a clear 404, not a 500.
		if r := c.Get("/subscribe/manage/1.1..AAAA"); r.Status != http.StatusNotFound {
			t.Fatalf("forged token: %d", r.Status)
		}
	})
}

// TestCampaignOneClickAndAPI drives a campaign through the JSON API to
// confirmed subscribers over SMTP, checks the RFC 8058 headers, and
// unsubscribes with a bare one-click POST (no cookie, no CSRF token).
func TestCampaignOneClickAndAPI(t *testing.T) {
	smtp := testkit.NewSMTP(t)
	site := testkit.NewSite(t, testkit.SiteOptions{SMTP: smtp})
	ctx := context.Background()
	_, token, err := site.App.Accounts.CreateAPIToken(ctx, "test", accounts.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body, tok string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, site.URL+path, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		b, _ := io.ReadAll(res.Body)
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, b)
		}
		return res.StatusCode, out
	}
	if st, _ := call("GET", "/api/v1/lists", "", ""); st != http.StatusUnauthorized {
		t.Fatalf("no token: %d", st)
	}
	if st, _ := call("GET", "/api/v1/lists", "", "coal_wrong"); st != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", st)
	}
	l := newList(t, site, "Monthly Newsletter", false)
	st, lists := call("GET", "/api/v1/lists", "", token)
	items, _ := lists["items"].([]any)
	if st != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["name"] != "Monthly Newsletter" {
		t.Fatalf("lists: %d %v", st, lists)
	}
	for i := range 5 {
		st, out := call("POST", "/api/v1/subscribers", `{"email":"p`+strconv.Itoa(i)+`@example.org","name":"P","lists":[`+strconv.FormatInt(l.ID, 10)+`],"status":"confirmed"}`, token)
		if st != http.StatusCreated || out["status"] != "confirmed" {
			t.Fatalf("add subscriber: %d %v", st, out)
		}
	}
	if st, out := call("POST", "/api/v1/subscribers", `{"email":"bad","lists":[1]}`, token); st != http.StatusUnprocessableEntity || out["error"] == "" {
		t.Fatalf("bad subscriber: %d %v", st, out)
	}
	if st, _ := call("POST", "/api/v1/subscribers", `{"email":`, token); st != http.StatusBadRequest {
		t.Fatalf("broken JSON: %d", st)
	}
	// An unconfirmed address receives no campaign.
	if _, err := site.App.Mail.Add(ctx, mail.AddInput{Email: "pending@example.org", ListIDs: []int64{l.ID}, Status: "pending", Source: "test"}); err != nil {
		t.Fatal(err)
	}
	st, out := call("POST", "/api/v1/campaigns", `{"subject":"Hello members","body":"**Bold** news.","lists":[`+strconv.FormatInt(l.ID, 10)+`]}`, token)
	if st != http.StatusCreated {
		t.Fatalf("create campaign: %d %v", st, out)
	}
	id := strconv.Itoa(int(out["id"].(float64)))
	if st, out := call("POST", "/api/v1/campaigns/"+id+"/send", "", token); st != http.StatusAccepted {
		t.Fatalf("send: %d %v", st, out)
	}
	var final map[string]any
	waitFor(t, "campaign sent", func() bool {
		_, final = call("GET", "/api/v1/campaigns/"+id, "", token)
		return final["status"] == "sent"
	})
	if final["total"].(float64) != 5 || final["sent"].(float64) != 5 || final["failed"].(float64) != 0 || final["remaining"].(float64) != 0 {
		t.Fatalf("counts: %v", final)
	}
	var got []testkit.Mail
	for _, m := range smtp.Messages() {
		if m.Header("Subject") == "Hello members" {
			got = append(got, m)
		}
	}
	if len(got) != 5 {
		t.Fatalf("want 5 copies, got %d", len(got))
	}
	if len(smtp.To("pending@example.org")) > 1 { // only its confirmation
		t.Fatal("an unconfirmed address received the campaign")
	}
	m := got[0]
	lu := m.Header("List-Unsubscribe")
	if m.Header("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.Contains(lu, "<mailto:") || !strings.Contains(lu, "/unsubscribe/") {
		t.Fatalf("RFC 8058 headers: %q / %q", lu, m.Header("List-Unsubscribe-Post"))
	}
	if m.Header("List-Id") == "" || m.Header("Message-Id") == "" {
		t.Fatal("List-Id or Message-ID missing")
	}
	if !strings.Contains(m.Text, "/unsubscribe/") || !strings.Contains(m.HTML, "Unsubscribe") || !strings.Contains(m.HTML, "<strong>Bold</strong>") {
		t.Fatalf("no visible unsubscribe link or body:\n%s", m.Text)
	}
	https := regexp.MustCompile(`<(http[^>]+)>`).FindStringSubmatch(lu)[1]
	// A bare POST as a mail client sends it: no cookie, no CSRF token.
	res, err := http.Post(https, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("one-click: %d", res.StatusCode)
	}
	who := m.To[0]
	rows, _, err := site.App.Mail.Subscribers(ctx, mail.SubscriberFilter{Q: who})
	if err != nil || len(rows) != 1 || len(rows[0].Lists) != 0 {
		t.Fatalf("still subscribed after one-click: %+v %v", rows, err)
	}
	// Twice is fine.
	res, _ = http.Post(https, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("second one-click: %d", res.StatusCode)
	}
	// Re-subscribing needs a new confirmation.
	c := site.NewClient(t)
	c.Get("/subscribe")
	before := len(smtp.To(who))
	if r := c.Post("/subscribe", url.Values{"email": {who}, "list": {strconv.FormatInt(l.ID, 10)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("re-subscribe: %d", r.Status)
	}
	waitFor(t, "new confirmation", func() bool { return len(smtp.To(who)) > before })
	rows, _, _ = site.App.Mail.Subscribers(ctx, mail.SubscriberFilter{Q: who})
	if len(rows[0].Lists) != 0 {
		t.Fatal("re-subscribed without confirming")
	}
	// The archive shows the sent campaign.
	arch := c.Get("/newsletters")
	if !strings.Contains(arch.Body, "Hello members") {
		t.Fatalf("archive:\n%s", arch.Body)
	}
	slug := regexp.MustCompile(`href="(/newsletters/[^"]+)"`).FindStringSubmatch(arch.Body)
	if slug == nil {
		t.Fatal("no link to the archived newsletter")
	}
	if p := c.Get(slug[1]); p.Status != http.StatusOK || !strings.Contains(p.Body, "<strong>Bold</strong>") || strings.Contains(p.Body, "/unsubscribe/") {
		t.Fatalf("archived newsletter: %d", p.Status)
	}
	// OpenAPI describes the API.
	oa := c.Get("/api/v1/openapi.json")
	for _, p := range []string{`"/lists"`, `"/subscribers"`, `"/campaigns/{id}/send"`, `"bearerToken"`} {
		if !strings.Contains(oa.Body, p) {
			t.Errorf("OpenAPI lacks %s", p)
		}
	}
}

// TestAlertsAndBounces: a crisis update alerts who follows the crisis's
// country (at once), a bounce webhook suppresses an address.
func TestAlertsAndBounces(t *testing.T) {
	smtp := testkit.NewSMTP(t)
	site := testkit.NewSite(t, testkit.SiteOptions{SMTP: smtp, Config: func(c *config.Config) { c.BounceSecret = "s3cret" }})
	ctx := context.Background()
	l := newList(t, site, "Crisis Alerts", false)
	sub, err := site.App.Mail.Add(ctx, mail.AddInput{Email: "follower@example.org", ListIDs: []int64{l.ID}, Status: "confirmed", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	syr, err := site.App.Places.ResolveCountries(ctx, []string{"SYR"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := site.App.DB.W.ExecContext(ctx, "INSERT INTO subscriber_follows (subscriber_id, tag_id) VALUES ($1, $2)", sub.ID, syr[0]); err != nil {
		t.Fatal(err)
	}
	sts, err := site.App.Crises.Statuses(ctx)
	if err != nil || len(sts) == 0 {
		t.Fatalf("statuses: %v", err)
	}
	cr, err := site.App.Crises.Create(ctx, crises.Input{Title: "Syria", StatusID: sts[0].ID, Countries: []string{"SYR"}, Summary: "Summary.", Published: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := site.App.Crises.AddUpdate(ctx, cr.ID, crises.UpdateInput{HappenedOn: time.Now(), Title: "Shelling of Idlib", Body: "Civilians were hit.", Publish: true}, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alert", func() bool {
		for _, m := range smtp.To("follower@example.org") {
			if strings.Contains(m.Text, "Shelling of Idlib") {
				return m.Header("List-Unsubscribe-Post") != ""
			}
		}
		return false
	})

	post := func(q, auth, body string) int {
		req, _ := http.NewRequest("POST", site.URL+"/webhooks/bounce"+q, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	hard := `{"email":"follower@example.org","type":"hard","reason":"550 no such user"}`
	if st := post("", "", hard); st != http.StatusUnauthorized {
		t.Fatalf("bounce without secret: %d", st)
	}
	if st := post("?secret=wrong", "", hard); st != http.StatusUnauthorized {
		t.Fatalf("bounce with a wrong secret: %d", st)
	}
	if st := post("?secret=s3cret", "", `{"email":`); st < 400 || st >= 500 {
		t.Fatalf("broken bounce JSON: %d", st)
	}
	if st := post("", "Bearer s3cret", hard); st != http.StatusOK {
		t.Fatalf("bounce: %d", st)
	}
	det, err := site.App.Mail.SubscriberByID(ctx, sub.ID)
	if err != nil || !det.Subscriber.Suppressed() || len(det.Bounces) != 1 {
		t.Fatalf("hard bounce did not suppress: %+v %v", det, err)
	}
}

// TestDonorNewsletterWish: a donor who ticked "send me the newsletter" is
// handed to the mailing lists, which send the usual confirmation; nothing is
// active before the donor confirms.
func TestDonorNewsletterWish(t *testing.T) {
	smtp := testkit.NewSMTP(t)
	site := testkit.NewSite(t, testkit.SiteOptions{SMTP: smtp})
	ctx := context.Background()
	now := time.Now().UTC()
	if _, err := site.App.DB.W.ExecContext(ctx, `INSERT INTO donors (email, name, newsletter_wish, newsletter_wish_at, created_at, updated_at)
		VALUES ('giver@example.org', 'Giver', TRUE, $1, $1, $1)`, now); err != nil {
		t.Fatal(err)
	}
	// No list yet: the wish is kept.
	if err := site.App.Donations.FlushNewsletterWishes(ctx); err == nil {
		t.Fatal("a wish was accepted with no list to subscribe to")
	}
	l := newList(t, site, "Monthly Newsletter", false)
	if err := site.App.Donations.FlushNewsletterWishes(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the confirmation", func() bool { return len(smtp.To("giver@example.org")) == 1 })
	m := smtp.To("giver@example.org")[0]
	if !strings.Contains(m.Text, "/subscribe/confirm/") {
		t.Fatalf("not a confirmation:\n%s", m.Text)
	}
	rows, _, err := site.App.Mail.Subscribers(ctx, mail.SubscriberFilter{Q: "giver@"})
	if err != nil || len(rows) != 1 || rows[0].Confirmed() || len(rows[0].Lists) != 0 {
		t.Fatalf("donor subscriber before confirming: %+v %v", rows, err)
	}
	det, _ := site.App.Mail.SubscriberByID(ctx, rows[0].ID)
	if len(det.Consents) == 0 || det.Consents[0].Source != "donation" || !strings.Contains(det.Consents[0].ConsentText, "newsletter") ||
		det.Subscriptions[0].List.ID != l.ID {
		t.Fatalf("consent record of the donor: %+v", det)
	}
}
