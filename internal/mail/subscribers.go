package mail

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/slug"
)

const (
	confirmValidity = 7 * 24 * time.Hour // life of a confirmation link
	resendAfter     = 5 * time.Minute    // no second confirmation mail sooner
	maxNameLen      = 200
	maxEmailLen     = 254
	maxConsentLen   = 10000
	maxSourceLen    = 300
)

// subQuerier is what *sql.DB and *sql.Tx share: reads run on d.R outside a
// transaction and on the tx inside one.
type subQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ---------------------------------------------------------------- lists

const listCols = "l.id, l.slug, l.name, l.description, l.members_only, l.position"

func scanMailingList(r interface{ Scan(...any) error }, extra ...any) (List, error) {
	var l List
	err := r.Scan(append([]any{&l.ID, &l.Slug, &l.Name, &l.Description, &l.MembersOnly, &l.Position}, extra...)...)
	return l, err
}

func (s *Service) queryLists(ctx context.Context, where string, args ...any) ([]List, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+listCols+`,
		(SELECT COUNT(*) FROM subscriptions su JOIN subscribers sb ON sb.id = su.subscriber_id
			WHERE su.list_id = l.id AND su.status = 'active' AND sb.confirmed_at IS NOT NULL),
		(SELECT COUNT(*) FROM subscriptions su WHERE su.list_id = l.id AND su.status = 'pending')
		FROM mailing_lists l WHERE `+where+` ORDER BY l.position, l.name, l.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("lists: %w", err)
	}
	defer rows.Close()
	var out []List
	for rows.Next() {
		var active, pending int64
		l, err := scanMailingList(rows, &active, &pending)
		if err != nil {
			return nil, fmt.Errorf("lists: %w", err)
		}
		l.Active, l.Pending = int(active), int(pending)
		out = append(out, l)
	}
	return out, rows.Err()
}

// Lists returns every list with its counts, in position order.
func (s *Service) Lists(ctx context.Context) ([]List, error) { return s.queryLists(ctx, "TRUE") }

// OfferedLists returns the lists a visitor may choose on the subscribe form:
// public lists, plus members-only lists when member is true.
func (s *Service) OfferedLists(ctx context.Context, member bool) ([]List, error) {
	if member {
		return s.queryLists(ctx, "TRUE")
	}
	return s.queryLists(ctx, "l.members_only = FALSE")
}

// GetList returns one list.
func (s *Service) GetList(ctx context.Context, id int64) (List, error) {
	ls, err := s.queryLists(ctx, "l.id = $1", id)
	if err != nil {
		return List{}, err
	}
	if len(ls) == 0 {
		return List{}, errs.ErrNotFound
	}
	return ls[0], nil
}

func (in *ListInput) clean() error {
	in.Name = oneLine(in.Name)
	in.Slug = strings.TrimSpace(in.Slug)
	in.Description = strings.TrimSpace(cleanText(in.Description))
	switch {
	case in.Name == "":
		return errs.Invalid("name", "Give the list a name.")
	case utf8.RuneCountInString(in.Name) > maxNameLen:
		return errs.Invalid("name", "Use at most 200 characters.")
	case utf8.RuneCountInString(in.Description) > 2000:
		return errs.Invalid("description", "Use at most 2,000 characters.")
	}
	if in.Slug == "" {
		in.Slug = slug.Make(in.Name, 80)
		if in.Slug == "" {
			in.Slug = "list"
		}
	} else if !slug.Valid(in.Slug) {
		return errs.Invalid("slug", "Use lower-case letters, digits and single hyphens.")
	}
	return nil
}

// CreateList adds a list (errs.Invalid on a missing name or taken slug).
func (s *Service) CreateList(ctx context.Context, in ListInput) (List, error) {
	if err := in.clean(); err != nil {
		return List{}, err
	}
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO mailing_lists (slug, name, description, members_only, position, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, in.Slug, in.Name, in.Description, in.MembersOnly, in.Position, s.now()).Scan(&id)
	})
	if db.IsUnique(err) {
		return List{}, errs.Invalid("slug", "Another list already uses this address; choose another.")
	}
	if err != nil {
		return List{}, fmt.Errorf("create list: %w", db.Classify(err))
	}
	return s.GetList(ctx, id)
}

// UpdateList changes a list.
func (s *Service) UpdateList(ctx context.Context, id int64, in ListInput) error {
	if err := in.clean(); err != nil {
		return err
	}
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mailing_lists SET slug = $1, name = $2, description = $3, members_only = $4, position = $5
			WHERE id = $6`, in.Slug, in.Name, in.Description, in.MembersOnly, in.Position, id)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if db.IsUnique(err) {
		return errs.Invalid("slug", "Another list already uses this address; choose another.")
	}
	if err != nil {
		return fmt.Errorf("update list: %w", db.Classify(err))
	}
	if n == 0 {
		return errs.ErrNotFound
	}
	return nil
}

