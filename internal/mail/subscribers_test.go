package mail_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/mail"
	"coalition/internal/places"
	"coalition/internal/settings"
	"coalition/internal/testkit"
)

// subFixture is a mailing-list service over a fresh database, with a clock
// the test moves and an outbox that holds mail (or sends it to a test SMTP
// server).
type subFixture struct {
	d      *db.DB
	svc    *mail.Service
	out    *mail.Outbox
	clock  *testkit.Clock
	places *places.Service
	smtp   *testkit.SMTPServer
}

const testBase = "https://coalition.example"

func newSubFixture(t *testing.T, d *db.DB, withSMTP bool, start time.Time) *subFixture {
	t.Helper()
	ctx := context.Background()
	f := &subFixture{d: d, clock: testkit.NewClock(start)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var tr mail.Transport
	if withSMTP {
		f.smtp = testkit.NewSMTP(t)
		tr = transport(t, f.smtp)
	}
	f.out = mail.NewOutbox(d, tr, log, f.clock.Now)
	p, err := places.New(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	f.places = p
	f.svc = mail.New(mail.Options{DB: d, Outbox: f.out, Settings: settings.NewStore(d), Places: p, Log: log,
		Now: f.clock.Now, BaseURL: testBase, From: "news@coalition.example", BounceAddr: "bounces@coalition.example"})
	if withSMTP {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { f.out.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	return f
}

func (f *subFixture) list(t *testing.T, name string, membersOnly bool) mail.List {
	t.Helper()
	l, err := f.svc.CreateList(context.Background(), mail.ListInput{Name: name, MembersOnly: membersOnly})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// held returns the held outbox messages to an address, oldest first.
func (f *subFixture) held(t *testing.T, to string) []mail.OutboxMessage {
	t.Helper()
	all, _, err := f.out.List(context.Background(), 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []mail.OutboxMessage
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].To == to {
			out = append(out, all[i])
		}
	}
	return out
}

var linkRE = regexp.MustCompile(`https://coalition\.example(/[a-z/]+/)([A-Za-z0-9._~-]+)`)

// token returns the token of the first link under path in a text.
func token(t *testing.T, text, path string) string {
	t.Helper()
	for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
		if m[1] == path {
			return m[2]
		}
	}
	t.Fatalf("no %s link in:\n%s", path, text)
	return ""
}

// confirmToken is the confirmation token of the latest held confirmation to addr.
func (f *subFixture) confirmToken(t *testing.T, addr string) string {
	t.Helper()
	ms := f.held(t, addr)
	if len(ms) == 0 {
		t.Fatalf("no mail held for %s", addr)
	}
	return token(t, ms[len(ms)-1].Text, "/subscribe/confirm/")
}

func (f *subFixture) subscriptions(t *testing.T, id int64) map[string]string {
	t.Helper()
	d, err := f.svc.SubscriberByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range d.Subscriptions {
		out[s.List.Name] = s.Status
	}
	return out
}

func (f *subFixture) byEmail(t *testing.T, email string) mail.Subscriber {
	t.Helper()
	rows, _, err := f.svc.Subscribers(context.Background(), mail.SubscriberFilter{Q: email})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Email == email {
			return r.Subscriber
		}
	}
	t.Fatalf("no subscriber %s", email)
	return mail.Subscriber{}
}

func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	ie, ok := errs.AsInvalid(err)
	if !ok || ie.Field != field {
		t.Fatalf("want errs.Invalid(%q, …), got %v", field, err)
	}
}

func TestSubscribeDoubleOptIn(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newSubFixture(t, d, true, time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
		news := f.list(t, "Monthly Newsletter", false)
		members := f.list(t, "Members Briefing", true)
		const consent = "Yes, send me the Monthly Newsletter. I can leave at any time."

		// Refusals.
		wantInvalid(t, f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "ann@example.org\r\nBcc: x@example.org", ListIDs: []int64{news.ID}}), "email")
		wantInvalid(t, f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "not an address", ListIDs: []int64{news.ID}}), "email")
		wantInvalid(t, f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "ann@example.org"}), "lists")
		wantInvalid(t, f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "ann@example.org", ListIDs: []int64{news.ID + 1000}}), "lists")
		wantInvalid(t, f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "ann@example.org", ListIDs: []int64{members.ID}}), "lists")
		wantInvalid(t, f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "ann@example.org", Name: strings.Repeat("n", 201), ListIDs: []int64{news.ID}}), "name")
		if offered, err := f.svc.OfferedLists(ctx, false); err != nil || len(offered) != 1 || offered[0].ID != news.ID {
			t.Fatalf("offered to visitors: %+v %v", offered, err)
		}

		if err := f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "  Ann@Example.ORG ", Name: "Ann", ListIDs: []int64{news.ID},
			Source: "/subscribe", ConsentText: consent}); err != nil {
			t.Fatal(err)
		}
		// Nothing is active before the link is followed.
		ls, err := f.svc.GetList(ctx, news.ID)
		if err != nil || ls.Active != 0 || ls.Pending != 1 {
			t.Fatalf("before confirmation: %+v %v", ls, err)
		}
		ann := f.byEmail(t, "ann@example.org")
		if ann.Confirmed() {
			t.Fatal("confirmed before the link was followed")
		}
		// The same answer again within 5 minutes, and no second mail.
		if err := f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "ann@example.org", ListIDs: []int64{news.ID}, Source: "/", ConsentText: consent}); err != nil {
			t.Fatal(err)
		}
		m := f.smtp.WaitFor(t, 1)[0]
		if m.To[0] != "ann@example.org" || !strings.Contains(m.Header("Subject"), "confirm") {
			t.Fatalf("confirmation mail: to %v subject %q", m.To, m.Header("Subject"))
		}
		if m.Header("List-Unsubscribe") != "" {
			t.Error("a confirmation is not a bulk message")
		}
		tok := token(t, m.Text, "/subscribe/confirm/")

		// A forged or altered link finds nothing.
		if _, err := f.svc.Confirm(ctx, tok[:len(tok)-2]+"xx"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("altered token: %v", err)
		}
		sub, err := f.svc.Confirm(ctx, tok)
		if err != nil || !sub.Confirmed() || sub.Email != "ann@example.org" {
			t.Fatalf("confirm: %+v %v", sub, err)
		}
		if _, err := f.svc.Confirm(ctx, tok); err != nil {
			t.Fatalf("confirming twice: %v", err)
		}
		if ls, _ := f.svc.GetList(ctx, news.ID); ls.Active != 1 || ls.Pending != 0 {
			t.Fatalf("after confirmation: %+v", ls)
		}

		// The consent record: exact text, where, when, which lists.
		det, err := f.svc.SubscriberByID(ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, c := range det.Consents {
			actions = append(actions, c.Action)
		}
		if strings.Join(actions, ",") != "subscribe,subscribe,confirm" {
			t.Fatalf("consent actions %v", actions)
		}
		c0 := det.Consents[0]
		if c0.ConsentText != consent || c0.Source != "/subscribe" || c0.Lists != "Monthly Newsletter" || !c0.At.Equal(f.clock.Now()) {
			t.Fatalf("consent record %+v", c0)
		}
		if det.Consents[2].Lists != "Monthly Newsletter" {
			t.Errorf("confirm record lists %q", det.Consents[2].Lists)
		}

		// Leaving and coming back needs a new confirmation.
		unsub, err := f.svc.UnsubscribeURL(ctx, sub, "all")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.OneClick(ctx, unsub[strings.LastIndexByte(unsub, '/')+1:]); err != nil {
			t.Fatal(err)
		}
		if got := f.subscriptions(t, sub.ID)["Monthly Newsletter"]; got != mail.SubUnsubscribed {
			t.Fatalf("after one-click: %s", got)
		}
		f.clock.Advance(6 * time.Minute)
		if err := f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "ann@example.org", ListIDs: []int64{news.ID}, Source: "/subscribe", ConsentText: consent}); err != nil {
			t.Fatal(err)
		}
		if got := f.subscriptions(t, sub.ID)["Monthly Newsletter"]; got != mail.SubPending {
			t.Fatalf("re-subscribed without confirmation: %s", got)
		}
		m2 := f.smtp.WaitFor(t, 2)[1]
		if _, err := f.svc.Confirm(ctx, token(t, m2.Text, "/subscribe/confirm/")); err != nil {
			t.Fatal(err)
		}
		if got := f.subscriptions(t, sub.ID)["Monthly Newsletter"]; got != mail.SubActive {
			t.Fatalf("after the new confirmation: %s", got)
		}

		// Someone typing a confirmed address for another list: pending until
		// the owner follows the new link.
		weekly := f.list(t, "Weekly Round-up", false)
		f.clock.Advance(6 * time.Minute)
		if err := f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "ann@example.org", Name: "Mallory", ListIDs: []int64{weekly.ID}, Frequency: "daily"}); err != nil {
			t.Fatal(err)
		}
		got := f.subscriptions(t, sub.ID)
		if got["Weekly Round-up"] != mail.SubPending || got["Monthly Newsletter"] != mail.SubActive {
			t.Fatalf("confirmed subscriber adding a list: %v", got)
		}
		if s2, _ := f.svc.SubscriberByID(ctx, sub.ID); s2.Subscriber.Name != "Ann" {
			t.Errorf("a form changed a confirmed subscriber's name to %q", s2.Subscriber.Name)
		}
		f.smtp.WaitFor(t, 3)

		// An expired link is refused with a message.
		if err := f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "bob@example.org", ListIDs: []int64{news.ID}}); err != nil {
			t.Fatal(err)
		}
		bobTok := token(t, f.smtp.WaitFor(t, 4)[3].Text, "/subscribe/confirm/")
		f.clock.Advance(8 * 24 * time.Hour)
		_, err = f.svc.Confirm(ctx, bobTok)
		wantInvalid(t, err, "token")
		if f.byEmail(t, "bob@example.org").Confirmed() {
			t.Fatal("expired link confirmed")
		}

		// Members-only lists for members.
		if err := f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "member@example.org", ListIDs: []int64{members.ID}, Member: true}); err != nil {
			t.Fatalf("member subscribing to a members-only list: %v", err)
		}
		// A suppressed address is recorded but gets no mail.
		carl, err := f.svc.Add(ctx, mail.AddInput{Email: "carl@example.org", ListIDs: []int64{news.ID}, Status: "confirmed"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.AdminUpdate(ctx, carl.ID, "suppress"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "carl@example.org", ListIDs: []int64{weekly.ID}}); err != nil {
			t.Fatal(err)
		}
		if got := f.subscriptions(t, carl.ID)["Weekly Round-up"]; got != mail.SubPending {
			t.Fatalf("suppressed address's subscription: %q", got)
		}
		f.smtp.WaitFor(t, 5) // the member's confirmation
		time.Sleep(300 * time.Millisecond)
		for _, m := range f.smtp.Messages() {
			if m.To[0] == "carl@example.org" {
				t.Fatal("mail sent to a suppressed address")
			}
		}
		if rows, n, err := f.svc.Subscribers(ctx, mail.SubscriberFilter{Status: mail.FilterSuppressed}); err != nil || n != 1 || rows[0].Email != "carl@example.org" {
			t.Fatalf("suppressed filter: %v %d %v", rows, n, err)
		}
		if recs, err := f.svc.PersonRecords(ctx, "Carl@example.org"); err != nil || len(recs) != 1 ||
			!strings.Contains(recs[0].Summary, "Monthly Newsletter (active)") || !strings.Contains(recs[0].Summary, "suppressed") {
			t.Fatalf("person records: %+v %v", recs, err)
		}
	})
}

