package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// The campaign sender.
//
// Exactly once, as far as SMTP allows. Every recipient of a campaign has one
// row in campaign_deliveries: pending → sending (claimed by one sender) →
// sent or failed. A sender claims a small batch in one conditional UPDATE
// (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer), sends each
// message over one of its SMTP connections, and marks that one delivery
// sent in its own small UPDATE right after the server's 250 reply. A crash
// before the 250 leaves the row 'sending': when the dead sender's heartbeat
// (mail_senders) is older than SenderTimeout, another sender puts the row
// back to pending and sends it — correct, since the server never accepted
// it. The one gap SMTP cannot close is the instant between the server's 250
// and our commit: a crash exactly there sends that message again (at most
// one duplicate per connection, per crash). Message-IDs are deterministic
// ("c<campaign>.s<subscriber>@domain"), so receiving systems that
// deduplicate on them drop even that copy.
//
// A sender that is alive but silent for longer than SenderTimeout (a stalled
// database) can have its claims taken over, and instances must have clocks
// in step (NTP): both would break the guarantee above.
//
// Campaigns need --smtp: with no transport, RunSender does nothing and
// deliveries stay pending until a process with a transport runs.

const (
	senderBatch       = 50
	senderMaxAttempts = 10
	senderTick        = time.Second
)

// SenderTimeoutEnv, when set to a duration ("2s"), overrides
// Options.SenderTimeout (the crash-and-resume test uses it).
const SenderTimeoutEnv = "COALITION_MAIL_SENDER_TIMEOUT"

// retryBackoff is the wait before a delivery's next attempt.
func retryBackoff(attempts int) time.Duration {
	d := 30 * time.Second << min(max(attempts-1, 0), 7)
	return min(d, time.Hour)
}

// sender is one run of RunSender.
type sender struct {
	s      *Service
	id     string
	lim    *rate.Limiter
	hourly *hourCap
	batch  int

	mu        sync.Mutex
	campaigns map[int64]*frozenCampaign
	openFails int
	paused    time.Time // real time before which no connection is tried
	sentStmt  *sql.Stmt // markSent's statement, prepared on first use
}

// piece is a run of a frozen body: literal text, or a per-recipient link.
type piece struct {
	lit string
	ph  byte // 0 literal, 'p' preferences URL, 'u' unsubscribe URL
}

type frozenCampaign struct {
	id                 int64
	subject            string
	html, text         []piece
	htmlLen, textLen   int
	listName, listSlug string
	err                error
}

func splitFrozen(body string) ([]piece, int) {
	var out []piece
	for body != "" {
		i, j := strings.Index(body, placeholderPrefs), strings.Index(body, placeholderUnsub)
		switch {
		case i < 0 && j < 0:
			out = append(out, piece{lit: body})
			body = ""
		case j < 0 || (i >= 0 && i < j):
			out = append(out, piece{lit: body[:i]}, piece{ph: 'p'})
			body = body[i+len(placeholderPrefs):]
		default:
			out = append(out, piece{lit: body[:j]}, piece{ph: 'u'})
			body = body[j+len(placeholderUnsub):]
		}
	}
	n := 0
	for _, p := range out {
		n += len(p.lit)
	}
	return out, n
}

func join(ps []piece, n int, prefs, unsub string) string {
	var b strings.Builder
	b.Grow(n + 2*len(unsub) + 2*len(prefs))
	for _, p := range ps {
		switch p.ph {
		case 'p':
			b.WriteString(prefs)
		case 'u':
			b.WriteString(unsub)
		default:
			b.WriteString(p.lit)
		}
	}
	return b.String()
}

// RunSender is the background sender: it starts scheduled campaigns when
// due, claims deliveries (SKIP LOCKED on PostgreSQL), sends them over a pool
// of SMTP connections at the configured rate, records each one's state,
// retries temporary failures with backoff, and marks campaigns sent.
// Without a transport (no --smtp) it does nothing.
func (s *Service) RunSender(ctx context.Context) {
	if s.o.Transport == nil {
		<-ctx.Done()
		return
	}
	if v := os.Getenv(SenderTimeoutEnv); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			s.o.SenderTimeout = d
		}
	}
	snd := &sender{s: s, id: s.o.SenderID, batch: senderBatch}
	if r := s.o.RatePerSec; r > 0 {
		snd.lim = rate.NewLimiter(rate.Limit(r), max(1, int(r)))
		snd.batch = min(senderBatch, max(1, int(2*r)/s.o.Connections))
	}
	if s.o.RatePerHour > 0 {
		snd.hourly = &hourCap{limit: s.o.RatePerHour}
	}
	snd.run(ctx)
}