// DeleteList removes a list and its subscriptions (errs.Invalid while a
// scheduled or sending campaign targets it).
func (s *Service) DeleteList(ctx context.Context, id int64) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var busy int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM campaign_lists cl JOIN campaigns c ON c.id = cl.campaign_id
			WHERE cl.list_id = $1 AND c.status IN ('scheduled', 'sending')`, id).Scan(&busy); err != nil {
			return err
		}
		if busy > 0 {
			return errs.Invalid("list", "A scheduled or sending campaign goes to this list; cancel it or let it finish first.")
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM mailing_lists WHERE id = $1", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete list: %w", db.Classify(err))
	}
	return nil
}

// listsByID returns the lists among ids (each once, in position order), or
// errs.Invalid("lists", …) if one is unknown.
func (s *Service) listsByID(ctx context.Context, ids []int64) ([]List, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	all, err := s.queryLists(ctx, "TRUE")
	if err != nil {
		return nil, err
	}
	want := map[int64]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []List
	for _, l := range all {
		if want[l.ID] {
			out = append(out, l)
			delete(want, l.ID)
		}
	}
	if len(want) > 0 {
		return nil, errs.Invalid("lists", "One of the chosen lists does not exist (any more).")
	}
	return out, nil
}

// tagRef is a followed tag.
type tagRef struct {
	ID   int64
	Name string
}

// tagsByID checks tag ids for follows.
func (s *Service) tagsByID(ctx context.Context, ids []int64) ([]tagRef, error) {
	ids = uniqIDs(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	ph, args := subIDArgs(ids, 0)
	rows, err := s.db.R.QueryContext(ctx, "SELECT id, name FROM tags WHERE id IN ("+ph+") ORDER BY name", args...)
	if err != nil {
		return nil, fmt.Errorf("follow tags: %w", err)
	}
	defer rows.Close()
	var out []tagRef
	for rows.Next() {
		var t tagRef
		if err := rows.Scan(&t.ID, &t.Name); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) != len(ids) {
		return nil, errs.Invalid("follows", "One of the chosen topics does not exist (any more).")
	}
	return out, nil
}

func uniqIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// subIDArgs returns "$k+1, $k+2, …" and the ids as arguments.
func subIDArgs(ids []int64, k int) (string, []any) {
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = "$" + strconv.Itoa(k+i+1)
		args[i] = id
	}
	return strings.Join(ph, ", "), args
}

// describeLists is the "lists" column of a consent row.
func describeLists(lists []List, follows []tagRef) string {
	var names []string
	for _, l := range lists {
		names = append(names, l.Name)
	}
	out := strings.Join(names, ", ")
	if len(follows) > 0 {
		var f []string
		for _, t := range follows {
			f = append(f, t.Name)
		}
		if out != "" {
			out += "; "
		}
		out += "alerts: " + strings.Join(f, ", ")
	}
	return out
}

// ---------------------------------------------------------------- input checks

// NormaliseEmail checks an address typed by someone and returns it
// lower-cased (errs.Invalid("email", …) when it is not an address).
func NormaliseEmail(raw string) (string, error) {
	v := strings.TrimSpace(raw)
	if v == "" {
		return "", errs.Invalid("email", "Enter your e-mail address.")
	}
	if strings.ContainsAny(v, "\r\n") {
		return "", errs.Invalid("email", "Line breaks are not allowed here.")
	}
	if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return "", errs.Invalid("email", "This does not look like an e-mail address.")
	}
	a, err := netmail.ParseAddress(v)
	if err != nil {
		return "", errs.Invalid("email", "This does not look like an e-mail address.")
	}
	e := strings.ToLower(a.Address)
	at := strings.LastIndexByte(e, '@')
	if at <= 0 || !strings.Contains(e[at+1:], ".") || strings.ContainsAny(e, " \t<>,;\"") {
		return "", errs.Invalid("email", "This does not look like an e-mail address.")
	}
	if len(e) > maxEmailLen {
		return "", errs.Invalid("email", "This address is too long.")
	}
	return e, nil
}

// cleanText makes text from a form or a file storable by both databases:
// valid UTF-8 with no NUL bytes.
func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// oneLine is cleanText on one line, with runs of spaces and control
// characters made one space.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, cleanText(s))
	return strings.Join(strings.Fields(s), " ")
}

func cleanName(raw string) (string, error) {
	n := oneLine(raw)
	if utf8.RuneCountInString(n) > maxNameLen {
		return "", errs.Invalid("name", "Use at most 200 characters.")
	}
	return n, nil
}

func cleanFrequency(f string) (string, error) {
	switch f = strings.TrimSpace(f); f {
	case "", FrequencyInstant:
		return FrequencyInstant, nil
	case FrequencyDaily:
		return FrequencyDaily, nil
	}
	return "", errs.Invalid("frequency", "Choose at once or a daily digest.")
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// ---------------------------------------------------------------- subscribers

const subscriberCols = "s.id, s.email, s.name, s.created_at, s.confirmed_at, s.suppressed_at, s.suppress_reason, s.alert_frequency, s.token_version"

func scanSubscriber(r interface{ Scan(...any) error }, extra ...any) (Subscriber, error) {
	var sub Subscriber
	var conf, supp sql.NullTime
	err := r.Scan(append([]any{&sub.ID, &sub.Email, &sub.Name, &sub.CreatedAt, &conf, &supp, &sub.SuppressReason, &sub.Frequency, &sub.TokenVersion}, extra...)...)
	if err != nil {
		return sub, err
	}
	sub.CreatedAt = sub.CreatedAt.UTC()
	if conf.Valid {
		sub.ConfirmedAt = conf.Time.UTC()
	}
	if supp.Valid {
		sub.SuppressedAt = supp.Time.UTC()
	}
	return sub, nil
}

func getSubscriber(ctx context.Context, q subQuerier, id int64) (Subscriber, error) {
	sub, err := scanSubscriber(q.QueryRowContext(ctx, "SELECT "+subscriberCols+" FROM subscribers s WHERE s.id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return sub, errs.ErrNotFound
	}
	if err != nil {
		return sub, fmt.Errorf("subscriber %d: %w", id, err)
	}
	return sub, nil
}

// mailEnv is what writing a message needs, read before a write transaction
// opens (with SQLite nothing else may be read while it is open).
type mailEnv struct {
	key          []byte
	org, address string
}

func (s *Service) mailEnv(ctx context.Context) (mailEnv, error) {
	k, err := s.linkKey(ctx)
	if err != nil {
		return mailEnv{}, err
	}
	set, err := s.settings.Get(ctx)
	if err != nil {
		return mailEnv{}, err
	}
	return mailEnv{key: k, org: set.OrgName, address: set.PostalAddress}, nil
}

func (e mailEnv) prefsURL(base string, sub Subscriber) string {
	return base + "/subscribe/manage/" + sign(e.key, PurposePrefs, sub.ID, sub.TokenVersion, "")
}

func (e mailEnv) unsubURL(base string, sub Subscriber, scope string) string {
	return base + "/unsubscribe/" + sign(e.key, PurposeUnsub, sub.ID, sub.TokenVersion, scope)
}

// addConsent appends to a subscriber's consent record.
func addConsent(ctx context.Context, tx *sql.Tx, sid int64, at time.Time, action, source, text, lists string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO subscriber_consents (subscriber_id, created_at, action, source, consent_text, lists)
		VALUES ($1, $2, $3, $4, $5, $6)`, sid, at, action, clipRunes(oneLine(source), maxSourceLen), clipRunes(cleanText(text), maxConsentLen), lists)
	if err != nil {
		return fmt.Errorf("consent record: %w", err)
	}
	return nil
}