func TestListsCRUD(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newSubFixture(t, d, false, time.Now())
		l := f.list(t, "Crisis Alerts", false)
		if l.Slug != "crisis-alerts" {
			t.Fatalf("slug %q", l.Slug)
		}
		_, err := f.svc.CreateList(ctx, mail.ListInput{Name: "Other", Slug: "crisis-alerts"})
		wantInvalid(t, err, "slug")
		_, err = f.svc.CreateList(ctx, mail.ListInput{Name: "  "})
		wantInvalid(t, err, "name")
		if err := f.svc.UpdateList(ctx, l.ID, mail.ListInput{Name: "Crisis alerts", Slug: "alerts", MembersOnly: true, Position: 3}); err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.GetList(ctx, l.ID)
		if err != nil || got.Slug != "alerts" || !got.MembersOnly || got.Position != 3 {
			t.Fatalf("updated: %+v %v", got, err)
		}
		if _, err := f.svc.Add(ctx, mail.AddInput{Email: "a@example.org", ListIDs: []int64{l.ID}, Status: "confirmed"}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteList(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.GetList(ctx, l.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("deleted list: %v", err)
		}
		if err := f.svc.UpdateList(ctx, l.ID, mail.ListInput{Name: "x"}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("update of a deleted list: %v", err)
		}
	})
}