// SenderID is this process's id among senders.
func (s *Service) SenderID() string { return s.o.SenderID }

func (snd *sender) run(ctx context.Context) {
	s := snd.s
	every := min(5*time.Second, s.o.SenderTimeout/3)
	snd.beat(ctx)
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				snd.beat(ctx)
			}
		}
	}()
	t := time.NewTicker(senderTick)
	defer t.Stop()
	for {
		snd.startDue(ctx)
		snd.drain(ctx)
		snd.finishCampaigns(ctx)
		select {
		case <-ctx.Done():
			<-hbDone
			snd.stop()
			return
		case <-t.C:
		case <-s.kick:
		}
	}
}

// beat records that this sender is alive and hands back the claims of
// senders that are not.
func (snd *sender) beat(ctx context.Context) {
	s := snd.s
	now := s.now()
	if _, err := s.db.W.ExecContext(ctx, `INSERT INTO mail_senders (id, heartbeat_at) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`, snd.id, now); err != nil {
		if ctx.Err() == nil {
			s.log.Warn("mail sender heartbeat", "err", err)
		}
		return
	}
	res, err := s.db.W.ExecContext(ctx, `UPDATE campaign_deliveries SET status = 'pending', sender_id = '', next_attempt_at = $1
		WHERE status = 'sending' AND sender_id <> $2 AND sender_id NOT IN (SELECT id FROM mail_senders WHERE heartbeat_at >= $3)`,
		now, snd.id, now.Add(-s.o.SenderTimeout))
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("mail sender takeover", "err", err)
		}
		return
	}
	if n, _ := res.RowsAffected(); n > 0 {
		s.log.Warn("took over deliveries of a sender that stopped", "deliveries", n)
		s.Kick()
	}
	_, _ = s.db.W.ExecContext(ctx, "DELETE FROM mail_senders WHERE heartbeat_at < $1", now.Add(-24*time.Hour)) //nolint:errcheck // housekeeping
}

// stop hands back what this sender claimed but did not try, and leaves.
func (snd *sender) stop() {
	s := snd.s
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.db.W.ExecContext(ctx, `UPDATE campaign_deliveries SET status = 'pending', sender_id = ''
		WHERE status = 'sending' AND sender_id = $1`, snd.id); err != nil {
		s.log.Warn("mail sender release", "err", err)
	}
	_, _ = s.db.W.ExecContext(ctx, "DELETE FROM mail_senders WHERE id = $1", snd.id) //nolint:errcheck // it times out anyway
	snd.mu.Lock()
	if snd.sentStmt != nil {
		_ = snd.sentStmt.Close() //nolint:errcheck // done with it
		snd.sentStmt = nil
	}
	snd.mu.Unlock()
}

// startDue starts scheduled campaigns whose time has come; the conditional
// UPDATE in start makes that happen once across instances.
func (snd *sender) startDue(ctx context.Context) {
	s := snd.s
	rows, err := s.db.R.QueryContext(ctx, "SELECT id FROM campaigns WHERE status = 'scheduled' AND scheduled_at <= $1 ORDER BY scheduled_at", s.now())
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("due campaigns", "err", err)
		}
		return
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	for _, id := range ids {
		if _, err := s.start(ctx, id, true); err != nil && ctx.Err() == nil {
			s.log.Error("start scheduled campaign", "campaign", id, "err", err)
		}
	}
}

// finishCampaigns marks sending campaigns with nothing left to send as sent.
func (snd *sender) finishCampaigns(ctx context.Context) {
	s := snd.s
	now := s.now()
	res, err := s.db.W.ExecContext(ctx, `UPDATE campaigns SET status = 'sent', finished_at = $1, updated_at = $1
		WHERE status = 'sending' AND NOT EXISTS (SELECT 1 FROM campaign_deliveries d
			WHERE d.campaign_id = campaigns.id AND d.status IN ('pending', 'sending'))`, now)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("finish campaigns", "err", err)
		}
		return
	}
	if n, _ := res.RowsAffected(); n > 0 {
		s.log.Info("campaigns sent", "count", n)
	}
}

// delivery is one claimed recipient.
type delivery struct {
	cid, sid int64
	attempts int
	email    string
	version  int
	skip     string // why it is no longer sent (suppressed, unsubscribed)
}