// SubscribeInput is a sign-up from a form, the donate form or the API.
type SubscribeInput struct {
	Email       string
	Name        string
	ListIDs     []int64
	Follows     []int64 // tag ids to follow for alerts (optional)
	Frequency   string  // instant (default) or daily
	Source      string  // page path the form was on, "donate", "api"…
	ConsentText string  // exactly as shown next to the form
	Member      bool    // a signed-in member (may choose members-only lists)
}

// signup is one validated addition, from a form, the API or an import.
type signup struct {
	email, name, frequency string
	lists                  []List
	follows                []tagRef
	confirmed              bool   // consent obtained elsewhere: active at once, no mail
	action, source, text   string // consent record
}

// signupResult says what applying a signup did.
type signupResult struct {
	sub     Subscriber
	created bool
	blocked int  // lists left earlier and not re-joined (confirmed additions)
	mailed  bool // a confirmation mail was queued
}

// Subscribe records pending subscriptions (and follows), the consent, and
// queues a confirmation e-mail with a signed link (double opt-in). It
// answers the same whether or not the address is known, never reveals
// subscriptions, and does not resend a confirmation within 5 minutes.
// errs.Invalid for a bad address, no list and no follow, an unknown list,
// or a members-only list for a non-member.
func (s *Service) Subscribe(ctx context.Context, in SubscribeInput) error {
	email, err := NormaliseEmail(in.Email)
	if err != nil {
		return err
	}
	name, err := cleanName(in.Name)
	if err != nil {
		return err
	}
	freq, err := cleanFrequency(in.Frequency)
	if err != nil {
		return err
	}
	lists, err := s.listsByID(ctx, in.ListIDs)
	if err != nil {
		return err
	}
	for _, l := range lists {
		if l.MembersOnly && !in.Member {
			return errs.Invalid("lists", fmt.Sprintf("%q is for members: sign in to subscribe to it.", l.Name))
		}
	}
	follows, err := s.tagsByID(ctx, in.Follows)
	if err != nil {
		return err
	}
	if len(lists) == 0 && len(follows) == 0 {
		return errs.Invalid("lists", "Choose at least one list or topic.")
	}
	env, err := s.mailEnv(ctx)
	if err != nil {
		return err
	}
	su := signup{email: email, name: name, frequency: freq, lists: lists, follows: follows,
		action: "subscribe", source: strings.TrimSpace(in.Source), text: in.ConsentText}
	var res signupResult
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err = s.applySignup(ctx, tx, env, su)
		return err
	})
	if err != nil {
		return fmt.Errorf("subscribe: %w", db.Classify(err))
	}
	if res.mailed {
		s.outbox.Kick()
	}
	return nil
}

