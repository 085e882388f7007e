package mail_test

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/mail"
	"coalition/internal/testkit"
)

var pixelRe = regexp.MustCompile(`<img src="` + regexp.QuoteMeta(campaignBase) + `/o/([^"]+)\.gif" width="1" height="1" alt="">`)

// trackSub is a subscriber as the sender sees it (id and token version).
func trackSub(t *testing.T, d *db.DB, id int64) mail.Subscriber {
	t.Helper()
	s := mail.Subscriber{ID: id}
	if err := d.R.QueryRowContext(context.Background(), "SELECT token_version FROM subscribers WHERE id = $1", id).Scan(&s.TokenVersion); err != nil {
		t.Fatal(err)
	}
	return s
}

func trackOpens(t *testing.T, d *db.DB, cid int64) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM campaign_opens WHERE campaign_id = $1", cid).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// trackSend sends a campaign to two confirmed subscribers and returns it,
// their ids and the messages received.
func trackSend(t *testing.T, e *campaignEnv) (mail.Campaign, []int64, []testkit.Mail) {
	t.Helper()
	ctx := context.Background()
	list := campList(t, e.d, "Monthly Newsletter", false)
	a := campSub(t, e.d, campRecipient{email: "ada@example.org", confirmed: true, lists: map[int64]string{list: mail.SubActive}})
	b := campSub(t, e.d, campRecipient{email: "bo@example.org", confirmed: true, lists: map[int64]string{list: mail.SubActive}})
	c, err := e.svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "Opens", Body: "Hello **all**.", ListIDs: []int64{list}, Archive: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if err := e.svc.Send(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	c = campWait(t, e.svc, c.ID, mail.CampaignSent, 30*time.Second)
	return c, []int64{a, b}, e.smtp.WaitFor(t, 2)
}

// TestTrackingOffByDefault: without --mail-tracking no copy carries a pixel,
// a pixel token (even a good one) records nothing and the figures have no
// opens.
func TestTrackingOffByDefault(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newCampaignEnv(t, d, mail.Options{}, nil)
		if e.svc.Tracking() {
			t.Fatal("tracking is on by default")
		}
		c, subs, msgs := trackSend(t, e)
		for _, m := range msgs {
			if m.HTML == "" || strings.Contains(m.HTML, "/o/") || strings.Contains(m.HTML, `width="1"`) {
				t.Fatalf("a copy carries a pixel with tracking off:\n%s", m.HTML)
			}
		}
		sub := trackSub(t, d, subs[0])
		if got := mail.WithOpenPixel(e.svc, ctx, c.ID, sub, "<html><body>x</body></html>"); got != "<html><body>x</body></html>" {
			t.Fatalf("pixel added with tracking off: %s", got)
		}
		u, err := e.svc.OpenURL(ctx, c.ID, sub)
		if err != nil {
			t.Fatal(err)
		}
		tok := strings.TrimSuffix(u[strings.LastIndex(u, "/")+1:], ".gif")
		if err := e.svc.RecordOpen(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if n := trackOpens(t, d, c.ID); n != 0 {
			t.Fatalf("%d opens recorded with tracking off", n)
		}
		if st, err := e.svc.Stats(ctx, c.ID); err != nil || st.Opens != 0 {
			t.Fatalf("stats: %+v %v", st, err)
		}
	})
}

