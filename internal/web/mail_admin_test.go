package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/db"
	"coalition/internal/mail"
	"coalition/internal/testkit"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// eventually polls cond until it holds or 20 seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// TestMailAdminCampaign: an editor creates a list, composes an issue from
// two articles, previews it, sends a test and then the campaign, and
// watches its progress.
func TestMailAdminCampaign(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		smtp := testkit.NewSMTP(t)
		site, ed, cat := pubSite(t, testkit.SiteOptions{DB: d, SMTP: smtp})
		saveArticle(t, ed, "/admin/articles", articleForm(cat, "Water for Darfur", "The first story of the issue.", "published"))
		saveArticle(t, ed, "/admin/articles", articleForm(cat, "Schools reopen in Gaza", "The second story of the issue.", "published"))

		// Lists: create one, see it with its counts; a bad one keeps the input.
		if r := ed.Get("/admin/lists"); r.Status != http.StatusOK || !strings.Contains(r.Body, `aria-current="page">Lists`) {
			t.Fatalf("lists page: %d", r.Status)
		}
		if r := ed.Post("/admin/lists", url.Values{"name": {"Test Bulletin"}, "description": {"Our test bulletin."}}); r.Status != http.StatusSeeOther {
			t.Fatalf("create list: %d %s", r.Status, errorText(r.Body))
		}
		if r := ed.Post("/admin/lists", url.Values{"name": {"Another"}, "slug": {"test-bulletin"}}); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, `value="Another"`) || !strings.Contains(r.Body, `role="alert"`) {
			t.Fatalf("taken slug: %d %s", r.Status, errorText(r.Body))
		}
		lists, err := site.App.Mail.Lists(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var list mail.List
		for _, l := range lists {
			if l.Slug == "test-bulletin" {
				list = l
			}
		}
		if list.ID == 0 {
			t.Fatalf("list not created: %+v", lists)
		}
		r := ed.Post("/admin/lists/"+idStr(list.ID), url.Values{"name": {"Test Bulletin"}, "slug": {"test-bulletin"}, "description": {"Renamed description."}, "position": {"3"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save list: %d %s", r.Status, errorText(r.Body))
		}
		for _, a := range []string{"ann@example.net", "bob@example.net"} {
			if _, err := site.App.Mail.Add(ctx, mail.AddInput{Email: a, ListIDs: []int64{list.ID}, Status: "confirmed", Source: "import"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := site.App.Mail.Add(ctx, mail.AddInput{Email: "unsure@example.net", ListIDs: []int64{list.ID}, Status: "pending", Source: "import"}); err != nil {
			t.Fatal(err)
		}
		if r := ed.Get("/admin/lists"); !strings.Contains(r.Body, "Renamed description.") || !strings.Contains(r.Body, `status=confirmed">2</a>`) {
			t.Fatalf("lists page after edit: %s", r.Body)
		}

		// Compose with two picked articles.
		arts, err := site.App.Mail.RecentArticles(ctx, 30)
		if err != nil || len(arts) < 2 {
			t.Fatalf("recent articles: %v %+v", err, arts)
		}
		page := ed.Get("/admin/campaigns/new")
		for _, want := range []string{"Water for Darfur", "Schools reopen in Gaza", `name="lists" value="` + idStr(list.ID) + `"`, `data-for="body"`} {
			if !strings.Contains(page.Body, want) {
				t.Fatalf("compose form lacks %q", want)
			}
		}
		if r := ed.Post("/admin/campaigns", url.Values{"body": {"Kept text"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Kept text") {
			t.Fatalf("campaign without subject: %d", r.Status)
		}
		form := url.Values{"subject": {"October issue"}, "preheader": {"Two stories"}, "body": {"Dear friends,\n\nHere is our news."},
			"articles": {idStr(arts[0].ID), idStr(arts[1].ID)}, "lists": {idStr(list.ID)}, "archive": {"1"}, "action": {"preview"}}
		r = ed.Post("/admin/campaigns", form)
		m := regexp.MustCompile(`^/admin/campaigns/(\d+)/preview$`).FindStringSubmatch(r.Header.Get("Location"))
		if r.Status != http.StatusSeeOther || m == nil {
			t.Fatalf("create campaign: %d %q %s", r.Status, r.Header.Get("Location"), errorText(r.Body))
		}
		camp := "/admin/campaigns/" + m[1]

		// Preview: the admin page frames the raw e-mail, which is sandboxed.
		r = ed.Get(camp + "/preview")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `<iframe class="mail-preview" sandbox src="`+camp+`/preview?raw=1"`) {
			t.Fatalf("preview page: %d", r.Status)
		}
		r = ed.Get(camp + "/preview?raw=1")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("raw preview: %d %q", r.Status, r.Header.Get("Content-Security-Policy"))
		}
		for _, want := range []string{"In this issue", "Water for Darfur", "Schools reopen in Gaza", "Here is our news."} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("preview lacks %q", want)
			}
		}

		// A test to two addresses.
		ed.Get(camp)
		if r := ed.Post(camp+"/test", url.Values{"to": {""}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `role="alert"`) {
			t.Fatalf("test without address: %d", r.Status)
		}
		if r := ed.Post(camp+"/test", url.Values{"to": {"proof@example.net, second@example.net"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("send test: %d %s", r.Status, errorText(r.Body))
		}
		eventually(t, "the test e-mails", func() bool {
			return len(smtp.To("proof@example.net")) == 1 && len(smtp.To("second@example.net")) == 1
		})
		if got := smtp.To("proof@example.net")[0]; !strings.Contains(got.Header("Subject"), "[Test]") || !strings.Contains(got.HTML, "Water for Darfur") {
			t.Fatalf("test e-mail: %q", got.Header("Subject"))
		}

		// Unknown action; send needs the "I am sure" box.
		if r := ed.Post(camp+"/explode", url.Values{}); r.Status != http.StatusNotFound {
			t.Fatalf("unknown action: %d", r.Status)
		}
		if r := ed.Post(camp+"/send", url.Values{}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "I am sure") {
			t.Fatalf("send without confirming: %d", r.Status)
		}
		if r := ed.Post(camp+"/send", url.Values{"sure": {"1"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("send: %d %s", r.Status, errorText(r.Body))
		}
		eventually(t, "the campaign to both confirmed subscribers", func() bool {
			return len(smtp.To("ann@example.net")) == 1 && len(smtp.To("bob@example.net")) == 1
		})
		for _, mm := range smtp.To("unsure@example.net") {
			if strings.Contains(mm.Header("Subject"), "October issue") {
				t.Fatal("an unconfirmed address got the campaign")
			}
		}
		id, _ := strconv.ParseInt(m[1], 10, 64) //nolint:errcheck // matched \d+
		eventually(t, "the campaign to be sent", func() bool {
			c, err := site.App.Mail.GetCampaign(ctx, id)
			return err == nil && c.Status == mail.CampaignSent
		})

		// Progress as server-sent events (the stream ends once sent).
		r = ed.Get(camp + "/progress")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("progress: %d %q", r.Status, r.Header.Get("Content-Type"))
		}
		if !regexp.MustCompile(`(?m)^data: \{.*"sent":2.*\}$`).MatchString(r.Body) || !strings.Contains(r.Body, `"finished":true`) {
			t.Fatalf("progress events: %s", r.Body)
		}

		// The campaign page shows the figures.
		r = ed.Get(camp)
		for _, want := range []string{`data-stat="sent">2<`, `data-stat="total">2<`, `data-stat="failed">0<`, `data-stat="unsubs">`, `data-stat="bounces">`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("campaign page lacks %q", want)
			}
		}
		if strings.Contains(r.Body, camp+"/send") {
			t.Error("a sent campaign still offers to send")
		}
		if r := ed.Get("/admin/campaigns"); !strings.Contains(r.Body, "October issue") || !strings.Contains(r.Body, `class="status status-sent"`) {
			t.Fatal("campaign list")
		}

		// Visitors are sent to sign in; members are refused.
		if r := site.NewClient(t).Get(camp); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Fatalf("visitor: %d", r.Status)
		}
		mem, err := site.App.Accounts.Create(ctx, accounts.NewUser{Email: "m@example.org", Role: accounts.RoleMember, Password: "a member password",
			OrganisationID: testkit.NewOrganisation(t, site, "Member Org")})
		if err != nil {
			t.Fatal(err)
		}
		if r := site.ClientAs(t, &mem).Get("/admin/subscribers"); r.Status != http.StatusForbidden {
			t.Fatalf("member: %d", r.Status)
		}
	})
}

// postMultipart posts a form with one file as the browser does.
func postMultipart(t *testing.T, site *testkit.Site, c *testkit.Client, path string, fields url.Values, file, content string) testkit.Response {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fields.Set("csrf_token", c.CSRF())
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	fw, err := mw.CreateFormFile("file", file)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(content)) //nolint:errcheck // a buffer
	mw.Close()                //nolint:errcheck // a buffer
	req, err := http.NewRequest(http.MethodPost, site.URL+path, &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(req)
}

// TestMailAdminSubscribers: an admin imports a Mailchimp export with a bad
// row, finds, exports, suppresses and erases subscribers.
func TestMailAdminSubscribers(t *testing.T) {
	ctx := context.Background()
	smtp := testkit.NewSMTP(t)
	site := testkit.NewSite(t, testkit.SiteOptions{SMTP: smtp})
	admin := site.AddUser(t, "admin@example.org", accounts.RoleAdmin, "an admin password")
	c := site.ClientAs(t, &admin)
	list, err := site.App.Mail.CreateList(ctx, mail.ListInput{Name: "Import Target"})
	if err != nil {
		t.Fatal(err)
	}

	if r := c.Get("/admin/subscribers/import"); r.Status != http.StatusOK || !strings.Contains(r.Body, "I hold consent for these addresses") {
		t.Fatalf("import form: %d", r.Status)
	}
	if r := postMultipart(t, site, c, "/admin/subscribers/import", url.Values{"confirmed": {"1"}}, "a.csv", "Email Address\nx@example.net\n"); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "Choose at least one list") {
		t.Fatalf("import without a list: %d", r.Status)
	}
	csvText := "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME\r\n" +
		"good@example.net,Ann,Lee,2,2020-01-01 10:00:00\r\n" +
		"not-an-address,Bad,Row,1,\r\n" +
		"formula@example.net,=1+1,Smith,1,\r\n"
	r := postMultipart(t, site, c, "/admin/subscribers/import", url.Values{"lists": {idStr(list.ID)}, "confirmed": {"1"}}, "audience.csv", csvText)
	if r.Status != http.StatusOK {
		t.Fatalf("import: %d %s", r.Status, errorText(r.Body))
	}
	if !regexp.MustCompile(`<th scope="row">3</th><td>not-an-address</td><td>[^<]+</td>`).MatchString(r.Body) {
		t.Fatalf("the failed row is not shown with its line and reason:\n%s", r.Body)
	}
	if !strings.Contains(r.Body, `<span class="stat">2</span> added`) {
		t.Fatalf("import counts:\n%s", r.Body)
	}

	// Search and filter.
	r = c.Get("/admin/subscribers?q=good%40example&list=" + idStr(list.ID) + "&status=confirmed")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "good@example.net") || strings.Contains(r.Body, "formula@example.net") {
		t.Fatalf("search: %d", r.Status)
	}
	if !strings.Contains(r.Body, `href="/admin/subscribers/export.csv?list=`+idStr(list.ID)+`&amp;q=good%40example&amp;status=confirmed"`) {
		t.Fatal("the export link does not carry the filters")
	}
	if r := c.Get("/admin/subscribers?status=unconfirmed"); strings.Contains(r.Body, "good@example.net") {
		t.Fatal("status filter")
	}

	// Export: the header, and a cell starting with "=" is defused.
	r = c.Get("/admin/subscribers/export.csv")
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %q", r.Status, r.Header.Get("Content-Disposition"))
	}
	if !strings.HasPrefix(strings.TrimPrefix(r.Body, "\ufeff"), "email,name,status,lists,follows,created_at,confirmed_at,consent_source,consent_text") {
		t.Fatalf("export header: %q", strings.SplitN(r.Body, "\n", 2)[0])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rec := range recs[1:] {
		for _, cell := range rec {
			if strings.HasPrefix(cell, "=") {
				t.Fatalf("export cell starts with '=': %q", rec)
			}
		}
		if rec[0] == "formula@example.net" && strings.Contains(rec[1], "=1+1") {
			found = true
		}
	}
	if !found || len(recs) != 3 {
		t.Fatalf("export rows: %q", recs)
	}
	if r := c.Get("/admin/subscribers/export.csv?q=good"); strings.Contains(r.Body, "formula@example.net") || !strings.Contains(r.Body, "good@example.net") {
		t.Fatal("export ignores the filter")
	}

	// Detail, suppress, erase.
	rows, _, err := site.App.Mail.Subscribers(ctx, mail.SubscriberFilter{Q: "good@example.net", Limit: 10})
	if err != nil || len(rows) != 1 {
		t.Fatalf("subscriber: %v %d", err, len(rows))
	}
	sub := "/admin/subscribers/" + idStr(rows[0].ID)
	r = c.Get(sub)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Consent record") || !strings.Contains(r.Body, "Import Target") {
		t.Fatalf("detail: %d", r.Status)
	}
	if r := c.Post(sub+"/suppress", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("suppress: %d %s", r.Status, errorText(r.Body))
	}
	if r := c.Get(sub); !strings.Contains(r.Body, "Suppressed since") || !strings.Contains(r.Body, sub+"/unsuppress") {
		t.Fatal("not shown as suppressed")
	}
	if r := c.Get("/admin/subscribers?status=suppressed"); !strings.Contains(r.Body, "good@example.net") {
		t.Fatal("suppressed filter")
	}
	if r := c.Post(sub+"/frobnicate", url.Values{}); r.Status != http.StatusNotFound {
		t.Fatalf("unknown action: %d", r.Status)
	}
	if r := c.Post(sub+"/delete", url.Values{}); r.Status != http.StatusBadRequest {
		t.Fatalf("erase without confirming: %d", r.Status)
	}
	if r := c.Post(sub+"/delete", url.Values{"confirm": {"1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("erase: %d", r.Status)
	}
	if r := c.Get(sub); r.Status != http.StatusNotFound {
		t.Fatalf("erased subscriber: %d", r.Status)
	}

	// Deleting a list (admins only) needs the box ticked.
	c.Get("/admin/lists")
	if r := c.Post("/admin/lists/"+idStr(list.ID)+"/delete", url.Values{}); r.Status != http.StatusBadRequest {
		t.Fatalf("delete list without confirming: %d", r.Status)
	}
	if r := c.Post("/admin/lists/"+idStr(list.ID)+"/delete", url.Values{"confirm": {"1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("delete list: %d", r.Status)
	}
	if r := c.Get("/admin/lists"); strings.Contains(r.Body, `<th scope="row">Import Target`) || !strings.Contains(r.Body, "are deleted") {
		t.Fatal("list not deleted")
	}
}

// TestMailAdminSendingProgress: while a campaign sends (here it cannot
// leave: no SMTP server), its page refreshes itself without JavaScript and
// the progress stream reports figures every second until it is stopped.
func TestMailAdminSendingProgress(t *testing.T) {
	ctx := context.Background()
	site := testkit.NewSite(t, testkit.SiteOptions{})
	ed := site.AddUser(t, "ed@example.org", accounts.RoleEditor, "an editor password")
	c := site.ClientAs(t, &ed)
	list, err := site.App.Mail.CreateList(ctx, mail.ListInput{Name: "Waiting List"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := site.App.Mail.Add(ctx, mail.AddInput{Email: "ann@example.net", ListIDs: []int64{list.ID}, Status: "confirmed", Source: "import"}); err != nil {
		t.Fatal(err)
	}
	camp, err := site.App.Mail.CreateCampaign(ctx, mail.CampaignInput{Subject: "Held back", Body: "Text.", ListIDs: []int64{list.ID}}, ed.ID)
	if err != nil {
		t.Fatal(err)
	}
	path := "/admin/campaigns/" + idStr(camp.ID)
	c.Get(path)
	if r := c.Post(path+"/schedule", url.Values{"at": {"2001-01-01T10:00"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `value="2001-01-01T10:00"`) {
		t.Fatalf("schedule in the past: %d", r.Status)
	}
	at := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Minute)
	if r := c.Post(path+"/schedule", url.Values{"at": {at.Format("2006-01-02T15:04")}}); r.Status != http.StatusSeeOther {
		t.Fatalf("schedule: %d %s", r.Status, errorText(r.Body))
	}
	if got, err := site.App.Mail.GetCampaign(ctx, camp.ID); err != nil || got.Status != mail.CampaignScheduled || !got.ScheduledAt.Equal(at) {
		t.Fatalf("scheduled: %v %s %v (want %v, read as UTC)", err, got.Status, got.ScheduledAt, at)
	}
	if r := c.Get(path); !strings.Contains(r.Body, "to be sent on "+at.Format("2006-01-02 15:04")+" UTC") || !strings.Contains(r.Body, `action="`+path+`/unschedule"`) {
		t.Fatal("the scheduled time is not shown")
	}
	if r := c.Post(path+"/unschedule", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("unschedule: %d", r.Status)
	}
	if got, _ := site.App.Mail.GetCampaign(ctx, camp.ID); got.Status != mail.CampaignDraft { //nolint:errcheck // status checked
		t.Fatalf("after unscheduling: %s", got.Status)
	}
	if r := c.Post(path+"/send", url.Values{"sure": {"1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("send: %d %s", r.Status, errorText(r.Body))
	}
	r := c.Get(path)
	for _, want := range []string{`<noscript><meta http-equiv="refresh" content="5"></noscript>`, `data-progress="` + path + `/progress"`,
		`<progress id="campaign-bar"`, `data-stat="remaining">1<`, `action="` + path + `/cancel"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("sending page lacks %q", want)
		}
	}

	// The stream: read one event, then go away.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, site.URL+path+"/progress", nil)
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(res.Body)
	var event string
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") {
			event = sc.Text()
			break
		}
	}
	res.Body.Close()
	if !strings.Contains(event, `"status":"sending"`) || !strings.Contains(event, `"remaining":1`) || !strings.Contains(event, `"sent":0`) {
		t.Fatalf("event: %q", event)
	}

	if r := c.Post(path+"/cancel", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d %s", r.Status, errorText(r.Body))
	}
	if r := c.Get(path + "/progress"); !strings.Contains(r.Body, `"status":"cancelled"`) || !strings.Contains(r.Body, `"finished":true`) {
		t.Fatalf("progress after cancelling: %s", r.Body)
	}
	if r := c.Get(path); strings.Contains(r.Body, "http-equiv") || !strings.Contains(r.Body, `action="`+path+`/delete"`) {
		t.Fatal("a cancelled campaign still refreshes or cannot be deleted")
	}
}

// TestMailAdminLiveProgressBrowser: in Chromium the campaign page's figures
// follow the progress events without a reload, and the page reloads by
// itself once the campaign stops.
func TestMailAdminLiveProgressBrowser(t *testing.T) {
	ctx := context.Background()
	site := testkit.NewSite(t, testkit.SiteOptions{}) // no SMTP: the campaign stays "sending"
	ed := site.AddUser(t, "ed@example.org", accounts.RoleEditor, "an editor password")
	list, err := site.App.Mail.CreateList(ctx, mail.ListInput{Name: "Live"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := site.App.Mail.Add(ctx, mail.AddInput{Email: "ann@example.net", ListIDs: []int64{list.ID}, Status: "confirmed", Source: "import"}); err != nil {
		t.Fatal(err)
	}
	camp, err := site.App.Mail.CreateCampaign(ctx, mail.CampaignInput{Subject: "Live", Body: "Text.", ListIDs: []int64{list.ID}}, ed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := site.App.Mail.Send(ctx, camp.ID); err != nil {
		t.Fatal(err)
	}
	bctx := testkit.Browser(t)
	tok, _, err := site.App.Accounts.CreateSession(ctx, ed.ID, "127.0.0.1", "browser")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(site.URL) //nolint:errcheck // our own URL
	httpOnly := true
	if err := chromedp.Do(bctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: "coalition_session", Value: tok,
			Domain: base.Hostname(), Path: "/", HTTPOnly: &httpOnly})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(site.URL+"/admin/campaigns/"+idStr(camp.ID))); err != nil {
		t.Fatal(err)
	}
	// Spoil a figure and mark the document: an event repairs the first, a
	// reload drops the second.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.dataset.mark = "1"; document.querySelector('[data-stat="remaining"]').textContent = "?"; "ok"`)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a progress event to update the figures", func() bool {
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.dataset.mark + ":" + document.querySelector('[data-stat="remaining"]').textContent`))
		return err == nil && v == "1:1"
	})
	if err := site.App.Mail.Cancel(ctx, camp.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the page to reload once cancelled", func() bool {
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(document.body.dataset.mark || "none") + ":" + document.querySelector("main").textContent`))
		return err == nil && strings.HasPrefix(v, "none:") && strings.Contains(v, "Cancelled")
	})
}
