package mail_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coalition/internal/config"
	"coalition/internal/mail"
	"coalition/internal/testkit"

	"github.com/emersion/go-msgauth/dkim"
)

// TestFastPathCampaignMessage: campaign copies rendered by the sender's fast
// path (rawmsg.go) are well-formed MIME (net/mail + mime/multipart), their
// quoted-printable text and HTML parts decode to what the editor wrote with
// the recipient's own unsubscribe link, and their DKIM signatures — which
// also cover the RFC 8058 headers — verify with go-msgauth, for RSA and
// Ed25519 keys.
func TestFastPathCampaignMessage(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("A long line without a break, ", 50) // > 998 octets once in HTML
	body := "Dear friends — ünïcode, = signs, 100% sure.\n\n" +
		".A line that starts with a dot\n\n" +
		"Two  spaces,   three, and a tab\there. Trailing spaces   \n\n" +
		long + "\n\nFrom the secretariat, with thanks."
	subject := "Signed – ünïcode newsletter with a subject long enough to be folded over several lines"
	for _, k := range []struct {
		name   string
		priv   any
		record string
	}{
		{"rsa", rsaKey, "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(rsaPub)},
		{"ed25519", edKey, "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(edPub)},
	} {
		t.Run(k.name, func(t *testing.T) {
			ctx := context.Background()
			d := testkit.NewSQLite(t)
			der, err := x509.MarshalPKCS8PrivateKey(k.priv)
			if err != nil {
				t.Fatal(err)
			}
			keyFile := filepath.Join(t.TempDir(), "dkim.pem")
			if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
				t.Fatal(err)
			}
			srv := testkit.NewSMTP(t)
			sc, err := config.ParseSMTP(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := mail.NewSMTPTransport(sc, mail.SMTPOptions{From: "Test Coalition <news@example.org>", ReturnPath: "bounces@example.org",
				DKIMKeyFile: keyFile, DKIMSelector: "s2026"})
			if err != nil {
				t.Fatal(err)
			}
			conn, err := tr.Open(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := conn.(mail.RawSender); !ok {
				t.Fatal("the SMTP connection has no fast path")
			}
			_ = conn.Close() //nolint:errcheck // only looked at
			svc := campService(t, d, testkit.NewClock(time.Now().UTC()).Now, tr, mail.Options{})
			list := campList(t, d, "Lettre mensuelle — Été", false)
			const n = 3
			campBulk(t, d, list, n)
			c, err := svc.CreateCampaign(ctx, mail.CampaignInput{Subject: subject, Body: body, ListIDs: []int64{list}}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.Send(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			campRun(t, svc)
			msgs := srv.WaitFor(t, n)
			seen := map[string]bool{}
			for _, m := range msgs {
				checkFastPathMessage(t, svc, m, subject, k.record)
				seen[m.To[0]] = true
				if m.From != "bounces@example.org" {
					t.Errorf("envelope sender %q", m.From)
				}
			}
			if len(seen) != n {
				t.Errorf("recipients %v", seen)
			}
		})
	}
}

func checkFastPathMessage(t *testing.T, svc *mail.Service, m testkit.Mail, subject, record string) {
	t.Helper()
	ctx := context.Background()
	raw := m.Raw
	// Wire format: CRLF everywhere, lines within 998 octets (76 in the body).
	lines := strings.Split(string(raw), "\r\n")
	inBody := false
	for i, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i, l)
		}
		if len(l) > 998 || (inBody && len(l) > 76) {
			t.Fatalf("line %d is %d octets long", i, len(l))
		}
		inBody = inBody || l == ""
	}
	// DKIM, signed by the fast path: its header list has the RFC 8058 pair.
	sig := m.Header("DKIM-Signature")
	for _, h := range []string{"from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post", "list-id", "mime-version", "content-type"} {
		if !strings.Contains(":"+strings.Join(strings.Fields(dkimTag(sig, "h")), "")+":", ":"+h+":") {
			t.Errorf("DKIM h= %q lacks %s", dkimTag(sig, "h"), h)
		}
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: func(domain string) ([]string, error) {
			if domain != "s2026._domainkey.example.org" {
				return nil, fmt.Errorf("no TXT record at %s", domain)
			}
			return []string{record}, nil
		},
	})
	if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "example.org" {
		if len(vs) == 1 {
			err = vs[0].Err
		}
		t.Fatalf("DKIM verify: %v\n%s", err, raw)
	}

	// Headers.
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var dec mime.WordDecoder
	if got, err := dec.DecodeHeader(msg.Header.Get("Subject")); err != nil || got != subject {
		t.Errorf("Subject %q (%v)", got, err)
	}
	if from, err := msg.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != "news@example.org" || from[0].Name != "Test Coalition" {
		t.Errorf("From %q", msg.Header.Get("From"))
	}
	if to, err := msg.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != m.To[0] {
		t.Errorf("To %q, envelope %v", msg.Header.Get("To"), m.To)
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("Date %q: %v", msg.Header.Get("Date"), err)
	}
	if id := msg.Header.Get("Message-ID"); !strings.HasPrefix(id, "<c") || !strings.HasSuffix(id, "@example.org>") {
		t.Errorf("Message-ID %q", id)
	}
	if listID, err := dec.DecodeHeader(msg.Header.Get("List-Id")); err != nil || !strings.HasPrefix(listID, "Lettre mensuelle — Été <") {
		t.Errorf("List-Id %q (%v)", msg.Header.Get("List-Id"), err)
	}
	if msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || msg.Header.Get("Precedence") != "bulk" || msg.Header.Get("MIME-Version") != "1.0" {
		t.Errorf("headers %v", msg.Header)
	}
	lu := msg.Header.Get("List-Unsubscribe")
	https, rest, ok := strings.Cut(strings.TrimPrefix(lu, "<"), ">, <mailto:bounces@example.org?subject=unsubscribe%20")
	if !ok || !strings.HasPrefix(https, campaignBase+"/unsubscribe/") || !strings.HasSuffix(https, "/"+strings.TrimSuffix(rest, ">")) {
		t.Fatalf("List-Unsubscribe %q", lu)
	}
	// The link is this recipient's own.
	sid, _, scope, err := svc.Verify(ctx, mail.PurposeUnsub, https[strings.LastIndexByte(https, '/')+1:])
	if err != nil || !strings.HasPrefix(scope, "c") {
		t.Fatalf("unsubscribe token: %v", err)
	}
	if want := fmt.Sprintf("r%d@example.org", sid-1); m.To[0] != want {
		t.Errorf("unsubscribe link of subscriber %d (%s) sent to %s", sid, want, m.To[0])
	}

	// Body: two quoted-printable parts that decode to the text and HTML.
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	parts := map[string]string{}
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct := p.Header.Get("Content-Type")
		if p.Header.Get("Content-Transfer-Encoding") != "quoted-printable" || !strings.HasSuffix(ct, "; charset=UTF-8") {
			t.Errorf("part headers %v", p.Header)
		}
		b, err := io.ReadAll(quotedprintable.NewReader(p))
		if err != nil {
			t.Fatalf("%s: %v", ct, err)
		}
		parts[strings.TrimSuffix(ct, "; charset=UTF-8")] = string(b)
	}
	text, html := parts["text/plain"], parts["text/html"]
	if len(parts) != 2 || text == "" || html == "" {
		t.Fatalf("parts %v", parts)
	}
	for _, s := range []string{
		"Dear friends — ünïcode, = signs, 100% sure.",
		".A line that starts with a dot",
		"Two spaces, three, and a tab here.", // as the Markdown renderer leaves it
		strings.TrimSpace(strings.Repeat("A long line without a break, ", 50)),
		https,
	} {
		if !strings.Contains(text, s) {
			t.Errorf("text part lacks %q:\n%s", s, text)
		}
	}
	for _, s := range []string{"ünïcode, = signs", "Two  spaces,   three, and a tab\there.", strings.TrimSpace(strings.Repeat("A long line without a break, ", 50)), https, "</html>"} {
		if !strings.Contains(html, s) {
			t.Errorf("HTML part lacks %q", s)
		}
	}
}

// dkimTag returns a tag's value from a DKIM-Signature header.
func dkimTag(sig, tag string) string {
	for _, p := range strings.Split(sig, ";") {
		k, v, _ := strings.Cut(p, "=")
		if strings.TrimSpace(k) == tag {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