// TestTrackingOpens: with tracking on each copy ends with its own signed
// pixel; loading it records the first open only; forged tokens, other
// purposes' tokens and people who were not sent the campaign record
// nothing; previews and the archive carry no pixel.
func TestTrackingOpens(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newCampaignEnv(t, d, mail.Options{Tracking: true}, nil)
		c, subs, msgs := trackSend(t, e)

		// The helper the sender calls on each copy.
		sub := trackSub(t, d, subs[0])
		got := mail.WithOpenPixel(e.svc, ctx, c.ID, sub, "<html><body><p>x</p></body></html>")
		m := pixelRe.FindStringSubmatch(got)
		if m == nil || !strings.HasSuffix(got, `alt=""></body></html>`) {
			t.Fatalf("no pixel before </body>: %s", got)
		}
		u, err := e.svc.OpenURL(ctx, c.ID, sub)
		if err != nil || u != campaignBase+"/o/"+m[1]+".gif" {
			t.Fatalf("open URL %q (%v), pixel token %q", u, err, m[1])
		}
		ownTok := m[1]

		// First open recorded, repeats change nothing.
		for range 2 {
			if err := e.svc.RecordOpen(ctx, ownTok); err != nil {
				t.Fatal(err)
			}
		}
		if n := trackOpens(t, d, c.ID); n != 1 {
			t.Fatalf("%d opens, want 1", n)
		}
		var first time.Time
		if err := d.R.QueryRowContext(ctx, "SELECT first_at FROM campaign_opens WHERE campaign_id = $1 AND subscriber_id = $2", c.ID, subs[0]).Scan(&first); err != nil {
			t.Fatal(err)
		}
		if first.IsZero() {
			t.Fatal("no time recorded")
		}

		// Forgeries and strangers record nothing.
		stranger := campSub(t, d, campRecipient{email: "stranger@example.org", confirmed: true})
		unsub, err := e.svc.UnsubscribeURL(ctx, trackSub(t, d, subs[1]), "c"+strconv.FormatInt(c.ID, 10))
		if err != nil {
			t.Fatal(err)
		}
		strangerURL, err := e.svc.OpenURL(ctx, c.ID, trackSub(t, d, stranger))
		if err != nil {
			t.Fatal(err)
		}
		otherCampaign, err := e.svc.OpenURL(ctx, c.ID+1000, trackSub(t, d, subs[1]))
		if err != nil {
			t.Fatal(err)
		}
		tokOf := func(u string) string { return strings.TrimSuffix(u[strings.LastIndex(u, "/")+1:], ".gif") }
		forged := ownTok[:len(ownTok)-2] + "AA"
		if forged == ownTok {
			forged = ownTok[:len(ownTok)-2] + "BB"
		}
		for name, tok := range map[string]string{
			"forged": forged, "garbage": "not-a-token", "unsubscribe token": tokOf(unsub),
			"not a recipient": tokOf(strangerURL), "another campaign": tokOf(otherCampaign),
		} {
			if err := e.svc.RecordOpen(ctx, tok); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("%s: %v, want not found", name, err)
			}
		}
		if n := trackOpens(t, d, c.ID); n != 1 {
			t.Fatalf("%d opens after forgeries, want 1", n)
		}
		st, err := e.svc.Stats(ctx, c.ID)
		if err != nil || st.Opens != 1 || st.Sent != 2 {
			t.Fatalf("stats: %+v %v", st, err)
		}

		// Previews and the public archive never carry the pixel.
		p, err := e.svc.Preview(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		archived, err := e.svc.GetCampaign(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for what, h := range map[string]string{"preview": p.HTML, "archive": archived.HTML} {
			if h == "" || strings.Contains(h, "/o/") {
				t.Errorf("%s carries a pixel (or is empty):\n%s", what, h)
			}
		}

		// The copies that went out: one pixel each, each its own .
		toks := map[string]bool{}
		for _, msg := range msgs {
			pm := pixelRe.FindAllStringSubmatch(msg.HTML, -1)
			if len(pm) != 1 || strings.Contains(msg.Text, "/o/") {
				t.Fatalf("want one pixel in the HTML part and none in the text:\n%s\n%s", msg.HTML, msg.Text)
			}
			toks[pm[0][1]] = true
		}
		if len(toks) != 2 || !toks[ownTok] {
			t.Fatalf("each copy should have its own pixel: %v (want %s among them)", toks, ownTok)
		}
	})
}
