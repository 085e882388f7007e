package mail_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"coalition/internal/errs"
	"coalition/internal/mail"
	"coalition/internal/places"
	"coalition/internal/settings"
	"coalition/internal/testkit"
)

// FuzzParseBounces: any webhook body is parsed or refused with a message,
// never a panic, and every report it yields names a known kind.
func FuzzParseBounces(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@example.org","type":"hard","reason":"550"}`,
		`[{"email":"a@example.org","type":"complaint"},{"email":"b@example.org","type":"soft"}]`,
		`{"Type":"Notification","Message":"{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bouncedRecipients\":[{\"emailAddress\":\"x@example.org\"}]}}"}`,
		`{"Type":"SubscriptionConfirmation","SubscribeURL":"https://sns.example/confirm"}`,
		`{"email":`, `null`, `[]`, `"x"`, "\x00\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		bs, _, err := mail.ParseBounces(body)
		if err != nil {
			if _, ok := errs.AsInvalid(err); !ok {
				t.Fatalf("%q: error is not a clear refusal: %v", body, err)
			}
			return
		}
		for _, b := range bs {
			if b.Kind != "hard" && b.Kind != "soft" && b.Kind != "complaint" {
				t.Fatalf("%q: kind %q", body, b.Kind)
			}
		}
	})
}

// FuzzImport: any uploaded CSV is imported row by row or refused with a
// message; a row is never both counted and reported failed.
func FuzzImport(f *testing.F) {
	for _, s := range []string{
		"email,name\na@example.org,A\nnot-an-address,B\n",
		"\"Email Address\",\"First Name\",\"Last Name\"\nm@example.org,Mai,Chimp\n",
		"email\n\"unterminated\n", "", "name\nno email column\n", "email,lists\nx@example.org,Unknown;Also\n",
		"email\n=cmd|' /C calc'!A0@example.org\n",
	} {
		f.Add(s, true)
	}
	d := testkit.NewSQLite(f)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := places.New(d)
	if err != nil {
		f.Fatal(err)
	}
	if err := p.Sync(context.Background()); err != nil {
		f.Fatal(err)
	}
	svc := mail.New(mail.Options{DB: d, Outbox: mail.NewOutbox(d, nil, log, nil), Settings: settings.NewStore(d), Places: p, Log: log,
		BaseURL: "http://coalition.test", From: "news@coalition.example"})
	l, err := svc.CreateList(context.Background(), mail.ListInput{Name: "Fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, csv string, confirmed bool) {
		res, err := svc.Import(context.Background(), strings.NewReader(csv), []int64{l.ID}, confirmed)
		if err != nil {
			if _, ok := errs.AsInvalid(err); !ok {
				t.Fatalf("%q: %v", csv, err)
			}
			return
		}
		if res.Added < 0 || res.Updated < 0 || res.Skipped < 0 {
			t.Fatalf("%q: %+v", csv, res)
		}
		for _, e := range res.Errors {
			if e.Reason == "" || e.Line < 1 {
				t.Fatalf("%q: unexplained failed row %+v", csv, e)
			}
		}
	})
}
