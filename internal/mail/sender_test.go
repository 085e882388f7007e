package mail_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"coalition/internal/config"
	"coalition/internal/db"
	"coalition/internal/mail"
	"coalition/internal/testkit"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"
)

// campBulk adds n confirmed subscribers r0…r(n-1)@example.org, active on list.
func campBulk(t testing.TB, d *db.DB, list int64, n int) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	if _, err := d.W.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < $1)
		INSERT INTO subscribers (email, created_at, confirmed_at) SELECT 'r' || CAST(i AS TEXT) || '@example.org', $2, $2 FROM seq`, n, now); err != nil {
		t.Fatal(err)
	}
	if _, err := d.W.ExecContext(ctx, `INSERT INTO subscriptions (subscriber_id, list_id, status, created_at, updated_at)
		SELECT id, $1, 'active', $2, $2 FROM subscribers WHERE email LIKE 'r%@example.org'`, list, now); err != nil {
		t.Fatal(err)
	}
}

// campExactlyOnce checks that r0…r(n-1) got one copy each and nobody else got any.
func campExactlyOnce(t *testing.T, msgs []testkit.Mail, n int) {
	t.Helper()
	got := campCount(msgs)
	bad := 0
	for i := range n {
		a := fmt.Sprintf("r%d@example.org", i)
		if got[a] != 1 {
			if bad++; bad <= 10 {
				t.Errorf("%s received %d copies", a, got[a])
			}
		}
	}
	if len(got) != n || len(msgs) != n {
		t.Errorf("%d messages to %d addresses, want %d to %d", len(msgs), len(got), n, n)
	}
}

func campDeliveries(t *testing.T, d *db.DB, cid int64) map[string]int {
	t.Helper()
	rows, err := d.R.QueryContext(context.Background(), "SELECT status, COUNT(*) FROM campaign_deliveries WHERE campaign_id = $1 GROUP BY status", cid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	return out
}

// TestSenderRetriesTemporaryFailures: a 4xx and a dropped connection are
// retried after the backoff (time moved through the service's clock); a 5xx
// is recorded as failed, and a 5.1.1 (no such mailbox) also suppresses the
// address as a hard bounce.
func TestSenderRetriesTemporaryFailures(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := campaignEnvFor(t, d)
		var mu sync.Mutex
		seen := map[string]int{}
		e.smtp.Fail = func(to []string, _ int) error {
			mu.Lock()
			defer mu.Unlock()
			seen[to[0]]++
			switch {
			case to[0] == "temp@example.org" && seen[to[0]] == 1:
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
			case to[0] == "drop@example.org" && seen[to[0]] == 1:
				return testkit.ErrDrop
			case to[0] == "nobody@example.org":
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
			case to[0] == "policy@example.org":
				return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected by policy"}
			}
			return nil
		}
		list := campList(t, d, "Monthly Newsletter", false)
		addrs := []string{"ok1@example.org", "ok2@example.org", "temp@example.org", "drop@example.org", "nobody@example.org", "policy@example.org", "ok3@example.org"}
		for _, a := range addrs {
			campSub(t, d, campRecipient{email: a, confirmed: true, lists: map[int64]string{list: mail.SubActive}})
		}
		c, err := e.svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "Faults", Body: "Body", ListIDs: []int64{list}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Send(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		e.run(t)
		// First pass: three delivered, two failed for good, two deferred.
		deadline := time.Now().Add(20 * time.Second)
		for {
			st, err := e.svc.Stats(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if st.Sent == 3 && st.Failed == 2 && st.Remaining == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("first pass: %+v", st)
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		if got := campCount(e.smtp.Messages()); got["temp@example.org"] != 0 || got["drop@example.org"] != 0 || len(got) != 3 {
			t.Fatalf("before the backoff: %v", got)
		}
		if c, _ := e.svc.GetCampaign(ctx, c.ID); c.Status != mail.CampaignSending {
			t.Fatalf("finished with deliveries waiting: %s", c.Status)
		}
		e.clock.Advance(time.Hour)
		e.svc.Kick()
		campWait(t, e.svc, c.ID, mail.CampaignSent, 20*time.Second)
		got := campCount(e.smtp.Messages())
		for _, a := range addrs {
			want := 1
			if a == "nobody@example.org" || a == "policy@example.org" {
				want = 0
			}
			if got[a] != want {
				t.Errorf("%s: %d copies, want %d", a, got[a], want)
			}
		}
		st, _ := e.svc.Stats(ctx, c.ID)
		if st.Sent != 5 || st.Failed != 2 || st.Remaining != 0 || st.Bounces != 1 {
			t.Errorf("stats %+v", st)
		}
		var lastErr string
		var attempts int
		if err := d.R.QueryRowContext(ctx, `SELECT d.last_error, d.attempts FROM campaign_deliveries d JOIN subscribers s ON s.id = d.subscriber_id
			WHERE s.email = 'nobody@example.org'`).Scan(&lastErr, &attempts); err != nil || !strings.Contains(lastErr, "550") || attempts != 1 {
			t.Errorf("failed delivery: %q after %d attempts (%v)", lastErr, attempts, err)
		}
		for a, want := range map[string]bool{"nobody@example.org": true, "policy@example.org": false, "temp@example.org": false} {
			var supp sql.NullTime
			if err := d.R.QueryRowContext(ctx, "SELECT suppressed_at FROM subscribers WHERE email = $1", a).Scan(&supp); err != nil || supp.Valid != want {
				t.Errorf("%s suppressed %v, want %v (%v)", a, supp.Valid, want, err)
			}
		}
	})
}

// campaignEnvFor is newCampaignEnv with defaults.
func campaignEnvFor(t *testing.T, d *db.DB) *campaignEnv {
	return newCampaignEnv(t, d, mail.Options{}, nil)
}

// downTransport refuses connections while down, like a server that is off.
type downTransport struct {
	mail.Transport
	down  atomic.Bool
	tries atomic.Int32
}

func (f *downTransport) Open(ctx context.Context) (mail.Conn, error) {
	if f.down.Load() {
		f.tries.Add(1)
		return nil, &mail.SendError{Temporary: true, Err: errors.New("connect: connection refused")}
	}
	return f.Transport.Open(ctx)
}

// TestSenderWaitsForServerThatIsDown: while the SMTP server is unreachable
// deliveries wait (costing no attempt); once it is back every one is sent.
func TestSenderWaitsForServerThatIsDown(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		srv := testkit.NewSMTP(t)
		tr := &downTransport{Transport: transport(t, srv)}
		tr.down.Store(true)
		clock := testkit.NewClock(time.Now().UTC())
		svc := campService(t, d, clock.Now, tr, mail.Options{})
		list := campList(t, d, "Crisis Alerts", false)
		campBulk(t, d, list, 120)
		c, err := svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "Down", Body: "Body", ListIDs: []int64{list}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Send(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		campRun(t, svc)
		// Two tries a second apart: the deliveries are all back to pending.
		deadline := time.Now().Add(20 * time.Second)
		for tr.tries.Load() < 2 || campDeliveries(t, d, c.ID)["pending"] != 120 {
			if time.Now().After(deadline) {
				t.Fatalf("while down: %v after %d tries", campDeliveries(t, d, c.ID), tr.tries.Load())
			}
			time.Sleep(20 * time.Millisecond)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Fatalf("%d messages while down", n)
		}
		tr.down.Store(false)
		campWait(t, svc, c.ID, mail.CampaignSent, 30*time.Second)
		campExactlyOnce(t, srv.Messages(), 120)
		var most int
		if err := d.R.QueryRowContext(ctx, "SELECT MAX(attempts) FROM campaign_deliveries WHERE campaign_id = $1", c.ID).Scan(&most); err != nil || most != 1 {
			t.Errorf("attempts after the outage: %d (%v)", most, err)
		}
	})
}

// TestSenderHourlyCap: no more than RatePerHour messages leave in an hour.
func TestSenderHourlyCap(t *testing.T) {
	d := testkit.NewSQLite(t)
	ctx := context.Background()
	e := newCampaignEnv(t, d, mail.Options{RatePerHour: 3, Connections: 2}, nil)
	list := campList(t, d, "Weekly", false)
	campBulk(t, d, list, 5)
	c, err := e.svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "Capped", Body: "Body", ListIDs: []int64{list}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Send(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	e.smtp.WaitFor(t, 3)
	time.Sleep(1500 * time.Millisecond)
	if n := len(e.smtp.Messages()); n != 3 {
		t.Fatalf("%d messages with an hourly cap of 3", n)
	}
}

// TestDKIMSignatureVerifies signs campaign mail with an RSA and an Ed25519
// key and verifies each signature the way a receiver does.
func TestDKIMSignatureVerifies(t *testing.T) {
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
			tr, err := mail.NewSMTPTransport(sc, mail.SMTPOptions{From: "news@example.org", ReturnPath: "bounces@example.org",
				DKIMKeyFile: keyFile, DKIMSelector: "s2026"})
			if err != nil {
				t.Fatal(err)
			}
			clock := testkit.NewClock(time.Now().UTC())
			svc := campService(t, d, clock.Now, tr, mail.Options{})
			list := campList(t, d, "Monthly Newsletter", false)
			campBulk(t, d, list, 2)
			c, err := svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "Signed – ünïcode", Body: "A body with a [link](/news/x) and accents: é à ü.\n\n" + strings.Repeat("Long line of text. ", 40),
				ListIDs: []int64{list}}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.Send(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			campRun(t, svc)
			msgs := srv.WaitFor(t, 2)
			for _, m := range msgs {
				vs, err := dkim.VerifyWithOptions(bytes.NewReader(m.Raw), &dkim.VerifyOptions{
					LookupTXT: func(domain string) ([]string, error) {
						if domain != "s2026._domainkey.example.org" {
							return nil, fmt.Errorf("no TXT record at %s", domain)
						}
						return []string{k.record}, nil
					},
				})
				if err != nil || len(vs) != 1 {
					t.Fatalf("verify: %v (%d signatures)", err, len(vs))
				}
				if vs[0].Err != nil || vs[0].Domain != "example.org" {
					t.Fatalf("signature: %v (domain %q)", vs[0].Err, vs[0].Domain)
				}
				if m.From != "bounces@example.org" {
					t.Errorf("envelope sender %q", m.From)
				}
			}
		})
	}
}

// TestTwoSendersPostgres: two instances with different sender ids share one
// PostgreSQL database and send one campaign at once; each address gets
// exactly one copy.
func TestTwoSendersPostgres(t *testing.T) {
	ctx := context.Background()
	d1, url := testkit.NewPostgres(t)
	d2, err := db.Open(ctx, "", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d2.Close() })
	srv := testkit.NewSMTP(t)
	clock := testkit.NewClock(time.Now().UTC())
	a := campService(t, d1, clock.Now, transport(t, srv), mail.Options{SenderID: "sender-a", Connections: 4})
	b := campService(t, d2, clock.Now, transport(t, srv), mail.Options{SenderID: "sender-b", Connections: 4})
	list := campList(t, d1, "Monthly Newsletter", false)
	const n = 2000
	campBulk(t, d1, list, n)
	c, err := a.CreateCampaign(ctx, mail.CampaignInput{Subject: "Twice the senders", Body: "Once each.", ListIDs: []int64{list}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	campRun(t, a)
	campRun(t, b)
	if err := a.Send(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	b.Kick()
	campWait(t, a, c.ID, mail.CampaignSent, 120*time.Second)
	campExactlyOnce(t, srv.Messages(), n)
	rows, err := d1.R.QueryContext(ctx, "SELECT sender_id, COUNT(*) FROM campaign_deliveries WHERE campaign_id = $1 GROUP BY sender_id", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var k int
		if err := rows.Scan(&id, &k); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s sent %d", id, k)
	}
}

var runningAt = regexp.MustCompile(`running at (http://\S+)`)

// campStart runs the binary and waits until it serves.
func campStart(t *testing.T, bin, logFile string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), mail.SenderTimeoutEnv+"=2s")
	lf, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lf.Close() })
	cmd.Stderr = lf
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if runningAt.MatchString(sc.Text()) {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return cmd
		}
	}
	b, _ := os.ReadFile(logFile)
	t.Fatalf("%v printed no URL; log:\n%s", args, b)
	return nil
}

