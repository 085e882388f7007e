// Command mail measures campaign sending: one newsletter to 100,000
// confirmed subscribers through a local SMTP sink (an in-process go-smtp
// server that reads and discards each message), DKIM-signed, on SQLite or
// PostgreSQL. Next to it, in the same run, the baseline: the same message
// sent through the same sink by go-mail alone (our SMTP transport, no
// database), over the same number of connections.
//
// It reports messages per second (end to end, from Send — which freezes the
// body and creates one delivery row per recipient — until the campaign is
// marked sent), the ratio to the baseline, and the peak resident memory of
// the process during the campaign (the sink included).
//
//	go run ./bench/mail [-n 100000] [-connections 8] [-dkim rsa|ed25519] [-postgres postgres://…] [-write bench/RESULTS.md]
//
// With -postgres, a fresh schema is created on that server and dropped at
// the end. -write replaces the section mail-sqlite or mail-postgres (RSA)
// or mail-sqlite-ed25519 / mail-postgres-ed25519.
package main

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"coalition/bench/internal/benchkit"
	"coalition/internal/config"
	"coalition/internal/db"
	"coalition/internal/mail"
	"coalition/internal/settings"

	"github.com/emersion/go-smtp"
	_ "github.com/jackc/pgx/v5/stdlib"
)

func main() {
	n := flag.Int("n", 100_000, "subscribers")
	conns := flag.Int("connections", 8, "SMTP connections (the sender's --mail-connections)")
	dkimKind := flag.String("dkim", "rsa", "DKIM key: rsa (2048 bits) or ed25519")
	pg := flag.String("postgres", "", "PostgreSQL server `URL` (a fresh schema is made); SQLite when empty")
	baseline := flag.Int("baseline", 20_000, "messages in the go-mail baseline")
	write := flag.String("write", "", "also write the section into this results `file` (bench/RESULTS.md)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to `file`")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	var out strings.Builder
	err := run(&out, *n, *conns, *dkimKind, *pg, *baseline)
	fmt.Print(out.String())
	if err == nil && *write != "" {
		name := "mail-sqlite"
		if *pg != "" {
			name = "mail-postgres"
		}
		if *dkimKind != "rsa" {
			name += "-" + *dkimKind
		}
		err = benchkit.WriteSection(*write, name, out.String())
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// sink is an SMTP server that reads and discards messages.
type sink struct{ n atomic.Int64 }

type sinkSession struct{ s *sink }

func (ss sinkSession) AuthPlain(string, string) error       { return nil }
func (ss sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss sinkSession) Reset()                               {}
func (ss sinkSession) Logout() error                        { return nil }
func (ss sinkSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	ss.s.n.Add(1)
	return err
}
func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return sinkSession{s}, nil }
func startSink() (*sink, *smtp.Server, string, error) {
	s := &sink{}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.MaxMessageBytes = 10 << 20
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, "", err
	}
	go func() { _ = srv.Serve(ln) }() //nolint:errcheck // ends with Close
	return s, srv, "smtp://" + ln.Addr().String(), nil
}

// articles stand in for the publishing area's picker.
type articles []mail.Article

func (a articles) Recent(context.Context, int) ([]mail.Article, error) { return a, nil }
func (a articles) Articles(_ context.Context, ids []int64) ([]mail.Article, error) {
	var out []mail.Article
	for _, id := range ids {
		for _, x := range a {
			if x.ID == id {
				out = append(out, x)
			}
		}
	}
	return out, nil
}

func body() string {
	var b strings.Builder
	b.WriteString("Dear friends of the coalition,\n\nThis month we look back at the work of our members across **three regions**, ")
	b.WriteString("and ahead at the [General Assembly debate](/events/ga-debate) on the protection of civilians.\n\n")
	for i := 1; i <= 4; i++ {
		fmt.Fprintf(&b, "## Update %d\n\n", i)
		for j := 0; j < 3; j++ {
			b.WriteString("Our members documented attacks on schools and hospitals, supported families displaced by the fighting, ")
			b.WriteString("and briefed diplomats on what the record shows. Read the [full briefing](/library/briefing-2026) in our library, ")
			b.WriteString("or write to the secretariat if you want to take part in the next round of consultations.\n\n")
		}
	}
	b.WriteString("With thanks,\n\nThe Secretariat\n")
	return b.String()
}