// claim takes up to n due deliveries of sending campaigns for this sender.
func (snd *sender) claim(ctx context.Context, n int) ([]delivery, error) {
	s := snd.s
	now := s.now()
	rows, err := s.db.W.QueryContext(ctx, `UPDATE campaign_deliveries SET status = 'sending', sender_id = $1, claimed_at = $2, attempts = attempts + 1
		WHERE (campaign_id, subscriber_id) IN (SELECT d.campaign_id, d.subscriber_id FROM campaign_deliveries d
			WHERE d.status = 'pending' AND d.next_attempt_at <= $2
			  AND d.campaign_id IN (SELECT c.id FROM campaigns c WHERE c.status = 'sending')
			LIMIT $3`+s.db.SkipLocked()+`)
		RETURNING campaign_id, subscriber_id, attempts`, snd.id, now, n)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	var out []delivery
	for rows.Next() {
		var d delivery
		if err := rows.Scan(&d.cid, &d.sid, &d.attempts); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	// The recipients, checked again: an address suppressed or unsubscribed
	// since the campaign started gets nothing.
	byCampaign := map[int64][]int{}
	for i, d := range out {
		byCampaign[d.cid] = append(byCampaign[d.cid], i)
	}
	for cid, idx := range byCampaign {
		ids := make([]int64, len(idx))
		pos := map[int64]int{}
		for k, i := range idx {
			ids[k] = out[i].sid
			pos[out[i].sid] = i
		}
		q := `SELECT s.id, s.email, s.token_version, s.suppressed_at IS NOT NULL,
			EXISTS (SELECT 1 FROM subscriptions sub JOIN campaign_lists cl ON cl.list_id = sub.list_id AND cl.campaign_id = $1
				WHERE sub.subscriber_id = s.id AND sub.status = 'active')
			FROM subscribers s WHERE s.id IN (` + placeholders(2, len(ids)) + `)`
		rs, err := s.db.R.QueryContext(ctx, q, append([]any{cid}, idArgs(ids)...)...)
		if err != nil {
			snd.release(out, "")
			return nil, fmt.Errorf("claimed recipients: %w", err)
		}
		for rs.Next() {
			var id int64
			var email string
			var version int
			var suppressed, active bool
			if err := rs.Scan(&id, &email, &version, &suppressed, &active); err != nil {
				rs.Close()
				snd.release(out, "")
				return nil, err
			}
			d := &out[pos[id]]
			d.email, d.version = email, version
			switch {
			case suppressed:
				d.skip = "skipped: address suppressed"
			case !active:
				d.skip = "skipped: unsubscribed before sending"
			}
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			snd.release(out, "")
			return nil, err
		}
	}
	return out, nil
}

// release puts claimed deliveries back to pending, due at once, without
// counting the attempt (nothing was tried).
func (snd *sender) release(ds []delivery, why string) {
	s := snd.s
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, d := range ds {
		if _, err := s.db.W.ExecContext(ctx, `UPDATE campaign_deliveries SET status = 'pending', sender_id = '', attempts = attempts - 1,
			next_attempt_at = $1, last_error = CASE WHEN CAST($2 AS TEXT) = '' THEN last_error ELSE CAST($2 AS TEXT) END
			WHERE campaign_id = $3 AND subscriber_id = $4 AND status = 'sending' AND sender_id = $5`, s.now(), why, d.cid, d.sid, snd.id); err != nil {
			s.log.Error("release delivery", "campaign", d.cid, "subscriber", d.sid, "err", err)
		}
	}
}

// frozen returns a sending campaign's frozen parts, loaded once per drain.
func (snd *sender) frozen(ctx context.Context, cid int64) *frozenCampaign {
	snd.mu.Lock()
	fc, ok := snd.campaigns[cid]
	snd.mu.Unlock()
	if ok {
		return fc
	}
	s := snd.s
	fc = &frozenCampaign{id: cid}
	var h, t string
	fc.err = s.db.R.QueryRowContext(ctx, "SELECT subject, html_body, text_body FROM campaigns WHERE id = $1", cid).Scan(&fc.subject, &h, &t)
	if fc.err == nil {
		fc.err = s.db.R.QueryRowContext(ctx, `SELECT l.name, l.slug FROM mailing_lists l JOIN campaign_lists cl ON cl.list_id = l.id
			WHERE cl.campaign_id = $1 ORDER BY l.position, l.id LIMIT 1`, cid).Scan(&fc.listName, &fc.listSlug)
	}
	if fc.err == nil && (h == "" || t == "") {
		fc.err = errors.New("campaign has no frozen body")
	}
	fc.html, fc.htmlLen = splitFrozen(h)
	fc.text, fc.textLen = splitFrozen(t)
	if fc.err != nil && ctx.Err() != nil {
		return fc // not cached: try again next time
	}
	snd.mu.Lock()
	snd.campaigns[cid] = fc
	snd.mu.Unlock()
	return fc
}

// message builds one recipient's copy.
func (snd *sender) message(ctx context.Context, fc *frozenCampaign, d delivery) (*Message, error) {
	s := snd.s
	sub := Subscriber{ID: d.sid, TokenVersion: d.version}
	unsub, err := s.UnsubscribeURL(ctx, sub, "c"+strconv.FormatInt(d.cid, 10))
	if err != nil {
		return nil, err
	}
	prefs, err := s.PreferencesURL(ctx, sub)
	if err != nil {
		return nil, err
	}
	h := s.BulkHeaders(unsub, fc.listName, fc.listSlug)
	dom := domainOf(s.o.From)
	h["Feedback-ID"] = "c" + strconv.FormatInt(d.cid, 10) + ":newsletter:" + dom
	return &Message{
		To:        d.email,
		Subject:   fc.subject,
		Text:      join(fc.text, fc.textLen, prefs, unsub),
		HTML:      s.withOpenPixel(ctx, d.cid, sub, join(fc.html, fc.htmlLen, html.EscapeString(prefs), html.EscapeString(unsub))),
		Headers:   h,
		MessageID: CampaignMessageID(d.cid, d.sid, dom),
	}, nil
}

// CampaignMessageID is the Message-ID of a campaign's copy for one
// subscriber: the same on every attempt.
func CampaignMessageID(campaignID, subscriberID int64, domain string) string {
	return "c" + strconv.FormatInt(campaignID, 10) + ".s" + strconv.FormatInt(subscriberID, 10) + "@" + domain
}

// drain sends until no delivery is due, over Connections workers.
func (snd *sender) drain(ctx context.Context) {
	snd.mu.Lock()
	snd.campaigns = map[int64]*frozenCampaign{}
	paused := time.Now().Before(snd.paused)
	snd.mu.Unlock()
	if paused {
		return
	}
	var wg sync.WaitGroup
	for range snd.s.o.Connections {
		wg.Go(func() { snd.worker(ctx) })
	}
	wg.Wait()
}

// worker claims batches and sends them over one connection, reopened after
// an error, until nothing is due, the server is unreachable, or ctx ends.
func (snd *sender) worker(ctx context.Context) {
	s := snd.s
	var conn Conn
	var buf []byte // rendered messages (rawmsg.go), reused
	defer func() {
		if conn != nil {
			_ = conn.Close() //nolint:errcheck // done with it
		}
	}()
	for ctx.Err() == nil {
		snd.mu.Lock()
		paused := time.Now().Before(snd.paused)
		snd.mu.Unlock()
		if paused {
			return
		}
		batch, err := snd.claim(ctx, snd.batch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("mail sender", "err", err)
			}
			return
		}
		if len(batch) == 0 {
			return
		}
		for i, d := range batch {
			if ctx.Err() != nil {
				snd.release(batch[i:], "")
				return
			}
			if d.email == "" {
				continue // the subscriber was erased; its delivery went with it
			}
			if d.skip != "" {
				snd.finish(d, errors.New(d.skip), false)
				continue
			}
			fc := snd.frozen(ctx, d.cid)
			if fc.err != nil {
				s.log.Error("campaign body", "campaign", d.cid, "err", fc.err)
				snd.release(batch[i:], "")
				return
			}
			m, err := snd.message(ctx, fc, d)
			if err != nil {
				snd.release(batch[i:], "")
				return
			}
			if err := snd.wait(ctx); err != nil {
				snd.release(batch[i:], "")
				return
			}
			if conn == nil {
				c, err := s.o.Transport.Open(ctx)
				if err != nil {
					snd.serverDown(err)
					snd.release(batch[i:], clip(err.Error()))
					return
				}
				snd.serverUp()
				conn = c
			}
			err = sendMessage(conn, m, &buf)
			snd.finish(d, err, true)
			if err != nil {
				_ = conn.Close() //nolint:errcheck // reopened for the next message
				conn = nil
			}
		}
	}
}