// TestCrashAndResume kills the real binary with SIGKILL in the middle of a
// 10,000-recipient campaign, starts it again, and checks that every
// subscriber received exactly one copy and the campaign ends sent.
//
// The kill lands outside the one window SMTP cannot close (between the
// server's 250 and our commit): after 3,000 accepted messages the server
// stalls every transaction before replying, the test waits until all the
// sender's connections are stalled, then kills. Those stalled messages were
// never accepted, so sending them again after the restart is right.
func TestCrashAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const n, stallAfter, conns = 10000, 3000, 4
	dir := t.TempDir()
	bin := filepath.Join(dir, "coalition")
	build := exec.Command("go", "build", "-o", bin, "coalition/cmd/coalition")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	data := filepath.Join(dir, "data")
	logFile := filepath.Join(dir, "server.log")
	ctx := context.Background()

	// The campaign, created and started through the service before the server runs.
	d, err := db.Open(ctx, data, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := campService(t, d, time.Now, nil, mail.Options{})
	list := campList(t, d, "Monthly Newsletter", false)
	campBulk(t, d, list, n)
	c, err := svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "Crash and resume", Body: "Exactly one copy each.", ListIDs: []int64{list}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Send(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	d.Close()

	srv := testkit.NewSMTP(t)
	var stalled atomic.Int32
	var released atomic.Bool
	release := make(chan struct{})
	srv.Fail = func(_ []string, k int) error {
		if k > stallAfter && !released.Load() {
			stalled.Add(1)
			<-release
			return testkit.ErrDrop
		}
		return nil
	}
	args := []string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--smtp", srv.URL, "--mail-connections", fmt.Sprint(conns), "--log-level", "info"}
	cmd := campStart(t, bin, logFile, args...)
	deadline := time.Now().Add(120 * time.Second)
	for stalled.Load() < conns {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logFile)
			t.Fatalf("only %d connections stalled, %d messages; log:\n%s", stalled.Load(), len(srv.Messages()), tail(b))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	released.Store(true)
	close(release)
	accepted := len(srv.Messages())

	ro, err := sql.Open("sqlite", "file:"+filepath.Join(data, db.FileName)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var sent int
	if err := ro.QueryRow("SELECT COUNT(*) FROM campaign_deliveries WHERE campaign_id = $1 AND status = 'sent'", c.ID).Scan(&sent); err != nil {
		t.Fatal(err)
	}
	// Every message the server accepted was recorded as sent before the kill.
	if accepted != stallAfter || sent != accepted {
		t.Fatalf("at the kill: server accepted %d, database says %d sent", accepted, sent)
	}

	campStart(t, bin, logFile, args...)
	deadline = time.Now().Add(180 * time.Second)
	for {
		var status string
		if err := ro.QueryRow("SELECT status FROM campaigns WHERE id = $1", c.ID).Scan(&status); err != nil {
			t.Fatal(err)
		}
		if status == mail.CampaignSent {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logFile)
			t.Fatalf("campaign still %s after restart, %d messages; log:\n%s", status, len(srv.Messages()), tail(b))
		}
		time.Sleep(100 * time.Millisecond)
	}
	campExactlyOnce(t, srv.Messages(), n)
	t.Logf("killed after %d accepted messages with %d transactions stalled; resumed and completed %d", accepted, conns, len(srv.Messages()))
}

func tail(b []byte) string {
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
