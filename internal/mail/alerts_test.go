package mail_test

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"coalition/internal/db"
	"coalition/internal/mail"
	"coalition/internal/places"
	"coalition/internal/testkit"
)

// follower adds a confirmed subscriber following tags (through the
// preference centre, as a subscriber would).
func (f *subFixture) follower(t *testing.T, email, freq string, tags ...int64) mail.Subscriber {
	t.Helper()
	ctx := context.Background()
	sub, err := f.svc.Add(ctx, mail.AddInput{Email: email, Status: "confirmed"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SavePreferences(ctx, prefsToken(t, f.svc, sub), mail.PreferencesInput{Follows: tags, Frequency: freq}); err != nil {
		t.Fatal(err)
	}
	return sub
}

func (f *subFixture) tag(t *testing.T, kind places.Kind, slugOrCode string) places.Tag {
	t.Helper()
	tg, err := f.places.Get(context.Background(), kind, slugOrCode)
	if err != nil {
		t.Fatalf("tag %s %s: %v", kind, slugOrCode, err)
	}
	return tg
}

func heldAlerts(t *testing.T, f *subFixture) map[string][]mail.OutboxMessage {
	t.Helper()
	all, _, err := f.out.List(context.Background(), 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]mail.OutboxMessage{}
	for _, m := range all {
		if m.Kind == "alert" || m.Kind == "alert-digest" {
			out[m.To] = append(out[m.To], m)
		}
	}
	return out
}

func TestNotifyMatchesRegionsAndGroupings(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newSubFixture(t, d, false, time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
		syr := f.tag(t, places.KindCountry, "syr")
		fra := f.tag(t, places.KindCountry, "fra")
		sub, err := f.places.ByID(ctx, syr.ParentID)
		if err != nil || sub.Kind != places.KindSubregion {
			t.Fatalf("Syria's sub-region: %+v %v", sub, err)
		}
		region, err := f.places.ByID(ctx, sub.ParentID)
		if err != nil || region.Kind != places.KindRegion {
			t.Fatalf("Syria's region: %+v %v", region, err)
		}
		grouping, err := f.places.Create(ctx, places.KindGrouping, "Middle East and North Africa", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.places.SetGroupingCountries(ctx, grouping.ID, []string{"SYR", "LBN"}); err != nil {
			t.Fatal(err)
		}
		water, err := f.places.Create(ctx, places.KindTheme, "Water", "")
		if err != nil {
			t.Fatal(err)
		}

		f.follower(t, "country@example.org", "", syr.ID)
		f.follower(t, "region@example.org", "", region.ID)
		f.follower(t, "subregion@example.org", "", sub.ID)
		f.follower(t, "grouping@example.org", "", grouping.ID)
		f.follower(t, "both@example.org", "", syr.ID, region.ID, water.ID) // one alert, not three
		f.follower(t, "france@example.org", "", fra.ID)
		bounced := f.follower(t, "bounced@example.org", "", syr.ID)
		if err := f.svc.AdminUpdate(ctx, bounced.ID, "suppress"); err != nil {
			t.Fatal(err)
		}
		// Unconfirmed: subscribed by the form, never followed the link.
		if err := f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "unconfirmed@example.org", Follows: []int64{syr.ID}}); err != nil {
			t.Fatal(err)
		}
		// Confirmed, but the form added Syria for them (someone else may
		// have typed the address): that follow waits for its link.
		f.follower(t, "typed@example.org", "", fra.ID)
		if err := f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "typed@example.org", Follows: []int64{syr.ID}}); err != nil {
			t.Fatal(err)
		}

		item := mail.AlertItem{Type: "article", ID: 7, Title: "Aid convoy reaches Idlib", URL: testBase + "/news/aid-convoy",
			Summary: "The first convoy in months.", TagIDs: []int64{syr.ID}}
		if err := f.svc.Notify(ctx, item); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Notify(ctx, item); err != nil { // idempotent
			t.Fatal(err)
		}
		n, err := f.svc.SendDueAlerts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := heldAlerts(t, f)
		var to []string
		for addr, ms := range got {
			to = append(to, addr)
			if len(ms) != 1 {
				t.Errorf("%s got %d alerts", addr, len(ms))
			}
		}
		sort.Strings(to)
		want := "both@example.org country@example.org grouping@example.org region@example.org subregion@example.org"
		if strings.Join(to, " ") != want || n != 5 {
			t.Fatalf("alerted %v (n=%d), want %s", to, n, want)
		}
		m := got["country@example.org"][0]
		if m.Subject != item.Title || !strings.Contains(m.Text, item.URL) || !strings.Contains(m.Text, "because you follow Syria") {
			t.Fatalf("alert: subject %q\n%s", m.Subject, m.Text)
		}
		var hdr string // Outbox.List leaves headers out; they are stored as JSON
		if err := d.R.QueryRowContext(ctx, "SELECT headers FROM outbox WHERE id = $1", m.ID).Scan(&hdr); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(hdr, testBase+"/unsubscribe/") || !strings.Contains(hdr, `"List-Unsubscribe-Post":"List-Unsubscribe=One-Click"`) {
			t.Fatalf("alert headers %s", hdr)
		}
		// The unsubscribe link in the footer stops alerts.
		unsub := token(t, m.Text, "/unsubscribe/")
		if _, err := f.svc.OneClick(ctx, unsub); err != nil {
			t.Fatal(err)
		}

		// Publishing the same item again sends nothing; a new one goes to
		// those still following.
		if err := f.svc.Notify(ctx, item); err != nil {
			t.Fatal(err)
		}
		if n, err := f.svc.SendDueAlerts(ctx); err != nil || n != 0 {
			t.Fatalf("second pass: %d %v", n, err)
		}
		if err := f.svc.Notify(ctx, mail.AlertItem{Type: "document", ID: 7, Title: "Lebanon report", URL: testBase + "/library/7",
			TagIDs: []int64{f.tag(t, places.KindCountry, "lbn").ID}}); err != nil {
			t.Fatal(err)
		}
		if n, err := f.svc.SendDueAlerts(ctx); err != nil || n != 4 {
			t.Fatalf("Lebanon: %d alerts (%v), want region, sub-region, grouping, both", n, err)
		}
		if len(heldAlerts(t, f)["country@example.org"]) != 1 {
			t.Fatal("alert after one-click unsubscribe from alerts")
		}
	})
}