// prefsToken is the token of a subscriber's preference centre link.
func prefsToken(t *testing.T, svc *mail.Service, sub mail.Subscriber) string {
	t.Helper()
	u, err := svc.PreferencesURL(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	return u[strings.LastIndexByte(u, '/')+1:]
}

func unsubToken(t *testing.T, svc *mail.Service, sub mail.Subscriber, scope string) string {
	t.Helper()
	u, err := svc.UnsubscribeURL(context.Background(), sub, scope)
	if err != nil {
		t.Fatal(err)
	}
	return u[strings.LastIndexByte(u, '/')+1:]
}

func TestPreferenceCentre(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newSubFixture(t, d, false, time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
		news := f.list(t, "Monthly Newsletter", false)
		weekly := f.list(t, "Weekly Round-up", false)
		members := f.list(t, "Members Briefing", true)
		syr, err := f.places.Get(ctx, places.KindCountry, "syr")
		if err != nil {
			t.Fatal(err)
		}
		ann, err := f.svc.Add(ctx, mail.AddInput{Email: "ann@example.org", Name: "Ann", ListIDs: []int64{news.ID}, Status: "confirmed"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Add(ctx, mail.AddInput{Email: "taken@example.org", ListIDs: []int64{news.ID}, Status: "confirmed"}); err != nil {
			t.Fatal(err)
		}
		tok := prefsToken(t, f.svc, ann)

		p, err := f.svc.Preferences(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		shown := map[string]string{}
		for _, s := range p.Lists {
			shown[s.List.Name] = s.Status
		}
		if len(shown) != 2 || shown["Monthly Newsletter"] != mail.SubActive || shown["Weekly Round-up"] != "" {
			t.Fatalf("preference centre lists %v (members-only lists are for members and their subscribers)", shown)
		}
		if _, err := f.svc.Preferences(ctx, tok+"x"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("bad token: %v", err)
		}

		// Refusals keep everything as it was.
		_, err = f.svc.SavePreferences(ctx, tok, mail.PreferencesInput{ListIDs: []int64{members.ID}})
		wantInvalid(t, err, "lists")
		_, err = f.svc.SavePreferences(ctx, tok, mail.PreferencesInput{ListIDs: []int64{news.ID}, Frequency: "hourly"})
		wantInvalid(t, err, "frequency")
		_, err = f.svc.SavePreferences(ctx, tok, mail.PreferencesInput{ListIDs: []int64{news.ID}, Email: "Taken@example.org"})
		wantInvalid(t, err, "email")
		_, err = f.svc.SavePreferences(ctx, tok, mail.PreferencesInput{Follows: []int64{-5}})
		wantInvalid(t, err, "follows")

		// Swap lists, follow a country, daily digest, new name.
		pending, err := f.svc.SavePreferences(ctx, tok, mail.PreferencesInput{Name: "Ann B", ListIDs: []int64{weekly.ID},
			Follows: []int64{syr.ID}, Frequency: mail.FrequencyDaily, Email: "ann@example.org"})
		if err != nil || pending {
			t.Fatalf("save: %v pending=%v", err, pending)
		}
		got := f.subscriptions(t, ann.ID)
		if got["Monthly Newsletter"] != mail.SubUnsubscribed || got["Weekly Round-up"] != mail.SubActive {
			t.Fatalf("after saving: %v", got)
		}
		p, err = f.svc.Preferences(ctx, tok)
		if err != nil || p.Subscriber.Name != "Ann B" || p.Subscriber.Frequency != mail.FrequencyDaily || len(p.Follows) != 1 || p.Follows[0] != syr.ID {
			t.Fatalf("after saving: %+v %v", p, err)
		}
		// A member may keep a members-only list.
		if _, err := f.svc.SavePreferences(ctx, tok, mail.PreferencesInput{Name: "Ann B", ListIDs: []int64{weekly.ID, members.ID},
			Follows: []int64{syr.ID}, Frequency: mail.FrequencyDaily, Member: true}); err != nil {
			t.Fatal(err)
		}
		if got := f.subscriptions(t, ann.ID)["Members Briefing"]; got != mail.SubActive {
			t.Fatalf("member's members-only list: %q", got)
		}
		det, _ := f.svc.SubscriberByID(ctx, ann.ID)
		last := det.Consents[len(det.Consents)-1]
		if last.Action != "preferences" || last.Lists != "Members Briefing, Weekly Round-up; alerts: Syria" {
			t.Fatalf("preferences consent %+v", last)
		}

		// An address change waits for the new address's link.
		pending, err = f.svc.SavePreferences(ctx, tok, mail.PreferencesInput{Name: "Ann B", ListIDs: []int64{weekly.ID, members.ID},
			Follows: []int64{syr.ID}, Frequency: mail.FrequencyDaily, Email: "Ann.New@example.org"})
		if err != nil || !pending {
			t.Fatalf("address change: %v pending=%v", err, pending)
		}
		if s := f.byEmail(t, "ann@example.org"); s.ID != ann.ID {
			t.Fatal("address changed before confirmation")
		}
		ms := f.held(t, "ann.new@example.org")
		if len(ms) != 1 || ms[0].Kind != "address-confirm" {
			t.Fatalf("address confirmation mail: %+v", ms)
		}
		oldUnsub := unsubToken(t, f.svc, ann, "all")
		changed, err := f.svc.ConfirmAddress(ctx, token(t, ms[0].Text, "/subscribe/address/"))
		if err != nil || changed.Email != "ann.new@example.org" || changed.TokenVersion != ann.TokenVersion+1 {
			t.Fatalf("confirm address: %+v %v", changed, err)
		}
		// Every link sent to the old address is void.
		if _, err := f.svc.Preferences(ctx, tok); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("old prefs link after the address changed: %v", err)
		}
		if _, err := f.svc.OneClick(ctx, oldUnsub); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("old unsubscribe link after the address changed: %v", err)
		}
		if _, err := f.svc.ConfirmAddress(ctx, token(t, ms[0].Text, "/subscribe/address/")); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("address link used twice: %v", err)
		}

		// Leave everything with the new link.
		tok2 := prefsToken(t, f.svc, changed)
		if err := f.svc.LeaveAll(ctx, tok2); err != nil {
			t.Fatal(err)
		}
		for name, st := range f.subscriptions(t, ann.ID) {
			if st != mail.SubUnsubscribed {
				t.Errorf("%s still %s after leaving", name, st)
			}
		}
		p, _ = f.svc.Preferences(ctx, tok2)
		if len(p.Follows) != 0 {
			t.Fatalf("follows after leaving: %v", p.Follows)
		}
		det, _ = f.svc.SubscriberByID(ctx, ann.ID)
		last = det.Consents[len(det.Consents)-1]
		if last.Action != "unsubscribe" || !strings.Contains(last.Lists, "Weekly Round-up") || !strings.Contains(last.Lists, "alerts") {
			t.Fatalf("leave consent %+v", last)
		}
		if rows, n, err := f.svc.Subscribers(ctx, mail.SubscriberFilter{Status: mail.FilterUnsubscribed}); err != nil || n != 1 || rows[0].ID != ann.ID {
			t.Fatalf("unsubscribed filter: %+v %d %v", rows, n, err)
		}
	})
}