// applySignup upserts the subscriber, its subscriptions and follows, records
// the consent and (unless confirmed) queues the confirmation mail, inside tx.
func (s *Service) applySignup(ctx context.Context, tx *sql.Tx, env mailEnv, su signup) (signupResult, error) {
	now := s.now()
	var res signupResult
	var sentAt sql.NullTime
	sub, err := scanSubscriber(tx.QueryRowContext(ctx, "SELECT "+subscriberCols+", s.confirm_sent_at FROM subscribers s WHERE s.email = $1", su.email), &sentAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		var conf any
		if su.confirmed {
			conf = now
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO subscribers (email, name, created_at, confirmed_at, alert_frequency)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, su.email, su.name, now, conf, su.frequency).Scan(&sub.ID); err != nil {
			return res, fmt.Errorf("add subscriber: %w", err)
		}
		sub = Subscriber{ID: sub.ID, Email: su.email, Name: su.name, CreatedAt: now, Frequency: su.frequency, TokenVersion: 1}
		if su.confirmed {
			sub.ConfirmedAt = now
		}
		res.created = true
	case err != nil:
		return res, fmt.Errorf("find subscriber: %w", err)
	default:
		// Someone else may have typed the address: a form never changes a
		// confirmed subscriber's settings, only adds what waits for the link.
		trusted := su.confirmed || !sub.Confirmed()
		if su.name != "" && (sub.Name == "" || trusted) && su.name != sub.Name {
			sub.Name = su.name
			if _, err := tx.ExecContext(ctx, "UPDATE subscribers SET name = $1 WHERE id = $2", su.name, sub.ID); err != nil {
				return res, fmt.Errorf("update subscriber: %w", err)
			}
		}
		if len(su.follows) > 0 && trusted && su.frequency != sub.Frequency {
			sub.Frequency = su.frequency
			if _, err := tx.ExecContext(ctx, "UPDATE subscribers SET alert_frequency = $1 WHERE id = $2", su.frequency, sub.ID); err != nil {
				return res, fmt.Errorf("update subscriber: %w", err)
			}
		}
		if su.confirmed && !sub.Confirmed() {
			sub.ConfirmedAt = now
			if _, err := tx.ExecContext(ctx, "UPDATE subscribers SET confirmed_at = $1 WHERE id = $2", now, sub.ID); err != nil {
				return res, fmt.Errorf("confirm subscriber: %w", err)
			}
		}
	}
	res.sub = sub

	for _, l := range su.lists {
		status := ""
		if !res.created {
			err := tx.QueryRowContext(ctx, "SELECT status FROM subscriptions WHERE subscriber_id = $1 AND list_id = $2", sub.ID, l.ID).Scan(&status)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return res, fmt.Errorf("subscription: %w", err)
			}
		}
		want := SubPending
		if su.confirmed {
			want = SubActive
		}
		switch {
		case status == "":
			_, err = tx.ExecContext(ctx, `INSERT INTO subscriptions (subscriber_id, list_id, status, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $4)`, sub.ID, l.ID, want, now)
		case status == SubActive:
			continue
		case status == SubUnsubscribed && su.confirmed:
			// Someone who left is not put back by an import or the API;
			// a new subscription through the form (with its link) does.
			res.blocked++
			continue
		case status == want:
			continue
		default:
			_, err = tx.ExecContext(ctx, "UPDATE subscriptions SET status = $1, updated_at = $2 WHERE subscriber_id = $3 AND list_id = $4",
				want, now, sub.ID, l.ID)
		}
		if err != nil {
			return res, fmt.Errorf("subscription: %w", err)
		}
	}
	for _, t := range su.follows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO subscriber_follows (subscriber_id, tag_id, pending) VALUES ($1, $2, $3)
			ON CONFLICT (subscriber_id, tag_id) DO NOTHING`, sub.ID, t.ID, !su.confirmed); err != nil {
			return res, fmt.Errorf("follow: %w", err)
		}
	}
	if err := addConsent(ctx, tx, sub.ID, now, su.action, su.source, su.text, describeLists(su.lists, su.follows)); err != nil {
		return res, err
	}
	if su.confirmed || sub.Suppressed() || (sentAt.Valid && now.Sub(sentAt.Time) < resendAfter) {
		return res, nil
	}
	var waiting int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM subscriptions WHERE subscriber_id = $1 AND status = 'pending')
		+ (SELECT COUNT(*) FROM subscriber_follows WHERE subscriber_id = $1 AND pending = TRUE)`, sub.ID).Scan(&waiting); err != nil {
		return res, fmt.Errorf("pending subscriptions: %w", err)
	}
	if waiting == 0 {
		return res, nil
	}
	m, err := s.confirmMessage(env, sub, now)
	if err != nil {
		return res, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE subscribers SET confirm_sent_at = $1 WHERE id = $2", now, sub.ID); err != nil {
		return res, fmt.Errorf("confirmation sent: %w", err)
	}
	if err := s.outbox.EnqueueTx(ctx, tx, "subscribe-confirm", m); err != nil {
		return res, err
	}
	res.mailed = true
	return res, nil
}

