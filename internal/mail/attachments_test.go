package mail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"strings"
	"testing"

	"coalition/internal/db"
	"coalition/internal/mail"
	"coalition/internal/testkit"
)

// TestOutboxAttachments queues a message with a binary attachment and
// checks it arrives whole over SMTP, and that the bytes were stored with
// the message (a restart between queueing and sending loses nothing).
func TestOutboxAttachments(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		srv := testkit.NewSMTP(t)
		data := []byte("%PDF-1.7\n\x00\x01\xfe\xff binary receipt body")
		// Queued while no transport is running…
		held := mail.NewOutbox(d, transport(t, srv), slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		if err := held.Enqueue(context.Background(), "receipt", mail.Message{To: "donor@example.org", Subject: "Receipt", Text: "Attached.",
			Attachments: []mail.Attachment{{Name: "receipt-2026-000001.pdf", ContentType: "application/pdf", Data: data}}}); err != nil {
			t.Fatal(err)
		}
		// …sent by a fresh outbox (as after a restart).
		o := mail.NewOutbox(d, transport(t, srv), slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { o.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		m := srv.WaitFor(t, 1)[0]
		if !strings.Contains(m.Text, "Attached.") {
			t.Fatalf("text part: %q", m.Text)
		}
		_, params, err := mime.ParseMediaType(m.Header("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		r := multipart.NewReader(strings.NewReader(m.Body), params["boundary"])
		var got []byte
		for {
			p, err := r.NextPart()
			if err != nil {
				break
			}
			if p.FileName() == "receipt-2026-000001.pdf" {
				if !strings.HasPrefix(p.Header.Get("Content-Type"), "application/pdf") {
					t.Errorf("attachment type %q", p.Header.Get("Content-Type"))
				}
				b, _ := io.ReadAll(p) //nolint:errcheck // in memory
				if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
					b, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b)))
					if err != nil {
						t.Fatal(err)
					}
				}
				got = b
			}
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("attachment bytes differ: %q", got)
		}
	})
}
