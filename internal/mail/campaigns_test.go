package mail_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/mail"
	"coalition/internal/settings"
	"coalition/internal/testkit"
)

// campaignEnv is a mailing-list service on a test database, sending to a
// test SMTP server, with a clock the test moves.
type campaignEnv struct {
	d     *db.DB
	smtp  *testkit.SMTPServer
	clock *testkit.Clock
	svc   *mail.Service
}

const campaignBase = "https://coalition.example.org"

func campLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newCampaignEnv(t *testing.T, d *db.DB, o mail.Options, tr mail.Transport) *campaignEnv {
	t.Helper()
	e := &campaignEnv{d: d, smtp: testkit.NewSMTP(t), clock: testkit.NewClock(time.Now().UTC())}
	if tr == nil {
		tr = transport(t, e.smtp)
	}
	e.svc = campService(t, d, e.clock.Now, tr, o)
	return e
}

func campService(t *testing.T, d *db.DB, now func() time.Time, tr mail.Transport, o mail.Options) *mail.Service {
	t.Helper()
	st := settings.NewStore(d)
	if err := st.Save(context.Background(), settings.Settings{OrgName: "Test Coalition", PostalAddress: "1 Rue de Test\n1201 Geneva"}); err != nil {
		t.Fatal(err)
	}
	o.DB, o.Settings, o.Log, o.Now = d, st, campLog(), now
	o.Outbox = mail.NewOutbox(d, tr, campLog(), now)
	o.BaseURL, o.From, o.Transport = campaignBase, "news@example.org", tr
	if o.BounceAddr == "" {
		o.BounceAddr = "bounces@example.org"
	}
	return mail.New(o)
}

// run starts the sender until the test ends.
func (e *campaignEnv) run(t *testing.T) { campRun(t, e.svc) }