// confirmMessage is the double opt-in e-mail.
func (s *Service) confirmMessage(env mailEnv, sub Subscriber, now time.Time) (Message, error) {
	exp := now.Add(confirmValidity).Unix()
	link := s.o.BaseURL + "/subscribe/confirm/" + sign(env.key, PurposeConfirm, sub.ID, sub.TokenVersion, strconv.FormatInt(exp, 10))
	body := fmt.Sprintf(`<p>Someone, hopefully you, asked to receive e-mail from %s at this address.</p>
<p><a href="%s" style="display:inline-block;padding:10px 18px;background:#0b4f6c;color:#ffffff;text-decoration:none;border-radius:4px;">Yes, subscribe me</a></p>
<p>The link works for 7 days. If you did not ask for this, ignore this message: nothing will be sent to you.</p>`,
		template.HTMLEscapeString(env.org), template.HTMLEscapeString(link))
	text := fmt.Sprintf("Someone, hopefully you, asked to receive e-mail from %s at this address.\n\nTo confirm, follow this link (it works for 7 days):\n%s\n\nIf you did not ask for this, ignore this message: nothing will be sent to you.", env.org, link)
	h, t, err := composeWith(env.org, env.address, Email{Heading: "Please confirm your subscription",
		Preheader: "One click to confirm your subscription", BodyHTML: template.HTML(body), BodyText: text}) //nolint:gosec // escaped above
	if err != nil {
		return Message{}, err
	}
	return Message{To: sub.Email, Subject: "Please confirm your subscription to " + env.org, Text: t, HTML: h}, nil
}

// subscriberForToken verifies a token of a purpose and loads its subscriber;
// a token of an older version (the address changed since) is void.
func (s *Service) subscriberForToken(ctx context.Context, purpose, token string) (Subscriber, string, error) {
	sid, ver, extra, err := s.Verify(ctx, purpose, token)
	if err != nil {
		return Subscriber{}, "", err
	}
	sub, err := getSubscriber(ctx, s.db.R, sid)
	if err != nil {
		return Subscriber{}, "", err
	}
	if sub.TokenVersion != ver {
		return Subscriber{}, "", errs.ErrNotFound
	}
	return sub, extra, nil
}