// serverDown pauses the sender after a failed connection: 1 s, doubling up
// to a minute, so that a server that is down costs no delivery an attempt.
func (snd *sender) serverDown(err error) {
	snd.mu.Lock()
	defer snd.mu.Unlock()
	snd.openFails++
	d := min(time.Second<<min(snd.openFails-1, 6), time.Minute)
	snd.paused = time.Now().Add(d)
	snd.s.log.Warn("mail server unreachable; deliveries wait", "retry_in", d.String(), "err", err)
}

func (snd *sender) serverUp() {
	snd.mu.Lock()
	snd.openFails = 0
	snd.mu.Unlock()
}

// wait applies the per-second and per-hour limits.
func (snd *sender) wait(ctx context.Context) error {
	if snd.lim != nil {
		if err := snd.lim.Wait(ctx); err != nil {
			return err
		}
	}
	if snd.hourly != nil {
		return snd.hourly.wait(ctx)
	}
	return nil
}

// hardBounce recognises a 5xx reply about the address itself (RFC 3463
// 5.1.x: no such mailbox, bad domain, …).
var hardBounce = regexp.MustCompile(`\b5\.1\.\d{1,3}\b`)

// finish records the outcome of one delivery, each in its own UPDATE right
// after the server's reply: sent; a temporary failure back to pending with
// exponential backoff; a permanent one failed (and a hard bounce recorded
// against the address).
func (snd *sender) finish(d delivery, sendErr error, tried bool) {
	s := snd.s
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := s.now()
	var err error
	switch {
	case sendErr == nil:
		err = snd.markSent(ctx, d, now)
	case tried && IsTemporary(sendErr) && d.attempts < senderMaxAttempts:
		_, err = s.db.W.ExecContext(ctx, `UPDATE campaign_deliveries SET status = 'pending', sender_id = '', next_attempt_at = $1, last_error = $2
			WHERE campaign_id = $3 AND subscriber_id = $4`, now.Add(retryBackoff(d.attempts)), clip(sendErr.Error()), d.cid, d.sid)
		s.log.Warn("campaign delivery deferred", "campaign", d.cid, "subscriber", d.sid, "attempt", d.attempts, "err", sendErr)
	default:
		msg := sendErr.Error()
		if tried && IsTemporary(sendErr) {
			msg = fmt.Sprintf("gave up after %d attempts: %s", d.attempts, msg)
		}
		_, err = s.db.W.ExecContext(ctx, `UPDATE campaign_deliveries SET status = 'failed', sender_id = '', last_error = $1
			WHERE campaign_id = $2 AND subscriber_id = $3`, clip(msg), d.cid, d.sid)
		if tried {
			s.log.Warn("campaign delivery failed", "campaign", d.cid, "subscriber", d.sid, "err", sendErr)
		}
		if tried && !IsTemporary(sendErr) && hardBounce.MatchString(msg) {
			if err := s.RecordBounces(ctx, []Bounce{{At: now, Email: d.email, Kind: BounceHard, Source: "smtp", CampaignID: d.cid, Detail: clip(msg)}}); err != nil {
				s.log.Error("record bounce", "err", err)
			}
		}
	}
	if err != nil {
		s.log.Error("campaign delivery state", "campaign", d.cid, "subscriber", d.sid, "err", err)
	}
}