func TestAlertsInstantAndDailyDigest(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newSubFixture(t, d, true, time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
		syr := f.tag(t, places.KindCountry, "syr")
		f.follower(t, "now@example.org", mail.FrequencyInstant, syr.ID)
		f.follower(t, "daily@example.org", mail.FrequencyDaily, syr.ID)
		notify := func(id int64, title string) {
			t.Helper()
			if err := f.svc.Notify(ctx, mail.AlertItem{Type: "crisis-update", ID: id, Title: title, URL: testBase + "/crises/syria#u" + strconv.FormatInt(id, 10),
				TagIDs: []int64{syr.ID}, PublishedAt: f.clock.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		pass := func(want int) {
			t.Helper()
			n, err := f.svc.SendDueAlerts(ctx)
			if err != nil || n != want {
				t.Fatalf("at %s: %d mails (%v), want %d", f.clock.Now().Format(time.RFC3339), n, err, want)
			}
		}
		advanceTo := func(at time.Time) { f.clock.Advance(at.Sub(f.clock.Now())) }

		notify(1, "Flooding in the north-west")
		pass(1) // the instant subscriber only
		m := f.smtp.WaitFor(t, 1)[0]
		if m.To[0] != "now@example.org" || m.Header("Subject") != "Flooding in the north-west" {
			t.Fatalf("instant alert to %v: %q", m.To, m.Header("Subject"))
		}
		if lu := m.Header("List-Unsubscribe"); !strings.Contains(lu, "<"+testBase+"/unsubscribe/") || !strings.Contains(lu, "mailto:bounces@coalition.example") {
			t.Fatalf("List-Unsubscribe %q", lu)
		}
		if m.Header("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.Contains(m.Header("List-Id"), "alerts.") {
			t.Fatalf("bulk headers: %v", m.Msg.Header)
		}
		if !strings.Contains(m.Text, "Manage your subscription: "+testBase+"/subscribe/manage/") {
			t.Fatalf("alert footer:\n%s", m.Text)
		}

		f.clock.Advance(5 * time.Hour)
		notify(2, "Schools reopen in Aleppo")
		pass(1)
		advanceTo(time.Date(2026, 3, 11, 6, 59, 0, 0, time.UTC))
		pass(0)
		advanceTo(time.Date(2026, 3, 11, 7, 0, 30, 0, time.UTC))
		pass(1) // the digest
		pass(0)
		msgs := f.smtp.WaitFor(t, 3)
		dg := f.smtp.To("daily@example.org")
		if len(dg) != 1 || len(msgs) != 3 {
			t.Fatalf("digests: %d of %d messages", len(dg), len(msgs))
		}
		if s := dg[0].Header("Subject"); s != "Your daily alerts: 2 new items" {
			t.Fatalf("digest subject %q", s)
		}
		if !strings.Contains(dg[0].Text, "Flooding in the north-west") || !strings.Contains(dg[0].Text, "Schools reopen in Aleppo") ||
			dg[0].Header("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Fatalf("digest:\n%s", dg[0].Text)
		}

		// An item after today's digest waits for tomorrow's.
		f.clock.Advance(10 * time.Minute)
		notify(3, "Border crossing open")
		pass(1)
		advanceTo(time.Date(2026, 3, 11, 23, 0, 0, 0, time.UTC))
		pass(0)
		advanceTo(time.Date(2026, 3, 12, 7, 1, 0, 0, time.UTC))
		pass(1)
		f.smtp.WaitFor(t, 5)
		dg = f.smtp.To("daily@example.org")
		if len(dg) != 2 || dg[1].Header("Subject") != "Your daily alerts: Border crossing open" {
			t.Fatalf("second digest: %d, %q", len(dg), dg[len(dg)-1].Header("Subject"))
		}
		// Days without items send nothing, and the next item still waits for 07:00.
		advanceTo(time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC))
		pass(0)
		notify(4, "Late news")
		pass(1) // instant
		advanceTo(time.Date(2026, 3, 15, 18, 0, 0, 0, time.UTC))
		pass(0)
		advanceTo(time.Date(2026, 3, 16, 7, 0, 0, 0, time.UTC))
		pass(1)
	})
}