// Confirm takes a confirmation token: the address is confirmed and its
// pending subscriptions become active. Confirming twice is fine.
// errs.ErrNotFound for a bad token, errs.Invalid("token", …) for an expired one.
func (s *Service) Confirm(ctx context.Context, token string) (Subscriber, error) {
	sub, extra, err := s.subscriberForToken(ctx, PurposeConfirm, token)
	if err != nil {
		return Subscriber{}, err
	}
	exp, err := strconv.ParseInt(extra, 10, 64)
	if err != nil {
		return Subscriber{}, errs.ErrNotFound
	}
	now := s.now()
	if now.Unix() > exp {
		return Subscriber{}, errs.Invalid("token", "This confirmation link has expired. Please subscribe again.")
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		changed := false
		if !sub.Confirmed() {
			res, err := tx.ExecContext(ctx, "UPDATE subscribers SET confirmed_at = $1 WHERE id = $2 AND confirmed_at IS NULL", now, sub.ID)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			changed = n > 0
		}
		names, err := subListNames(ctx, tx, sub.ID, SubPending)
		if err != nil {
			return err
		}
		if len(names) > 0 {
			changed = true
			if _, err := tx.ExecContext(ctx, "UPDATE subscriptions SET status = 'active', updated_at = $1 WHERE subscriber_id = $2 AND status = 'pending'", now, sub.ID); err != nil {
				return err
			}
		}
		var follows []tagRef
		rows, err := tx.QueryContext(ctx, `SELECT t.id, t.name FROM subscriber_follows f JOIN tags t ON t.id = f.tag_id
			WHERE f.subscriber_id = $1 AND f.pending = TRUE ORDER BY t.name`, sub.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var t tagRef
			if err := rows.Scan(&t.ID, &t.Name); err != nil {
				rows.Close()
				return err
			}
			follows = append(follows, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(follows) > 0 {
			changed = true
			if _, err := tx.ExecContext(ctx, "UPDATE subscriber_follows SET pending = FALSE WHERE subscriber_id = $1 AND pending = TRUE", sub.ID); err != nil {
				return err
			}
		}
		if !changed {
			return nil
		}
		lists := make([]List, len(names))
		for i, n := range names {
			lists[i] = List{Name: n}
		}
		return addConsent(ctx, tx, sub.ID, now, "confirm", "confirmation link", "", describeLists(lists, follows))
	})
	if err != nil {
		return Subscriber{}, fmt.Errorf("confirm subscription: %w", db.Classify(err))
	}
	return getSubscriber(ctx, s.db.R, sub.ID)
}

// subListNames returns the names of a subscriber's lists in a state.
func subListNames(ctx context.Context, q subQuerier, sid int64, status string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT l.name FROM subscriptions su JOIN mailing_lists l ON l.id = su.list_id
		WHERE su.subscriber_id = $1 AND su.status = $2 ORDER BY l.position, l.name`, sid, status)
	if err != nil {
		return nil, fmt.Errorf("list names: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ---------------------------------------------------------------- preference centre

// Preferences is what the preference centre shows.
type Preferences struct {
	Subscriber Subscriber
	Lists      []Subscription // every list the subscriber may see, with its state ("" if never subscribed)
	Follows    []int64        // followed tag ids
	Token      string         // the prefs token it was opened with
}

// PreferencesInput is the preference centre's form.
type PreferencesInput struct {
	Name      string
	Email     string  // a different address gets a confirmation link first
	ListIDs   []int64 // lists wanted; others become unsubscribed
	Follows   []int64
	Frequency string
	Member    bool // signed-in member (may keep members-only lists)
}

// visibleLists are the lists a subscriber may manage: public ones, the
// members-only ones they are on, and all of them for a member.
func visibleLists(ctx context.Context, q subQuerier, sid int64, member bool) ([]Subscription, error) {
	cond := "l.members_only = FALSE OR su.status IN ('active', 'pending')"
	if member {
		cond = "TRUE"
	}
	rows, err := q.QueryContext(ctx, `SELECT `+listCols+`, su.status, su.updated_at
		FROM mailing_lists l LEFT JOIN subscriptions su ON su.list_id = l.id AND su.subscriber_id = $1
		WHERE `+cond+` ORDER BY l.position, l.name, l.id`, sid)
	if err != nil {
		return nil, fmt.Errorf("subscriber lists: %w", err)
	}
	defer rows.Close()
	var out []Subscription
	for rows.Next() {
		var st sql.NullString
		var at sql.NullTime
		l, err := scanMailingList(rows, &st, &at)
		if err != nil {
			return nil, err
		}
		sub := Subscription{List: l, Status: st.String}
		if at.Valid {
			sub.UpdatedAt = at.Time.UTC()
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

func followIDs(ctx context.Context, q subQuerier, sid int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT tag_id FROM subscriber_follows WHERE subscriber_id = $1 ORDER BY tag_id", sid)
	if err != nil {
		return nil, fmt.Errorf("follows: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Preferences opens the preference centre with a prefs token.
func (s *Service) Preferences(ctx context.Context, token string) (Preferences, error) {
	return s.PreferencesFor(ctx, token, false)
}

// PreferencesFor is Preferences for a visitor who may be a signed-in member
// (members see every members-only list).
func (s *Service) PreferencesFor(ctx context.Context, token string, member bool) (Preferences, error) {
	sub, _, err := s.subscriberForToken(ctx, PurposePrefs, token)
	if err != nil {
		return Preferences{}, err
	}
	p := Preferences{Subscriber: sub, Token: token}
	if p.Lists, err = visibleLists(ctx, s.db.R, sub.ID, member); err != nil {
		return Preferences{}, err
	}
	if p.Follows, err = followIDs(ctx, s.db.R, sub.ID); err != nil {
		return Preferences{}, err
	}
	return p, nil
}

// SavePreferences applies the form. Lists newly chosen become active at
// once when the address is confirmed (it proved itself by the signed link).
// A new address is not applied until its confirmation link is followed:
// addressPending is then true.
func (s *Service) SavePreferences(ctx context.Context, token string, in PreferencesInput) (addressPending bool, err error) {
	sub, _, err := s.subscriberForToken(ctx, PurposePrefs, token)
	if err != nil {
		return false, err
	}
	name, err := cleanName(in.Name)
	if err != nil {
		return false, err
	}
	freq, err := cleanFrequency(in.Frequency)
	if err != nil {
		return false, err
	}
	newEmail := ""
	if strings.TrimSpace(in.Email) != "" {
		e, err := NormaliseEmail(in.Email)
		if err != nil {
			return false, err
		}
		if e != sub.Email {
			newEmail = e
			var other int64
			err := s.db.R.QueryRowContext(ctx, "SELECT id FROM subscribers WHERE email = $1", e).Scan(&other)
			if err == nil {
				return false, errs.Invalid("email", "This address already has its own subscription; manage it from a link in a message sent to it.")
			} else if !errors.Is(err, sql.ErrNoRows) {
				return false, fmt.Errorf("check address: %w", err)
			}
		}
	}
	tags, err := s.tagsByID(ctx, in.Follows)
	if err != nil {
		return false, err
	}
	visible, err := visibleLists(ctx, s.db.R, sub.ID, in.Member)
	if err != nil {
		return false, err
	}
	byID := map[int64]Subscription{}
	for _, v := range visible {
		byID[v.List.ID] = v
	}
	chosen := map[int64]bool{}
	for _, id := range in.ListIDs {
		if _, ok := byID[id]; !ok {
			return false, errs.Invalid("lists", "One of the chosen lists does not exist or is for members only.")
		}
		chosen[id] = true
	}
	env, err := s.mailEnv(ctx)
	if err != nil {
		return false, err
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE subscribers SET name = $1, alert_frequency = $2 WHERE id = $3", name, freq, sub.ID); err != nil {
			return err
		}
		var kept []List
		for _, v := range visible {
			want := v.Status
			if chosen[v.List.ID] {
				kept = append(kept, v.List)
				switch {
				case v.Status == SubActive:
				case sub.Confirmed():
					want = SubActive
				default:
					want = SubPending
				}
			} else if v.Status == SubActive || v.Status == SubPending {
				want = SubUnsubscribed
			}
			if want == v.Status {
				continue
			}
			var err error
			if v.Status == "" {
				_, err = tx.ExecContext(ctx, `INSERT INTO subscriptions (subscriber_id, list_id, status, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $4) ON CONFLICT (subscriber_id, list_id) DO UPDATE SET status = $3, updated_at = $4`, sub.ID, v.List.ID, want, now)
			} else {
				_, err = tx.ExecContext(ctx, "UPDATE subscriptions SET status = $1, updated_at = $2 WHERE subscriber_id = $3 AND list_id = $4",
					want, now, sub.ID, v.List.ID)
			}
			if err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM subscriber_follows WHERE subscriber_id = $1", sub.ID); err != nil {
			return err
		}
		for _, t := range tags {
			if _, err := tx.ExecContext(ctx, "INSERT INTO subscriber_follows (subscriber_id, tag_id, pending) VALUES ($1, $2, FALSE)", sub.ID, t.ID); err != nil {
				return err
			}
		}
		if len(tags) == 0 {
			if _, err := tx.ExecContext(ctx, "DELETE FROM alert_queue WHERE subscriber_id = $1", sub.ID); err != nil {
				return err
			}
		}
		if err := addConsent(ctx, tx, sub.ID, now, "preferences", "preference centre", "", describeLists(kept, tags)); err != nil {
			return err
		}
		if newEmail == "" {
			return nil
		}
		m, err := s.addressMessage(env, sub, newEmail, now)
		if err != nil {
			return err
		}
		return s.outbox.EnqueueTx(ctx, tx, "address-confirm", m)
	})
	if err != nil {
		return false, fmt.Errorf("save preferences: %w", db.Classify(err))
	}
	return newEmail != "", nil
}

// addressMessage asks the new address to confirm an address change.
func (s *Service) addressMessage(env mailEnv, sub Subscriber, newEmail string, now time.Time) (Message, error) {
	extra := base64.RawURLEncoding.EncodeToString([]byte(newEmail)) + "~" + strconv.FormatInt(now.Add(confirmValidity).Unix(), 10)
	link := s.o.BaseURL + "/subscribe/address/" + sign(env.key, PurposeAddress, sub.ID, sub.TokenVersion, extra)
	body := fmt.Sprintf(`<p>Someone, hopefully you, asked to receive the e-mail of %s at this address instead of the one used until now.</p>
<p><a href="%s" style="display:inline-block;padding:10px 18px;background:#0b4f6c;color:#ffffff;text-decoration:none;border-radius:4px;">Use this address</a></p>
<p>The link works for 7 days. If you did not ask for this, ignore this message.</p>`,
		template.HTMLEscapeString(env.org), template.HTMLEscapeString(link))
	text := fmt.Sprintf("Someone, hopefully you, asked to receive the e-mail of %s at this address instead of the one used until now.\n\nTo confirm, follow this link (it works for 7 days):\n%s\n\nIf you did not ask for this, ignore this message.", env.org, link)
	h, t, err := composeWith(env.org, env.address, Email{Heading: "Confirm your new address", BodyHTML: template.HTML(body), BodyText: text}) //nolint:gosec // escaped above
	if err != nil {
		return Message{}, err
	}
	return Message{To: newEmail, Subject: "Confirm your new address for " + env.org, Text: t, HTML: h}, nil
}

// ConfirmAddress applies an address change from its signed link.
func (s *Service) ConfirmAddress(ctx context.Context, token string) (Subscriber, error) {
	sub, extra, err := s.subscriberForToken(ctx, PurposeAddress, token)
	if err != nil {
		return Subscriber{}, err
	}
	enc, expS, ok := strings.Cut(extra, "~")
	raw, err1 := base64.RawURLEncoding.DecodeString(enc)
	exp, err2 := strconv.ParseInt(expS, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return Subscriber{}, errs.ErrNotFound
	}
	newEmail, err := NormaliseEmail(string(raw))
	if err != nil {
		return Subscriber{}, errs.ErrNotFound
	}
	now := s.now()
	if now.Unix() > exp {
		return Subscriber{}, errs.Invalid("token", "This link has expired. Please change the address again from the preference centre.")
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		// Every earlier link (to the old address) stops working.
		res, err := tx.ExecContext(ctx, "UPDATE subscribers SET email = $1, token_version = token_version + 1 WHERE id = $2 AND token_version = $3",
			newEmail, sub.ID, sub.TokenVersion)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		return addConsent(ctx, tx, sub.ID, now, "preferences", "address change",
			fmt.Sprintf("Address changed from %s to %s (confirmed by a link sent to the new address)", sub.Email, newEmail), "")
	})
	if db.IsUnique(err) {
		return Subscriber{}, errs.Invalid("email", "This address already has its own subscription.")
	}
	if err != nil {
		return Subscriber{}, fmt.Errorf("change address: %w", db.Classify(err))
	}
	return getSubscriber(ctx, s.db.R, sub.ID)
}

// leaveTx unsubscribes a subscriber inside tx: from the given lists (nil: all),
// and from alerts when alerts is true. It reports whether anything changed.
func leaveTx(ctx context.Context, tx *sql.Tx, sid int64, now time.Time, listIDs []int64, all, alerts bool) (lists []string, stoppedAlerts bool, err error) {
	if all || len(listIDs) > 0 {
		cond, args := "TRUE", []any{sid}
		if !all {
			var ph string
			ph, args = subIDArgs(listIDs, 1)
			args = append([]any{sid}, args...)
			cond = "su.list_id IN (" + ph + ")"
		}
		rows, err := tx.QueryContext(ctx, `SELECT su.list_id, l.name FROM subscriptions su JOIN mailing_lists l ON l.id = su.list_id
			WHERE su.subscriber_id = $1 AND su.status <> 'unsubscribed' AND `+cond+` ORDER BY l.position, l.name`, args...)
		if err != nil {
			return nil, false, err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			var n string
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return nil, false, err
			}
			ids, lists = append(ids, id), append(lists, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, false, err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, "UPDATE subscriptions SET status = 'unsubscribed', updated_at = $1 WHERE subscriber_id = $2 AND list_id = $3",
				now, sid, id); err != nil {
				return nil, false, err
			}
		}
	}
	if alerts {
		res, err := tx.ExecContext(ctx, "DELETE FROM subscriber_follows WHERE subscriber_id = $1", sid)
		if err != nil {
			return nil, false, err
		}
		n, _ := res.RowsAffected()
		stoppedAlerts = n > 0
		if _, err := tx.ExecContext(ctx, "DELETE FROM alert_queue WHERE subscriber_id = $1", sid); err != nil {
			return nil, false, err
		}
	}
	return lists, stoppedAlerts, nil
}

func leftDescription(lists []string, alerts bool) string {
	out := strings.Join(lists, ", ")
	if alerts {
		if out != "" {
			out += "; "
		}
		out += "alerts"
	}
	return out
}

// LeaveAll unsubscribes from every list and stops all alerts (prefs token).
func (s *Service) LeaveAll(ctx context.Context, token string) error {
	sub, _, err := s.subscriberForToken(ctx, PurposePrefs, token)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		lists, alerts, err := leaveTx(ctx, tx, sub.ID, now, nil, true, true)
		if err != nil {
			return err
		}
		return addConsent(ctx, tx, sub.ID, now, "unsubscribe", "preference centre", "all", leftDescription(lists, alerts))
	})
	if err != nil {
		return fmt.Errorf("leave all: %w", db.Classify(err))
	}
	return nil
}

// OneClick applies an RFC 8058 unsubscribe token: scope "c<id>" leaves the
// lists that campaign went to, "alerts" stops alerts, "all" leaves
// everything. Idempotent. It returns the subscriber for the page shown after.
//
// The consent row it writes (only when something changed) has action
// "unsubscribe", source "one-click" and the scope as its text ("c12",
// "alerts", "all"), so that a campaign's unsubscriptions can be counted.
func (s *Service) OneClick(ctx context.Context, token string) (Subscriber, error) {
	sub, scope, err := s.subscriberForToken(ctx, PurposeUnsub, token)
	if err != nil {
		return Subscriber{}, err
	}
	var campaign int64
	switch {
	case scope == "all", scope == "alerts":
	case strings.HasPrefix(scope, "c"):
		campaign, err = strconv.ParseInt(scope[1:], 10, 64)
		if err != nil || campaign <= 0 {
			return Subscriber{}, errs.ErrNotFound
		}
	default:
		return Subscriber{}, errs.ErrNotFound
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var listIDs []int64
		if campaign > 0 {
			rows, err := tx.QueryContext(ctx, "SELECT list_id FROM campaign_lists WHERE campaign_id = $1", campaign)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				listIDs = append(listIDs, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		lists, alerts, err := leaveTx(ctx, tx, sub.ID, now, listIDs, scope == "all", scope == "all" || scope == "alerts")
		if err != nil {
			return err
		}
		if len(lists) == 0 && !alerts {
			return nil // already done: a mail client may post twice
		}
		return addConsent(ctx, tx, sub.ID, now, "unsubscribe", "one-click", scope, leftDescription(lists, alerts))
	})
	if err != nil {
		return Subscriber{}, fmt.Errorf("unsubscribe: %w", db.Classify(err))
	}
	return sub, nil
}
