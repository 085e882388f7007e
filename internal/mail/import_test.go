package mail_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"coalition/internal/db"
	"coalition/internal/mail"
	"coalition/internal/testkit"
)

const mailchimpCSV = `"Email Address","First Name","Last Name","Address","Phone Number","MEMBER_RATING","OPTIN_TIME","TAGS"
ann@example.org,Ann,Archer,"1 Road, Town",123,2,"2020-01-01 10:00:00",""
not-an-email,Bad,Row,,,,,
BOB@Example.org,Bob,,,,,,
ann@example.org,Ann,Again,,,,,
"eve@example.org
Bcc: x@example.org",Eve,,,,,,
carl@example.org,"Carl ""CJ""",Clay,,,,,
`

func TestImportMailchimpExport(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newSubFixture(t, d, false, time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
		news := f.list(t, "Monthly Newsletter", false)
		weekly := f.list(t, "Weekly Round-up", false)

		res, err := f.svc.Import(ctx, strings.NewReader(mailchimpCSV), []int64{news.ID}, true)
		if err != nil {
			t.Fatal(err)
		}
		if res.Added != 3 || res.Updated != 0 {
			t.Fatalf("import: %+v", res)
		}
		bad := map[int]string{}
		for _, e := range res.Errors {
			if e.Reason == "" {
				t.Errorf("row error without a reason: %+v", e)
			}
			bad[e.Line] = e.Email
		}
		// Line 3: not an address; line 6: a cell with a line break. The
		// duplicate on line 5 counts once.
		if len(bad) != 2 || bad[3] != "not-an-email" || !strings.HasPrefix(bad[6], "eve@example.org") || res.Skipped != 3 {
			t.Fatalf("row errors: %+v (skipped %d)", res.Errors, res.Skipped)
		}
		ann := f.byEmail(t, "ann@example.org")
		if ann.Name != "Ann Archer" || !ann.Confirmed() {
			t.Fatalf("ann: %+v", ann)
		}
		if f.byEmail(t, "carl@example.org").Name != `Carl "CJ" Clay` {
			t.Fatalf("quoted name: %q", f.byEmail(t, "carl@example.org").Name)
		}
		if got := f.subscriptions(t, f.byEmail(t, "bob@example.org").ID)["Monthly Newsletter"]; got != mail.SubActive {
			t.Fatalf("bob on the newsletter: %q", got)
		}
		det, _ := f.svc.SubscriberByID(ctx, ann.ID)
		if len(det.Consents) != 1 || det.Consents[0].Action != "import" || det.Consents[0].Lists != "Monthly Newsletter" {
			t.Fatalf("import consent %+v", det.Consents)
		}
		if ms, _, _ := f.out.List(ctx, 10, 0); len(ms) != 0 {
			t.Fatalf("a confirmed import sent %d mails", len(ms))
		}

		// Without consent: known addresses are updated and every new list
		// waits for a confirmation mail.
		res, err = f.svc.Import(ctx, strings.NewReader("email,name\nann@example.org,\nerin@example.org,Erin\n"), []int64{weekly.ID}, false)
		if err != nil || res.Added != 1 || res.Updated != 1 {
			t.Fatalf("unconfirmed import: %+v %v", res, err)
		}
		if got := f.subscriptions(t, ann.ID); got["Weekly Round-up"] != mail.SubPending || got["Monthly Newsletter"] != mail.SubActive {
			t.Fatalf("ann after unconfirmed import: %v", got)
		}
		if len(f.held(t, "ann@example.org")) != 1 || len(f.held(t, "erin@example.org")) != 1 {
			t.Fatal("confirmation mails for the unconfirmed import")
		}

		// Someone who left is not put back by an import.
		if _, err := f.svc.OneClick(ctx, unsubToken(t, f.svc, ann, "all")); err != nil {
			t.Fatal(err)
		}
		res, err = f.svc.Import(ctx, strings.NewReader("email\nann@example.org\n"), []int64{news.ID}, true)
		if err != nil || res.Skipped != 1 || len(res.Errors) != 1 || res.Errors[0].Line != 2 {
			t.Fatalf("import of an unsubscribed address: %+v %v", res, err)
		}
		if got := f.subscriptions(t, ann.ID)["Monthly Newsletter"]; got != mail.SubUnsubscribed {
			t.Fatalf("import re-subscribed someone who left: %q", got)
		}

		// Files that are not lists of addresses.
		_, err = f.svc.Import(ctx, strings.NewReader("name,phone\nAnn,123\n"), nil, true)
		wantInvalid(t, err, "file")
		_, err = f.svc.Import(ctx, strings.NewReader(""), nil, true)
		wantInvalid(t, err, "file")
		_, err = f.svc.Import(ctx, strings.NewReader("email\na@example.org\n"), []int64{news.ID + 99}, true)
		wantInvalid(t, err, "lists")

		// No header: address first, name second.
		res, err = f.svc.Import(ctx, strings.NewReader("fred@example.org,Fred\n"), []int64{news.ID}, true)
		if err != nil || res.Added != 1 || f.byEmail(t, "fred@example.org").Name != "Fred" {
			t.Fatalf("headerless import: %+v %v", res, err)
		}
	})
}