func keyFile(dir, kind string) (string, error) {
	var priv any
	switch kind {
	case "rsa":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return "", err
		}
		priv = k
	case "ed25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", err
		}
		priv = k
	default:
		return "", fmt.Errorf("-dkim %q: want rsa or ed25519", kind)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "dkim.pem")
	return p, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

func openDB(ctx context.Context, dir, pg string) (*db.DB, func(), error) {
	if pg == "" {
		d, err := db.Open(ctx, dir, "")
		if err != nil {
			return nil, nil, err
		}
		return d, func() { d.Close() }, nil
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b) //nolint:errcheck // never fails
	schema := "bench_mail_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", pg)
	if err != nil {
		return nil, nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return nil, nil, err
	}
	sep := "?"
	if strings.Contains(pg, "?") {
		sep = "&"
	}
	d, err := db.Open(ctx, "", pg+sep+"search_path="+schema)
	cleanup := func() {
		if d != nil {
			d.Close()
		}
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") //nolint:errcheck // best effort
		admin.Close()
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return d, cleanup, nil
}

// peakRSS is the process's peak resident set (VmHWM) in MB.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(v), "%f", &kb) //nolint:errcheck // 0 on failure
			return kb / 1024
		}
	}
	return 0
}

// resetPeak starts a new VmHWM measurement (Linux: clear_refs 5).
func resetPeak() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0o600) } //nolint:errcheck // best effort

