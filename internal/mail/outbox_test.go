package mail_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"coalition/internal/config"
	"coalition/internal/db"
	"coalition/internal/mail"
	"coalition/internal/testkit"

	"github.com/emersion/go-smtp"
)

func transport(t *testing.T, s *testkit.SMTPServer) mail.Transport {
	t.Helper()
	sc, err := config.ParseSMTP(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := mail.NewSMTPTransport(sc, mail.SMTPOptions{From: "noreply@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestOutboxDelivery(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		srv := testkit.NewSMTP(t)
		// First message: a temporary failure, then accepted on retry.
		// Second: refused for good.
		srv.Fail = func(to []string, n int) error {
			switch {
			case to[0] == "later@example.org" && n == 1:
				return &smtp.SMTPError{Code: 451, Message: "try again"}
			case to[0] == "never@example.org":
				return &smtp.SMTPError{Code: 550, Message: "no such user"}
			}
			return nil
		}
		clock := testkit.NewClock(time.Now().UTC())
		o := mail.NewOutbox(d, transport(t, srv), slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { o.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })

		for _, to := range []string{"later@example.org", "never@example.org", "now@example.org"} {
			if err := o.Enqueue(ctx, "test", mail.Message{To: to, Subject: "Hello " + to, Text: "Body"}); err != nil {
				t.Fatal(err)
			}
		}
		srv.WaitFor(t, 1)
		clock.Advance(time.Hour) // past the retry backoff
		o.Kick()
		msgs := srv.WaitFor(t, 2)
		got := map[string]int{}
		for _, m := range msgs {
			got[m.To[0]]++
		}
		if got["now@example.org"] != 1 || got["later@example.org"] != 1 || got["never@example.org"] != 0 {
			t.Fatalf("delivered: %v", got)
		}
		status := map[string]string{}
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			list, _, err := o.List(ctx, 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range list {
				status[m.To] = m.Status
			}
			if status["never@example.org"] == mail.StatusFailed && status["later@example.org"] == mail.StatusSent {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if status["never@example.org"] != mail.StatusFailed || status["later@example.org"] != mail.StatusSent || status["now@example.org"] != mail.StatusSent {
			t.Fatalf("statuses: %v", status)
		}
	})
}

func TestOutboxHeldWithoutSMTP(t *testing.T) {
	d := testkit.NewSQLite(t)
	o := mail.NewOutbox(d, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	ctx := context.Background()
	if err := o.Enqueue(ctx, "reset", mail.Message{To: "a@example.org", Subject: "S", Text: "link"}); err != nil {
		t.Fatal(err)
	}
	if err := o.Enqueue(ctx, "reset", mail.Message{To: "a@example.org\r\nBcc: x@example.org", Subject: "S", Text: "x"}); err == nil {
		t.Fatal("header injection in the recipient accepted")
	}
	list, total, err := o.List(ctx, 10, 0)
	if err != nil || total != 1 || list[0].Status != mail.StatusHeld || list[0].Text != "link" {
		t.Fatalf("outbox: %d %+v %v", total, list, err)
	}
}