const markSentSQL = `UPDATE campaign_deliveries SET status = 'sent', sent_at = $1, last_error = ''
	WHERE campaign_id = $2 AND subscriber_id = $3`

// markSent records one delivery as sent, with a statement prepared once
// per run (preparing it each time cost SQLite as much as running it).
func (snd *sender) markSent(ctx context.Context, d delivery, now time.Time) error {
	snd.mu.Lock()
	st := snd.sentStmt
	if st == nil {
		var err error
		if st, err = snd.s.db.W.PrepareContext(ctx, markSentSQL); err != nil {
			snd.mu.Unlock()
			_, err = snd.s.db.W.ExecContext(ctx, markSentSQL, now, d.cid, d.sid)
			return err
		}
		snd.sentStmt = st
	}
	snd.mu.Unlock()
	_, err := st.ExecContext(ctx, now, d.cid, d.sid)
	return err
}

// hourCap lets at most limit messages through in any sliding hour.
type hourCap struct {
	mu    sync.Mutex
	limit int
	times []time.Time // ring of the last limit send times
	head  int
}

func (h *hourCap) wait(ctx context.Context) error {
	for {
		h.mu.Lock()
		now := time.Now()
		if len(h.times) < h.limit {
			h.times = append(h.times, now)
			h.mu.Unlock()
			return nil
		}
		until := h.times[h.head].Add(time.Hour)
		if !now.Before(until) {
			h.times[h.head] = now
			h.head = (h.head + 1) % h.limit
			h.mu.Unlock()
			return nil
		}
		h.mu.Unlock()
		t := time.NewTimer(until.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Kick wakes the sender.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}
