package web_test

import (
	"bytes"
	"context"
	"image/gif"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"coalition/internal/accounts"
	"coalition/internal/config"
	"coalition/internal/mail"
	"coalition/internal/settings"
	"coalition/internal/testkit"
)

const (
	trackHint   = "Open counts are approximate: many mail programs block or pre-load images."
	trackEdPass = "a tracking test password"
)

type trackEnv struct {
	site *testkit.Site
	ed   *testkit.Client
	c    mail.Campaign
	sub  mail.Subscriber
	msg  testkit.Mail
}

// trackSite starts a site with --mail-tracking on or off and sends one
// campaign to one confirmed subscriber.
func trackSite(t *testing.T, on bool) *trackEnv {
	t.Helper()
	ctx := context.Background()
	smtp := testkit.NewSMTP(t)
	site := testkit.NewSite(t, testkit.SiteOptions{SMTP: smtp, Config: func(c *config.Config) { c.MailTracking = on }})
	if err := site.App.Settings.Save(ctx, settings.Settings{OrgName: "Test Coalition", PostalAddress: "1 Test Street\nGeneva"}); err != nil {
		t.Fatal(err)
	}
	l := newList(t, site, "Monthly Newsletter", false)
	sub, err := site.App.Mail.Add(ctx, mail.AddInput{Email: "reader@example.org", ListIDs: []int64{l.ID}, Status: "confirmed", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := site.App.Mail.CreateCampaign(ctx, mail.CampaignInput{Subject: "Tracked?", Body: "Some **news**.", ListIDs: []int64{l.ID}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := site.App.Mail.Send(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "campaign sent", func() bool {
		got, err := site.App.Mail.GetCampaign(ctx, c.ID)
		return err == nil && got.Status == mail.CampaignSent
	})
	e := &trackEnv{site: site, c: c, sub: sub}
	for _, m := range smtp.Messages() {
		if m.Header("Subject") == "Tracked?" {
			e.msg = m
		}
	}
	if e.msg.HTML == "" {
		t.Fatal("the campaign's HTML part did not arrive")
	}
	site.AddUser(t, "ed@example.org", accounts.RoleEditor, trackEdPass)
	e.ed = site.NewClient(t)
	e.ed.Login("ed@example.org", trackEdPass)
	return e
}

// pixelPath is the path of the subscriber's pixel, as the sender makes it.
func (e *trackEnv) pixelPath(t *testing.T) string {
	t.Helper()
	u, err := e.site.App.Mail.OpenURL(context.Background(), e.c.ID, e.sub)
	if err != nil {
		t.Fatal(err)
	}
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Path
}

func (e *trackEnv) opens(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.site.App.DB.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM campaign_opens").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// fetchPixel loads path like a mail program (no cookie) and checks that the
// answer is always the same uncached 1×1 GIF, setting no cookie.
func fetchPixel(t *testing.T, site *testkit.Site, path string) {
	t.Helper()
	res, err := http.Get(site.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/gif" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%s: %d %q %q", path, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	if len(res.Cookies()) > 0 {
		t.Fatalf("%s sets cookies: %v", path, res.Cookies())
	}
	img, err := gif.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not a GIF: %v", path, err)
	}
	if r := img.Bounds(); r.Dx() != 1 || r.Dy() != 1 {
		t.Fatalf("%s: %v, want 1×1", path, r)
	}
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Fatalf("%s: the pixel is not transparent", path)
	}
}

// TestTrackingOff: by default no copy carries a pixel, /o/… still answers
// the GIF but records nothing, and the campaign page says nothing of opens.
func TestTrackingOff(t *testing.T) {
	e := trackSite(t, false)
	if strings.Contains(e.msg.HTML, "/o/") {
		t.Fatalf("the campaign carries a pixel with tracking off:\n%s", e.msg.HTML)
	}
	fetchPixel(t, e.site, e.pixelPath(t))
	fetchPixel(t, e.site, "/o/not-a-token.gif")
	if n := e.opens(t); n != 0 {
		t.Fatalf("%d opens recorded with tracking off", n)
	}
	r := e.ed.Get("/admin/campaigns/" + idStr(e.c.ID))
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "unsubscribes") {
		t.Fatalf("campaign page: %d %s", r.Status, errorText(r.Body))
	}
	if strings.Contains(r.Body, "Opened by") || strings.Contains(r.Body, trackHint) {
		t.Fatal("the campaign page speaks of opens with tracking off")
	}
}

// TestTrackingOn: with --mail-tracking the pixel's first load is recorded
// once, a forged token gets the same answer and records nothing, and the
// campaign page shows the opens with the caveat.
func TestTrackingOn(t *testing.T) {
	e := trackSite(t, true)
	path := e.pixelPath(t)
	// The copy carries the same pixel once sender.go calls withOpenPixel
	// (internal/mail/tracking_test.go checks the copies themselves).
	if strings.Contains(e.msg.HTML, "/o/") && !strings.Contains(e.msg.HTML, `<img src="`+e.site.URL+path+`" width="1" height="1" alt="">`) {
		t.Fatalf("the copy's pixel is not %s:\n%s", path, e.msg.HTML)
	}
	r := e.ed.Get("/admin/campaigns/" + idStr(e.c.ID))
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Opened by 0 (0%)") || !strings.Contains(r.Body, trackHint) {
		t.Fatalf("campaign page before any open: %d %s", r.Status, errorText(r.Body))
	}

	fetchPixel(t, e.site, path)
	fetchPixel(t, e.site, path)
	if n := e.opens(t); n != 1 {
		t.Fatalf("%d opens after two loads, want 1", n)
	}
	forged := path[:len(path)-len(".gif")-2] + "AA.gif"
	if forged == path {
		forged = path[:len(path)-len(".gif")-2] + "BB.gif"
	}
	for _, p := range []string{forged, "/o/not-a-token.gif", strings.TrimSuffix(path, ".gif"), "/o/" + strings.Repeat("x", 400) + ".gif"} {
		fetchPixel(t, e.site, p)
	}
	if n := e.opens(t); n != 1 {
		t.Fatalf("%d opens after forged tokens, want 1", n)
	}
	st, err := e.site.App.Mail.Stats(context.Background(), e.c.ID)
	if err != nil || st.Opens != 1 {
		t.Fatalf("stats: %+v %v", st, err)
	}
	r = e.ed.Get("/admin/campaigns/" + idStr(e.c.ID))
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Opened by 1 (100%)") || !strings.Contains(r.Body, trackHint) {
		t.Fatalf("campaign page: %d %s", r.Status, errorText(r.Body))
	}
}