func TestOneClickScopes(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newSubFixture(t, d, false, time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
		news := f.list(t, "Monthly Newsletter", false)
		weekly := f.list(t, "Weekly Round-up", false)
		syr, err := f.places.Get(ctx, places.KindCountry, "syr")
		if err != nil {
			t.Fatal(err)
		}
		ann, err := f.svc.Add(ctx, mail.AddInput{Email: "ann@example.org", ListIDs: []int64{news.ID, weekly.ID}, Status: "confirmed"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SavePreferences(ctx, prefsToken(t, f.svc, ann), mail.PreferencesInput{ListIDs: []int64{news.ID, weekly.ID}, Follows: []int64{syr.ID}}); err != nil {
			t.Fatal(err)
		}
		// A campaign that went to the newsletter.
		var cid int64
		now := f.clock.Now()
		if err := d.W.QueryRowContext(ctx, `INSERT INTO campaigns (subject, status, created_at, updated_at) VALUES ('March', 'sent', $1, $1) RETURNING id`, now).Scan(&cid); err != nil {
			t.Fatal(err)
		}
		if _, err := d.W.ExecContext(ctx, "INSERT INTO campaign_lists (campaign_id, list_id) VALUES ($1, $2)", cid, news.ID); err != nil {
			t.Fatal(err)
		}
		consents := func() []mail.Consent {
			det, err := f.svc.SubscriberByID(ctx, ann.ID)
			if err != nil {
				t.Fatal(err)
			}
			return det.Consents
		}
		follows := func() int {
			p, err := f.svc.Preferences(ctx, prefsToken(t, f.svc, ann))
			if err != nil {
				t.Fatal(err)
			}
			return len(p.Follows)
		}

		scope := "c" + strconv.FormatInt(cid, 10)
		for range 2 { // a mail client may post twice
			if _, err := f.svc.OneClick(ctx, unsubToken(t, f.svc, ann, scope)); err != nil {
				t.Fatal(err)
			}
		}
		got := f.subscriptions(t, ann.ID)
		if got["Monthly Newsletter"] != mail.SubUnsubscribed || got["Weekly Round-up"] != mail.SubActive || follows() != 1 {
			t.Fatalf("campaign scope: %v follows %d", got, follows())
		}
		cs := consents()
		last := cs[len(cs)-1]
		if last.Action != "unsubscribe" || last.Source != "one-click" || last.ConsentText != scope || last.Lists != "Monthly Newsletter" {
			t.Fatalf("one-click consent %+v", last)
		}
		n := len(cs)

		if _, err := f.svc.OneClick(ctx, unsubToken(t, f.svc, ann, scope)); err != nil {
			t.Fatal(err)
		}
		if len(consents()) != n {
			t.Fatal("a repeated one-click wrote another record")
		}
		if _, err := f.svc.OneClick(ctx, unsubToken(t, f.svc, ann, "alerts")); err != nil {
			t.Fatal(err)
		}
		if follows() != 0 || f.subscriptions(t, ann.ID)["Weekly Round-up"] != mail.SubActive {
			t.Fatal("alerts scope")
		}
		if _, err := f.svc.OneClick(ctx, unsubToken(t, f.svc, ann, "all")); err != nil {
			t.Fatal(err)
		}
		if f.subscriptions(t, ann.ID)["Weekly Round-up"] != mail.SubUnsubscribed {
			t.Fatal("all scope")
		}
		bad, err := f.svc.Sign(ctx, mail.PurposeUnsub, ann.ID, ann.TokenVersion, "everything")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.OneClick(ctx, bad); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("unknown scope: %v", err)
		}
		// A prefs token is not an unsubscribe token.
		if _, err := f.svc.OneClick(ctx, prefsToken(t, f.svc, ann)); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("prefs token as unsubscribe token: %v", err)
		}
	})
}