func campRun(t *testing.T, svc *mail.Service) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.RunSender(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func campExec(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.W.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// addList inserts a mailing list with plain SQL.
func campList(t *testing.T, d *db.DB, name string, membersOnly bool) int64 {
	t.Helper()
	var id int64
	sl := strings.ToLower(strings.ReplaceAll(name, " ", "-"))
	if err := d.W.QueryRowContext(context.Background(), `INSERT INTO mailing_lists (slug, name, members_only, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		sl, name, membersOnly, time.Now().UTC()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// sub describes a test subscriber.
type campRecipient struct {
	email      string
	confirmed  bool
	suppressed bool
	lists      map[int64]string // list id → pending, active, unsubscribed
}

func campSub(t *testing.T, d *db.DB, s campRecipient) int64 {
	t.Helper()
	now := time.Now().UTC()
	var conf, supp any
	if s.confirmed {
		conf = now
	}
	if s.suppressed {
		supp = now
	}
	var id int64
	if err := d.W.QueryRowContext(context.Background(), `INSERT INTO subscribers (email, created_at, confirmed_at, suppressed_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		s.email, now, conf, supp).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for l, st := range s.lists {
		campExec(t, d, `INSERT INTO subscriptions (subscriber_id, list_id, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`, id, l, st, now)
	}
	return id
}

// addUser inserts an account (for the members-only rule).
func campUser(t *testing.T, d *db.DB, email, role string, withOrg, disabled bool) {
	t.Helper()
	var org any
	if withOrg {
		var id int64
		if err := d.W.QueryRowContext(context.Background(), `INSERT INTO organisations (name, slug, created_at) VALUES ($1, $2, $3) RETURNING id`,
			"Org "+email, "org-"+strings.NewReplacer("@", "-", ".", "-").Replace(email), time.Now().UTC()).Scan(&id); err != nil {
			t.Fatal(err)
		}
		org = id
	}
	campExec(t, d, `INSERT INTO users (email, role, organisation_id, disabled, created_at) VALUES ($1, $2, $3, $4, $5)`,
		email, role, org, disabled, time.Now().UTC())
}

// waitStatus waits until the campaign reaches status.
func campWait(t *testing.T, svc *mail.Service, id int64, status string, timeout time.Duration) mail.Campaign {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, err := svc.GetCampaign(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status == status {
			return c
		}
		if time.Now().After(deadline) {
			st, _ := svc.Stats(context.Background(), id)
			t.Fatalf("campaign %d is %s, want %s (stats %+v)", id, c.Status, status, st)
		}
		svc.Kick()
		time.Sleep(20 * time.Millisecond)
	}
}

func campCount(msgs []testkit.Mail) map[string]int {
	n := map[string]int{}
	for _, m := range msgs {
		for _, to := range m.To {
			n[strings.ToLower(to)]++
		}
	}
	return n
}

type campArticles []mail.Article

func (f campArticles) Recent(_ context.Context, n int) ([]mail.Article, error) {
	return f[:min(n, len(f))], nil
}

func (f campArticles) Articles(_ context.Context, ids []int64) ([]mail.Article, error) {
	var out []mail.Article
	for _, id := range ids {
		for _, a := range f {
			if a.ID == id {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

func TestCampaignDrafts(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newCampaignEnv(t, d, mail.Options{}, nil)
		e.svc.SetArticles(campArticles{
			{ID: 7, Title: "Shelling of Mariupol's hospital", Summary: "What the record shows.", URL: campaignBase + "/news/mariupol"},
			{ID: 9, Title: "Protection of civilians report", Summary: "The annual report & its findings.", URL: campaignBase + "/news/poc-report"},
		})
		list := campList(t, d, "Monthly Newsletter", false)

		_, err := e.svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "  "}, 0)
		if ie, ok := errs.AsInvalid(err); !ok || ie.Field != "subject" {
			t.Fatalf("no subject: %v", err)
		}
		_, err = e.svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "Hi", ListIDs: []int64{list + 100}}, 0)
		if ie, ok := errs.AsInvalid(err); !ok || ie.Field != "lists" {
			t.Fatalf("unknown list: %v", err)
		}
		_, err = e.svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "Hi", ArticleIDs: []int64{8}}, 0)
		if ie, ok := errs.AsInvalid(err); !ok || ie.Field != "articles" {
			t.Fatalf("unknown article: %v", err)
		}

		c, err := e.svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "November update", Preheader: "Two stories",
			Body:       "Dear friends,\n\nSee [our report](/reports/2026) and ![map](/media/1/map.png).\n\n## Next steps\n\nMore soon.",
			ArticleIDs: []int64{9, 7}, ListIDs: []int64{list}, Archive: true}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != mail.CampaignDraft || len(c.ListIDs) != 1 || c.ListIDs[0] != list || fmt.Sprint(c.ArticleIDs) != "[9 7]" || !c.Archive {
			t.Fatalf("created %+v", c)
		}
		if err := e.svc.UpdateCampaign(ctx, c.ID, mail.CampaignInput{Subject: "November update!", Preheader: "Two stories", Body: c.Body,
			ArticleIDs: c.ArticleIDs, ListIDs: []int64{list}, Archive: true}); err != nil {
			t.Fatal(err)
		}
		cs, total, err := e.svc.Campaigns(ctx, mail.CampaignFilter{Status: mail.CampaignDraft})
		if err != nil || total != 1 || len(cs) != 1 || cs[0].Subject != "November update!" {
			t.Fatalf("list: %v %d %+v", err, total, cs)
		}
		c, _ = e.svc.GetCampaign(ctx, c.ID)

		r, err := e.svc.Preview(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"Test Coalition", "1201 Geneva", `href="` + campaignBase + `/reports/2026"`, `src="` + campaignBase + `/media/1/map.png"`,
			"In this issue", `href="#story-1"`, `id="story-2"`, `href="` + campaignBase + `/news/mariupol"`, "Read more",
			"The annual report &amp; its findings.", "You receive this because you subscribed to Monthly Newsletter.", "Two stories",
		} {
			if !strings.Contains(r.HTML, want) {
				t.Errorf("preview HTML lacks %q", want)
			}
		}
		// Body first, then the issue, articles in the picked order.
		if i, j, k := strings.Index(r.HTML, "Dear friends"), strings.Index(r.HTML, "In this issue"), strings.Index(r.HTML, "Protection of civilians report</a></h2>"); !(i < j && j < k) {
			t.Errorf("order: body %d, contents %d, first article %d", i, j, k)
		}
		for _, want := range []string{"our report (" + campaignBase + "/reports/2026)", "Read more: " + campaignBase + "/news/poc-report", "Unsubscribe: " + campaignBase + "/subscribe"} {
			if !strings.Contains(r.Text, want) {
				t.Errorf("preview text lacks %q:\n%s", want, r.Text)
			}
		}

		// Scheduling.
		if err := e.svc.Schedule(ctx, c.ID, e.clock.Now().Add(-time.Minute)); err == nil {
			t.Fatal("scheduled in the past")
		}
		if err := e.svc.Schedule(ctx, c.ID, e.clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if c, _ = e.svc.GetCampaign(ctx, c.ID); c.Status != mail.CampaignScheduled {
			t.Fatalf("status %s", c.Status)
		}
		if err := e.svc.Unschedule(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if c, _ = e.svc.GetCampaign(ctx, c.ID); c.Status != mail.CampaignDraft || !c.ScheduledAt.IsZero() {
			t.Fatalf("unscheduled: %+v", c)
		}
		noList, err := e.svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "Nowhere"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Send(ctx, noList.ID); err == nil {
			t.Fatal("sent a campaign with no list")
		}
		if err := e.svc.DeleteCampaign(ctx, noList.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.GetCampaign(ctx, noList.ID); err != errs.ErrNotFound {
			t.Fatalf("deleted campaign: %v", err)
		}

		// Test send goes through the outbox with the [Test] prefix.
		if err := e.svc.SendTest(ctx, c.ID, []string{"not an address"}); err == nil {
			t.Fatal("test to a bad address")
		}
		if err := e.svc.SendTest(ctx, c.ID, []string{"editor@example.org"}); err != nil {
			t.Fatal(err)
		}
		msgs, _, err := mail.NewOutbox(d, nil, campLog(), nil).List(ctx, 10, 0)
		if err != nil || len(msgs) != 1 || msgs[0].Subject != "[Test] November update!" || msgs[0].To != "editor@example.org" {
			t.Fatalf("test mail: %v %+v", err, msgs)
		}

		// Sending freezes the campaign: no more edits, no delete.
		if err := e.svc.Send(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Send(ctx, c.ID); err != nil {
			t.Fatalf("second Send: %v", err)
		}
		err = e.svc.UpdateCampaign(ctx, c.ID, mail.CampaignInput{Subject: "Changed", ListIDs: []int64{list}})
		if _, ok := errs.AsInvalid(err); !ok {
			t.Fatalf("edit while sending: %v", err)
		}
		if _, ok := errs.AsInvalid(e.svc.DeleteCampaign(ctx, c.ID)); !ok {
			t.Fatal("deleted a sending campaign")
		}
		c, _ = e.svc.GetCampaign(ctx, c.ID)
		if !strings.HasSuffix(c.Slug, "-november-update") || c.StartedAt.IsZero() {
			t.Fatalf("sending campaign: slug %q started %v", c.Slug, c.StartedAt)
		}
		if strings.Contains(c.HTML, "placeholder.invalid") || !strings.Contains(c.HTML, "/newsletters/"+c.Slug) {
			t.Fatal("web version keeps placeholders or lacks its address")
		}
		// A second campaign with the same subject the same day gets another slug.
		c2, err := e.svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "November update!", ListIDs: []int64{list}, Archive: true}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Send(ctx, c2.ID); err != nil {
			t.Fatal(err)
		}
		if c2, _ = e.svc.GetCampaign(ctx, c2.ID); c2.Slug == c.Slug || c2.Slug == "" {
			t.Fatalf("slugs %q and %q", c.Slug, c2.Slug)
		}
		if err := e.svc.Cancel(ctx, c2.ID); err != nil {
			t.Fatal(err)
		}
		if c2, _ = e.svc.GetCampaign(ctx, c2.ID); c2.Status != mail.CampaignCancelled {
			t.Fatalf("cancelled: %s", c2.Status)
		}
		if arts, err := e.svc.RecentArticles(ctx, 1); err != nil || len(arts) != 1 {
			t.Fatalf("recent articles: %v %v", arts, err)
		}
	})
}

var campUnsubRe = regexp.MustCompile(`<(https://[^>]+/unsubscribe/([^>]+))>, <mailto:bounces@example\.org\?subject=unsubscribe%20([^>]+)>`)

// TestCampaignReachesEachEligibleAddressOnce: confirmed, active,
// unsuppressed subscribers get one copy each (also when on two of the
// lists) with RFC 8058 headers and a visible unsubscribe link; unconfirmed,
// suppressed and unsubscribed addresses get nothing; members-only lists
// reach staff and members with an organisation only.
func TestCampaignReachesEachEligibleAddressOnce(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newCampaignEnv(t, d, mail.Options{}, nil)
		news := campList(t, d, "Monthly Newsletter", false)
		weekly := campList(t, d, "Weekly Round-up", false)
		members := campList(t, d, "Members Briefing", true)
		other := campList(t, d, "Crisis Alerts", false)
		campUser(t, d, "editor@example.org", "editor", false, false)
		campUser(t, d, "member@example.org", "member", true, false)
		campUser(t, d, "loner@example.org", "member", false, false)
		campUser(t, d, "gone@example.org", "admin", false, true)
		want := map[string]int{
			"one@example.org":     1,
			"both@example.org":    1,
			"editor@example.org":  1,
			"member@example.org":  1,
			"pending@example.org": 0, "unconfirmed@example.org": 0, "suppressed@example.org": 0, "left@example.org": 0,
			"stranger@example.org": 0, "loner@example.org": 0, "gone@example.org": 0, "elsewhere@example.org": 0,
		}
		campSub(t, d, campRecipient{email: "one@example.org", confirmed: true, lists: map[int64]string{news: mail.SubActive}})
		campSub(t, d, campRecipient{email: "both@example.org", confirmed: true, lists: map[int64]string{news: mail.SubActive, weekly: mail.SubActive}})
		campSub(t, d, campRecipient{email: "editor@example.org", confirmed: true, lists: map[int64]string{members: mail.SubActive}})
		campSub(t, d, campRecipient{email: "member@example.org", confirmed: true, lists: map[int64]string{members: mail.SubActive}})
		campSub(t, d, campRecipient{email: "pending@example.org", confirmed: true, lists: map[int64]string{news: mail.SubPending}})
		campSub(t, d, campRecipient{email: "unconfirmed@example.org", confirmed: false, lists: map[int64]string{news: mail.SubActive}})
		campSub(t, d, campRecipient{email: "suppressed@example.org", confirmed: true, suppressed: true, lists: map[int64]string{news: mail.SubActive}})
		campSub(t, d, campRecipient{email: "left@example.org", confirmed: true, lists: map[int64]string{news: mail.SubUnsubscribed, weekly: mail.SubUnsubscribed}})
		campSub(t, d, campRecipient{email: "stranger@example.org", confirmed: true, lists: map[int64]string{members: mail.SubActive}})
		campSub(t, d, campRecipient{email: "loner@example.org", confirmed: true, lists: map[int64]string{members: mail.SubActive}})
		campSub(t, d, campRecipient{email: "gone@example.org", confirmed: true, lists: map[int64]string{members: mail.SubActive}})
		campSub(t, d, campRecipient{email: "elsewhere@example.org", confirmed: true, lists: map[int64]string{other: mail.SubActive}})

		c, err := e.svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "Our news", Body: "Hello **all**.", ListIDs: []int64{news, weekly, members}, Archive: true}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Send(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		e.run(t)
		c = campWait(t, e.svc, c.ID, mail.CampaignSent, 20*time.Second)
		got := campCount(e.smtp.Messages())
		for addr, n := range want {
			if got[addr] != n {
				t.Errorf("%s received %d copies, want %d", addr, got[addr], n)
			}
		}
		if len(got) != 4 {
			t.Errorf("mail went to %v", got)
		}
		for _, m := range e.smtp.Messages() {
			lu := m.Header("List-Unsubscribe")
			mm := campUnsubRe.FindStringSubmatch(lu)
			if mm == nil || mm[2] != mm[3] {
				t.Fatalf("List-Unsubscribe %q", lu)
			}
			if m.Header("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || m.Header("List-Id") == "" || m.Header("Precedence") != "bulk" {
				t.Errorf("bulk headers: %v", m.Msg.Header)
			}
			sid, _, scope, err := e.svc.Verify(ctx, mail.PurposeUnsub, mm[2])
			if err != nil || scope != fmt.Sprintf("c%d", c.ID) {
				t.Fatalf("unsubscribe token: %v %q", err, scope)
			}
			if wantID := fmt.Sprintf("<c%d.s%d@example.org>", c.ID, sid); m.Header("Message-Id") != wantID {
				t.Errorf("Message-ID %q, want %q", m.Header("Message-Id"), wantID)
			}
			if !strings.Contains(m.HTML, `href="`+mm[1]+`"`) || !strings.Contains(m.Text, "Unsubscribe: "+mm[1]) {
				t.Errorf("no visible unsubscribe link to %s in the body", mm[1])
			}
			if !strings.Contains(m.HTML, "/subscribe/manage/") || strings.Contains(string(m.Raw), "placeholder.invalid") {
				t.Error("preference link missing or placeholder left")
			}
			if !strings.Contains(m.HTML, "<strong>all</strong>") || m.Header("Subject") != "Our news" {
				t.Errorf("content: %s", m.HTML)
			}
		}
		st, err := e.svc.Stats(ctx, c.ID)
		if err != nil || st.Total != 4 || st.Sent != 4 || st.Failed != 0 || st.Remaining != 0 || st.Status != mail.CampaignSent {
			t.Fatalf("stats %+v %v", st, err)
		}
		arch, total, err := e.svc.Archived(ctx, 10, 0)
		if err != nil || total != 1 || arch[0].ID != c.ID {
			t.Fatalf("archive %v %d %v", arch, total, err)
		}
		if a, err := e.svc.ArchivedBySlug(ctx, c.Slug); err != nil || !strings.Contains(a.HTML, "<strong>all</strong>") {
			t.Fatalf("archived by slug: %v", err)
		}
		// Sending again changes nothing.
		if err := e.svc.Send(ctx, c.ID); err == nil {
			t.Fatal("a sent campaign was sent again")
		}
	})
}