func run(w io.Writer, n, conns int, dkimKind, pg string, baselineN int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "coalition-bench-mail-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	d, cleanup, err := openDB(ctx, dir, pg)
	if err != nil {
		return err
	}
	defer cleanup()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	sk, srv, smtpURL, err := startSink()
	if err != nil {
		return err
	}
	defer srv.Close()
	kf, err := keyFile(dir, dkimKind)
	if err != nil {
		return err
	}
	sc, err := config.ParseSMTP(smtpURL)
	if err != nil {
		return err
	}
	tr, err := mail.NewSMTPTransport(sc, mail.SMTPOptions{From: "news@coalition.example", ReturnPath: "bounces@coalition.example",
		DKIMKeyFile: kf, DKIMSelector: "bench"})
	if err != nil {
		return err
	}
	signCost, err := signingCost(kf)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := settings.NewStore(d)
	if err := st.Save(ctx, settings.Settings{OrgName: "Global Coalition for Civilian Protection",
		PostalAddress: "Secretariat, 14 Quai des Bergues\n1201 Geneva\nSwitzerland"}); err != nil {
		return err
	}
	svc := mail.New(mail.Options{DB: d, Outbox: mail.NewOutbox(d, nil, log, nil), Settings: st, Log: log, BaseURL: "https://coalition.example",
		From: "news@coalition.example", BounceAddr: "bounces@coalition.example", Transport: tr, Connections: conns})
	svc.SetArticles(articles{
		{ID: 1, Title: "Hospitals under fire: the 2026 record", Summary: "Attacks on health care rose for the third year running.", URL: "https://coalition.example/news/hospitals-2026"},
		{ID: 2, Title: "Explosive weapons in populated areas", Summary: "One year after the political declaration, what changed?", URL: "https://coalition.example/news/ewipa"},
		{ID: 3, Title: "Voices from Sudan", Summary: "Members in Darfur describe the situation in their own words.", URL: "https://coalition.example/news/sudan-voices"},
	})

	// Subscribers.
	t0 := time.Now()
	var list int64
	now := time.Now().UTC()
	if err := d.W.QueryRowContext(ctx, `INSERT INTO mailing_lists (slug, name, created_at) VALUES ('monthly', 'Monthly Newsletter', $1) RETURNING id`, now).Scan(&list); err != nil {
		return err
	}
	if _, err := d.W.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < $1)
		INSERT INTO subscribers (email, created_at, confirmed_at) SELECT 'reader' || CAST(i AS TEXT) || '@example.org', $2, $2 FROM seq`, n, now); err != nil {
		return err
	}
	if _, err := d.W.ExecContext(ctx, `INSERT INTO subscriptions (subscriber_id, list_id, status, created_at, updated_at)
		SELECT id, $1, 'active', $2, $2 FROM subscribers`, list, now); err != nil {
		return err
	}
	seed := time.Since(t0)
	c, err := svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "November 2026: the month in civilian protection", Preheader: "Hospitals, explosive weapons, Sudan",
		Body: body(), ArticleIDs: []int64{1, 2, 3}, ListIDs: []int64{list}, Archive: true}, 0)
	if err != nil {
		return err
	}
	preview, err := svc.Preview(ctx, c)
	if err != nil {
		return err
	}

	// Baseline before the campaign: go-mail alone, the same message, same
	// sink and connections (and again after it: the machine's load varies).
	msg := mail.Message{To: "reader@example.org", Subject: c.Subject, Text: preview.Text, HTML: preview.HTML,
		Headers: svc.BulkHeaders("https://coalition.example/unsubscribe/x", "Monthly Newsletter", "monthly")}
	before, beforeCPU, err := baselineRun(ctx, tr, sk, msg, conns, baselineN/2)
	if err != nil {
		return err
	}
	load0 := loadAvg()

	// The campaign.
	var wg sync.WaitGroup
	sctx, stop := context.WithCancel(ctx)
	wg.Go(func() { svc.RunSender(sctx) })
	resetPeak()
	sinkBefore := sk.n.Load()
	cpu0 := cpuTime()
	start := time.Now()
	if err := svc.Send(ctx, c.ID); err != nil {
		stop()
		return err
	}
	frozen := time.Since(start)
	for {
		got, err := svc.GetCampaign(ctx, c.ID)
		if err != nil {
			stop()
			return err
		}
		if got.Status == mail.CampaignSent {
			break
		}
		if time.Since(start) > 30*time.Minute {
			stop()
			return errors.New("campaign did not finish in 30 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(start)
	campCPU := cpuTime() - cpu0
	rss := peakRSS()
	load1 := loadAvg()
	stop()
	wg.Wait()
	stats, err := svc.Stats(ctx, c.ID)
	if err != nil {
		return err
	}
	if got := sk.n.Load() - sinkBefore; stats.Sent != n || got != int64(n) {
		return fmt.Errorf("sent %d, sink received %d, want %d", stats.Sent, got, n)
	}

	after, afterCPU, err := baselineRun(ctx, tr, sk, msg, conns, baselineN/2)
	if err != nil {
		return err
	}

	rate := float64(n) / elapsed.Seconds()
	brate := (before + after) / 2
	dbName := "SQLite"
	if pg != "" {
		dbName = "PostgreSQL"
	}
	perMsg := func(d time.Duration, k int) string {
		return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000/float64(k))
	}
	keyName := map[string]string{"rsa": "RSA-2048", "ed25519": "Ed25519"}[dkimKind]
	fmt.Fprintf(w, "### Mail: one campaign to %s subscribers — %s, DKIM %s (issue 5)\n\n", thousands(n), dbName, keyName)
	fmt.Fprintf(w, "`go run ./bench/mail -n %d -connections %d -dkim %s%s` — %s. Machine: %s; load average %s at the start of the campaign, %s at its end.\n\n",
		n, conns, dkimKind, map[bool]string{true: " -postgres URL", false: ""}[pg != ""], time.Now().Format("2006-01-02"), benchkit.Machine(), load0, load1)
	fmt.Fprintf(w, "In-process SMTP sink (go-smtp, reads and discards), %d connections, DKIM %s, message %.1f KB (HTML + text, newsletter with 3 articles). "+
		"CPU per message counts the whole process (sender, database driver and sink). The campaign goes through the sender's fast path "+
		"(internal/mail/rawmsg.go: one-pass MIME and DKIM, pipelined SMTP); the baseline through go-mail (Transport Send).\n\n", conns, keyName, float64(len(preview.HTML)+len(preview.Text))/1024)
	fmt.Fprintf(w, "| measure | messages/s | CPU per message |\n|---|---|---|\n")
	fmt.Fprintf(w, "| campaign, Send → status sent (%s messages in %s) | **%.0f** | %s |\n", thousands(n), elapsed.Round(time.Millisecond), rate, perMsg(campCPU, n))
	fmt.Fprintf(w, "| baseline: go-mail alone, same message and sink, %s messages before the campaign | %.0f | %s |\n", thousands(baselineN/2), before, perMsg(beforeCPU, baselineN/2))
	fmt.Fprintf(w, "| baseline, %s messages after the campaign | %.0f | %s |\n", thousands(baselineN/2), after, perMsg(afterCPU, baselineN/2))
	fmt.Fprintf(w, "| ratio campaign / baseline (mean of the two) | **%.0f%%** | %.0f%% |\n\n", 100*rate/brate,
		100*float64(campCPU)/float64(n)/(float64(beforeCPU+afterCPU)/float64(baselineN/2*2)))
	fmt.Fprintf(w, "- Send (freeze the body, create %s delivery rows in one INSERT … SELECT): %s, included above.\n", thousands(n), frozen.Round(time.Millisecond))
	fmt.Fprintf(w, "- %s signing alone, measured in this run (one goroutine, %d signatures): %.3f ms per signature, so at most %.0f signatures/s on %d CPUs with nothing else running.\n",
		keyName, signN, float64(signCost.Microseconds())/1000, float64(runtime.NumCPU())/signCost.Seconds(), runtime.NumCPU())
	fmt.Fprintf(w, "- Peak RSS during the campaign (whole process, sink included): **%.0f MB**.\n", rss)
	fmt.Fprintf(w, "- Seeding %s subscribers with SQL (not timed above): %s.\n\n", thousands(n), seed.Round(time.Millisecond))
	fmt.Fprintf(w, "Aim (issue 5): at least 1,000 messages/s and under 150 MB resident.\n")
	return nil
}

const signN = 300

// signingCost is the time one DKIM signature (of a SHA-256 hash) takes
// with the key in file kf.
func signingCost(kf string) (time.Duration, error) {
	b, err := os.ReadFile(kf)
	if err != nil {
		return 0, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return 0, errors.New("no PEM key")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return 0, err
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return 0, errors.New("not a signing key")
	}
	var opts crypto.SignerOpts = crypto.SHA256
	if _, ok := k.(ed25519.PrivateKey); ok {
		opts = crypto.Hash(0)
	}
	sum := sha256.Sum256([]byte("coalition"))
	best := time.Duration(1 << 62)
	for range 3 {
		t0 := time.Now()
		for range signN / 3 {
			if _, err := signer.Sign(rand.Reader, sum[:], opts); err != nil {
				return 0, err
			}
		}
		best = min(best, time.Since(t0)/time.Duration(signN/3))
	}
	return best, nil
}

// baselineRun sends count copies of msg through go-mail alone over conns
// connections and returns messages per second and the CPU time used.
func baselineRun(ctx context.Context, tr mail.Transport, sk *sink, msg mail.Message, conns, count int) (float64, time.Duration, error) {
	before := sk.n.Load()
	var next atomic.Int64
	var berr atomic.Value
	cpu0 := cpuTime()
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			conn, err := tr.Open(ctx)
			if err != nil {
				berr.Store(err)
				return
			}
			defer conn.Close()
			for next.Add(1) <= int64(count) {
				m := msg
				if err := conn.Send(&m); err != nil {
					berr.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	if e := berr.Load(); e != nil {
		return 0, 0, fmt.Errorf("baseline: %v", e)
	}
	if got := sk.n.Load() - before; got != int64(count) {
		return 0, 0, fmt.Errorf("baseline: sink received %d, want %d", got, count)
	}
	return float64(count) / elapsed.Seconds(), cpu, nil
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:1], "")
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