// TestImportBatches streams a file larger than one transaction's batch,
// with our own export's columns (a "lists" column by name).
func TestImportBatches(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newSubFixture(t, d, false, time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
		news := f.list(t, "Monthly Newsletter", false)
		weekly := f.list(t, "Weekly Round-up", false)
		const n = 1234
		var b strings.Builder
		b.WriteString("email,name,status,lists\n")
		for i := range n {
			st := "confirmed"
			if i%100 == 7 {
				st = "unsubscribed"
			}
			fmt.Fprintf(&b, "user%04d@example.org,User %d,%s,Weekly Round-up\n", i, i, st)
		}
		res, err := f.svc.Import(ctx, strings.NewReader(b.String()), []int64{news.ID}, true)
		if err != nil {
			t.Fatal(err)
		}
		skipped := (n + 92) / 100 // i%100 == 7
		if res.Added != n-skipped || res.Skipped != skipped {
			t.Fatalf("import: added %d skipped %d, want %d and %d", res.Added, res.Skipped, n-skipped, skipped)
		}
		for _, id := range []int64{news.ID, weekly.ID} {
			l, err := f.svc.GetList(ctx, id)
			if err != nil || l.Active != n-skipped {
				t.Fatalf("list %d: %+v %v", id, l, err)
			}
		}
	})
}

func TestExportEscapesFormulas(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newSubFixture(t, d, false, time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
		news := f.list(t, "Monthly Newsletter", false)
		names := []string{`=HYPERLINK("http://evil.example","x")`, "+1+2", "-2+3", "@SUM(A1)", "Plain Name"}
		for i, n := range names {
			if _, err := f.svc.Add(ctx, mail.AddInput{Email: fmt.Sprintf("p%d@example.org", i), Name: n, ListIDs: []int64{news.ID}, Status: "confirmed"}); err != nil {
				t.Fatal(err)
			}
		}
		const consent = "=cmd|' /C calc'!A0"
		if err := f.svc.Subscribe(ctx, mail.SubscribeInput{Email: "pending@example.org", ListIDs: []int64{news.ID}, Source: "/subscribe", ConsentText: consent}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := f.svc.Export(ctx, &buf, mail.SubscriberFilter{}); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(recs[0], ",") != "email,name,status,lists,follows,created_at,confirmed_at,consent_source,consent_text" {
			t.Fatalf("header %v", recs[0])
		}
		if len(recs) != len(names)+2 {
			t.Fatalf("%d rows", len(recs))
		}
		byEmail := map[string][]string{}
		for _, r := range recs[1:] {
			byEmail[r[0]] = r
		}
		for i, n := range names {
			r := byEmail[fmt.Sprintf("p%d@example.org", i)]
			want := n
			if n != "Plain Name" {
				want = "'" + n
			}
			if r[1] != want {
				t.Errorf("name cell %q, want %q", r[1], want)
			}
			if r[2] != "confirmed" || r[3] != "Monthly Newsletter" || r[6] == "" || r[7] != "api" {
				t.Errorf("row %v", r)
			}
		}
		p := byEmail["pending@example.org"]
		if p[2] != "unconfirmed" || p[3] != "" || p[6] != "" || p[7] != "/subscribe" || p[8] != "'"+consent {
			t.Fatalf("pending row %v", p)
		}

		// Filtered export, and the export imports back.
		buf.Reset()
		if err := f.svc.Export(ctx, &buf, mail.SubscriberFilter{Status: mail.FilterUnconfirmed}); err != nil {
			t.Fatal(err)
		}
		if recs, _ := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll(); len(recs) != 2 {
			t.Fatalf("unconfirmed export: %v", recs)
		}
		buf.Reset()
		if err := f.svc.Export(ctx, &buf, mail.SubscriberFilter{}); err != nil {
			t.Fatal(err)
		}
		other := newSubFixture(t, testkit.NewSQLite(t), false, time.Now())
		other.list(t, "Monthly Newsletter", false)
		res, err := other.svc.Import(ctx, &buf, nil, true)
		if err != nil || res.Added != len(names)+1 {
			t.Fatalf("re-import: %+v %v", res, err)
		}
		if got := other.byEmail(t, "p4@example.org"); got.Name != "Plain Name" || !got.Confirmed() {
			t.Fatalf("re-imported: %+v", got)
		}
		if other.byEmail(t, "pending@example.org").Confirmed() {
			t.Fatal("an unconfirmed address came back confirmed")
		}
		if l, _ := other.svc.Lists(ctx); l[0].Active != len(names) {
			t.Fatalf("re-imported lists: %+v", l)
		}
	})
}