// TestScheduledCampaignStartsWhenDue: the sender starts a scheduled campaign
// once its time comes, and only once with two instances.
func TestScheduledCampaignStartsWhenDue(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newCampaignEnv(t, d, mail.Options{SenderID: "one"}, nil)
		second := campService(t, d, e.clock.Now, transport(t, e.smtp), mail.Options{SenderID: "two"})
		list := campList(t, d, "Weekly Round-up", false)
		for i := range 20 {
			campSub(t, d, campRecipient{email: fmt.Sprintf("s%d@example.org", i), confirmed: true, lists: map[int64]string{list: mail.SubActive}})
		}
		c, err := e.svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "Later", Body: "Hi", ListIDs: []int64{list}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Schedule(ctx, c.ID, e.clock.Now().Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		e.run(t)
		campRun(t, second)
		time.Sleep(1500 * time.Millisecond) // a sender tick: not due yet
		if c, _ := e.svc.GetCampaign(ctx, c.ID); c.Status != mail.CampaignScheduled || len(e.smtp.Messages()) != 0 {
			t.Fatalf("started early: %s, %d messages", c.Status, len(e.smtp.Messages()))
		}
		e.clock.Advance(3 * time.Hour)
		e.svc.Kick()
		second.Kick()
		campWait(t, e.svc, c.ID, mail.CampaignSent, 20*time.Second)
		got := campCount(e.smtp.Messages())
		if len(got) != 20 {
			t.Fatalf("%d addresses reached", len(got))
		}
		for a, n := range got {
			if n != 1 {
				t.Errorf("%s got %d copies", a, n)
			}
		}
	})
}