// TestSubscribeOddInput: NUL bytes and broken UTF-8 from a form or a file
// are cleaned, not refused by PostgreSQL with a server error.
func TestSubscribeOddInput(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newSubFixture(t, d, false, time.Now())
		news := f.list(t, "News\x00", false)
		if err := f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "odd@example.org", Name: "Ann\x00 \xffB", ListIDs: []int64{news.ID},
			Source: "/sub\x00scribe", ConsentText: "I agree\x00 \xfe"}); err != nil {
			t.Fatal(err)
		}
		wantInvalid(t, f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "o\xffdd@example.org", ListIDs: []int64{news.ID}}), "email")
		wantInvalid(t, f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "o\x00dd@example.org", ListIDs: []int64{news.ID}}), "email")
		sub := f.byEmail(t, "odd@example.org")
		det, err := f.svc.SubscriberByID(ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sub.Name != "Ann \uFFFDB" || det.Consents[0].ConsentText != "I agree \uFFFD" || det.Consents[0].Source != "/subscribe" {
			t.Fatalf("stored %q %+v", sub.Name, det.Consents[0])
		}
		if _, _, err := f.svc.Subscribers(ctx, mail.SubscriberFilter{Q: "\x00\xff"}); err != nil {
			t.Fatal(err)
		}
	})
}
