package mail

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/render"
	"coalition/internal/slug"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Campaigns: drafts composed in the admin (Markdown body, picked articles,
// lists), frozen when sending starts, and delivered by the sender
// (sender.go) one delivery row per recipient.
//
// Freezing: Send renders the campaign once, in the house layout, with two
// placeholders standing for the recipient's preference-centre and
// one-click unsubscribe links, and stores the HTML and text parts in
// campaigns.html_body / text_body. The sender splits them once at the
// placeholders and only splices the two signed links in per recipient.

// Campaign is a newsletter sent to one or more lists.
type Campaign struct {
	ID          int64
	Subject     string
	Preheader   string
	Body        string  // Markdown
	ArticleIDs  []int64 // picked articles, in order
	ListIDs     []int64
	Status      string // draft, scheduled, sending, sent, cancelled
	Archive     bool   // show in /newsletters once sent
	Slug        string // archive address, set when sending starts
	ScheduledAt time.Time
	StartedAt   time.Time
	FinishedAt  time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	HTML        string // the frozen web version (sent campaigns)
}

// CampaignInput is the compose form (and the API's body).
type CampaignInput struct {
	Subject    string
	Preheader  string
	Body       string
	ArticleIDs []int64
	ListIDs    []int64
	Archive    bool
}

// CampaignStats are a campaign's figures (and the live progress bar's).
type CampaignStats struct {
	Status    string
	Total     int
	Sent      int
	Failed    int
	Remaining int
	Rate      float64       // messages per second over the last minute
	TimeLeft  time.Duration // at that rate; 0 when unknown
	Bounces   int
	Unsubs    int // unsubscribed through this campaign's links
	Opens     int // subscribers who opened it, as far as a pixel can tell; only with Options.Tracking (tracking.go)
}

// Rendered is a campaign as a recipient sees it.
type Rendered struct {
	Subject string
	HTML    string
	Text    string
}

// CampaignFilter narrows the admin list.
type CampaignFilter struct {
	Status string
	Limit  int
	Offset int
}

// Placeholders frozen into a sending campaign's bodies; only characters that
// html/template leaves alone in a URL attribute and in text.
const (
	placeholderPrefs = "https://placeholder.invalid/coalition-prefs-url"
	placeholderUnsub = "https://placeholder.invalid/coalition-unsub-url"
)

const campaignCols = `id, subject, preheader, body, article_ids, status, archive, slug, scheduled_at, started_at, finished_at,
	created_at, updated_at, html_body`

func scanCampaign(sc interface{ Scan(...any) error }) (Campaign, error) {
	var c Campaign
	var arts string
	var sched, started, finished sql.NullTime
	err := sc.Scan(&c.ID, &c.Subject, &c.Preheader, &c.Body, &arts, &c.Status, &c.Archive, &c.Slug, &sched, &started, &finished,
		&c.CreatedAt, &c.UpdatedAt, &c.HTML)
	if err != nil {
		return c, err
	}
	c.ArticleIDs = parseIDs(arts)
	c.ScheduledAt, c.StartedAt, c.FinishedAt = sched.Time, started.Time, finished.Time
	return c, nil
}

func parseIDs(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// uniqueIDs drops non-positive ids and repeats, keeping the order.
func uniqueIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// placeholders returns "$from, $from+1, …" for n values.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

func idArgs(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// webVersion turns a frozen body into the public archive's copy: the
// per-recipient links become the subscribe page.
func (s *Service) webVersion(frozen string) string {
	if frozen == "" {
		return ""
	}
	sub := template.HTMLEscapeString(s.o.BaseURL + "/subscribe")
	return strings.NewReplacer(placeholderPrefs, sub, placeholderUnsub, sub).Replace(frozen)
}

// campaignLists loads the lists of the given campaigns.
func (s *Service) campaignLists(ctx context.Context, cs []Campaign) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int64, len(cs))
	idx := map[int64]int{}
	for i, c := range cs {
		ids[i] = c.ID
		idx[c.ID] = i
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT cl.campaign_id, cl.list_id FROM campaign_lists cl JOIN mailing_lists l ON l.id = cl.list_id
		WHERE cl.campaign_id IN (`+placeholders(1, len(ids))+`) ORDER BY l.position, l.id`, idArgs(ids)...)
	if err != nil {
		return fmt.Errorf("campaign lists: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid, lid int64
		if err := rows.Scan(&cid, &lid); err != nil {
			return fmt.Errorf("campaign lists: %w", err)
		}
		cs[idx[cid]].ListIDs = append(cs[idx[cid]].ListIDs, lid)
	}
	return rows.Err()
}

// Campaigns lists campaigns newest first with the total.
func (s *Service) Campaigns(ctx context.Context, f CampaignFilter) ([]Campaign, int, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	where, args := "", []any{}
	if f.Status != "" {
		where, args = " WHERE status = $1", append(args, f.Status)
	}
	var total int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM campaigns"+where, args...).Scan(&total); err != nil {
		return nil, 0, db.Classify(fmt.Errorf("count campaigns: %w", err))
	}
	n := len(args)
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+campaignCols+" FROM campaigns"+where+
		fmt.Sprintf(" ORDER BY id DESC LIMIT $%d OFFSET $%d", n+1, n+2), append(args, f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, db.Classify(fmt.Errorf("list campaigns: %w", err))
	}
	defer rows.Close()
	var out []Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list campaigns: %w", err)
		}
		c.HTML = "" // lists do not need the bodies' web version
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	return out, total, s.campaignLists(ctx, out)
}

// GetCampaign returns one campaign.
func (s *Service) GetCampaign(ctx context.Context, id int64) (Campaign, error) {
	c, err := scanCampaign(s.db.R.QueryRowContext(ctx, "SELECT "+campaignCols+" FROM campaigns WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, errs.ErrNotFound
	}
	if err != nil {
		return c, db.Classify(fmt.Errorf("campaign %d: %w", id, err))
	}
	c.HTML = s.webVersion(c.HTML)
	cs := []Campaign{c}
	err = s.campaignLists(ctx, cs)
	return cs[0], err
}

// validate checks a compose form and returns it cleaned.
func (s *Service) validateCampaign(ctx context.Context, in CampaignInput) (CampaignInput, error) {
	in.Subject = strings.TrimSpace(in.Subject)
	in.Preheader = strings.TrimSpace(in.Preheader)
	switch {
	case in.Subject == "":
		return in, errs.Invalid("subject", "Enter a subject.")
	case len(in.Subject) > 200:
		return in, errs.Invalid("subject", "Keep the subject under 200 characters.")
	case strings.ContainsAny(in.Subject, "\r\n") || strings.ContainsAny(in.Preheader, "\r\n"):
		return in, errs.Invalid("subject", "Line breaks are not allowed here.")
	case len(in.Preheader) > 300:
		return in, errs.Invalid("preheader", "Keep the preview text under 300 characters.")
	case len(in.Body) > render.MaxSource:
		return in, errs.Invalid("body", fmt.Sprintf("The body is too long (at most %d characters).", render.MaxSource))
	}
	in.ListIDs = uniqueIDs(in.ListIDs)
	in.ArticleIDs = uniqueIDs(in.ArticleIDs)
	if len(in.ArticleIDs) > 50 {
		return in, errs.Invalid("articles", "Pick at most 50 articles.")
	}
	if len(in.ListIDs) > 0 {
		var n int
		if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM mailing_lists WHERE id IN ("+placeholders(1, len(in.ListIDs))+")",
			idArgs(in.ListIDs)...).Scan(&n); err != nil {
			return in, db.Classify(fmt.Errorf("check lists: %w", err))
		}
		if n != len(in.ListIDs) {
			return in, errs.Invalid("lists", "One of the chosen lists does not exist any more.")
		}
	}
	if src := s.articleSource(); src != nil && len(in.ArticleIDs) > 0 {
		arts, err := src.Articles(ctx, in.ArticleIDs)
		if err != nil {
			return in, err
		}
		if len(arts) != len(in.ArticleIDs) {
			return in, errs.Invalid("articles", "One of the picked articles is not published any more.")
		}
	}
	return in, nil
}

func setCampaignLists(ctx context.Context, tx *sql.Tx, id int64, lists []int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM campaign_lists WHERE campaign_id = $1", id); err != nil {
		return fmt.Errorf("campaign lists: %w", err)
	}
	for _, l := range lists {
		if _, err := tx.ExecContext(ctx, "INSERT INTO campaign_lists (campaign_id, list_id) VALUES ($1, $2)", id, l); err != nil {
			return fmt.Errorf("campaign lists: %w", err)
		}
	}
	return nil
}

// CreateCampaign saves a draft (errs.Invalid: no subject, unknown list or article).
func (s *Service) CreateCampaign(ctx context.Context, in CampaignInput, userID int64) (Campaign, error) {
	in, err := s.validateCampaign(ctx, in)
	if err != nil {
		return Campaign{}, err
	}
	now := s.now()
	var by any
	if userID > 0 {
		by = userID
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO campaigns (subject, preheader, body, article_ids, archive, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, in.Subject, in.Preheader, in.Body, joinIDs(in.ArticleIDs), in.Archive, by, now).Scan(&id); err != nil {
			return fmt.Errorf("create campaign: %w", err)
		}
		return setCampaignLists(ctx, tx, id, in.ListIDs)
	})
	if err != nil {
		return Campaign{}, err
	}
	return s.GetCampaign(ctx, id)
}

// editable reports why a campaign may not change (nil when it may).
func (s *Service) campaignStatus(ctx context.Context, id int64) (string, error) {
	var st string
	err := s.db.R.QueryRowContext(ctx, "SELECT status FROM campaigns WHERE id = $1", id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.ErrNotFound
	}
	if err != nil {
		return "", db.Classify(fmt.Errorf("campaign %d: %w", id, err))
	}
	return st, nil
}

var errStatusChanged = errors.New("campaign status changed")

// UpdateCampaign changes a draft or scheduled campaign (errs.Invalid once sending).
func (s *Service) UpdateCampaign(ctx context.Context, id int64, in CampaignInput) error {
	if _, err := s.campaignStatus(ctx, id); err != nil {
		return err
	}
	in, err := s.validateCampaign(ctx, in)
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE campaigns SET subject = $1, preheader = $2, body = $3, article_ids = $4, archive = $5, updated_at = $6
			WHERE id = $7 AND status IN ('draft', 'scheduled')`, in.Subject, in.Preheader, in.Body, joinIDs(in.ArticleIDs), in.Archive, s.now(), id)
		if err != nil {
			return fmt.Errorf("update campaign: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errStatusChanged
		}
		return setCampaignLists(ctx, tx, id, in.ListIDs)
	})
	if errors.Is(err, errStatusChanged) {
		return errs.Invalid("status", "This campaign has started sending and can no longer be changed.")
	}
	return err
}

// DeleteCampaign removes a draft, scheduled or cancelled campaign.
func (s *Service) DeleteCampaign(ctx context.Context, id int64) error {
	if _, err := s.campaignStatus(ctx, id); err != nil {
		return err
	}
	res, err := s.db.W.ExecContext(ctx, "DELETE FROM campaigns WHERE id = $1 AND status IN ('draft', 'scheduled', 'cancelled')", id)
	if err != nil {
		return db.Classify(fmt.Errorf("delete campaign: %w", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.Invalid("status", "A campaign that is sending or was sent cannot be deleted; cancel it first.")
	}
	return nil
}

// links are the addresses a rendering points to.
type links struct {
	Prefs, Unsub, Web string
}

// renderCampaign builds the HTML and text parts of c in the house layout.
func (s *Service) renderCampaign(ctx context.Context, c Campaign, l links) (Rendered, error) {
	doc, err := render.Markdown(c.Body, render.Options{})
	if err != nil {
		return Rendered{}, errs.Invalid("body", err.Error())
	}
	bodyHTML, bodyText, err := s.emailBody(string(doc.HTML))
	if err != nil {
		return Rendered{}, err
	}
	var arts []Article
	if src := s.articleSource(); src != nil && len(c.ArticleIDs) > 0 {
		if arts, err = src.Articles(ctx, c.ArticleIDs); err != nil {
			return Rendered{}, err
		}
	}
	var h, t strings.Builder
	h.WriteString(bodyHTML)
	t.WriteString(bodyText)
	if len(arts) > 0 {
		writeIssue(&h, &t, arts)
	}
	names, err := s.listNames(ctx, c.ListIDs)
	if err != nil {
		return Rendered{}, err
	}
	reason := ""
	switch len(names) {
	case 0:
	case 1:
		reason = "You receive this because you subscribed to " + names[0] + "."
	default:
		reason = "You receive this because you subscribed to " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1] + "."
	}
	htmlPart, textPart, err := s.Compose(ctx, Email{
		Preheader: c.Preheader, Heading: c.Subject,
		BodyHTML: template.HTML(h.String()), //nolint:gosec // sanitised Markdown plus escaped article fields
		BodyText: t.String(), Reason: reason, PrefsURL: l.Prefs, UnsubURL: l.Unsub, WebURL: l.Web,
	})
	if err != nil {
		return Rendered{}, err
	}
	return Rendered{Subject: c.Subject, HTML: htmlPart, Text: textPart}, nil
}

// writeIssue adds the newsletter issue: "In this issue" with anchor links,
// then each article's title (linked), summary and a "Read more" link. The
// editor's Markdown body comes first, as the issue's introduction.
func writeIssue(h, t *strings.Builder, arts []Article) {
	esc := template.HTMLEscapeString
	const link = ` style="color:#0b4f6c;"`
	h.WriteString(`<h2 id="in-this-issue" style="font-size:20px;margin:24px 0 8px;">In this issue</h2><ul>`)
	t.WriteString("\n\nIn this issue\n-------------\n")
	for i, a := range arts {
		fmt.Fprintf(h, `<li><a href="#story-%d"%s>%s</a></li>`, i+1, link, esc(a.Title))
		t.WriteString("- " + a.Title + "\n")
	}
	h.WriteString("</ul>")
	for i, a := range arts {
		u := a.URL
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			u = ""
		}
		fmt.Fprintf(h, `<hr style="border:0;border-top:1px solid #e4e7eb;margin:24px 0;"><h2 id="story-%d" style="font-size:20px;margin:0 0 8px;">`, i+1)
		if u != "" {
			fmt.Fprintf(h, `<a href="%s"%s>%s</a></h2>`, esc(u), link, esc(a.Title))
		} else {
			h.WriteString(esc(a.Title) + "</h2>")
		}
		if a.Summary != "" {
			h.WriteString("<p>" + esc(a.Summary) + "</p>")
		}
		if u != "" {
			fmt.Fprintf(h, `<p><a href="%s"%s>Read more</a></p>`, esc(u), link)
		}
		t.WriteString("\n\n" + a.Title + "\n" + strings.Repeat("-", min(len([]rune(a.Title)), 72)) + "\n")
		if a.Summary != "" {
			t.WriteString(a.Summary + "\n")
		}
		if u != "" {
			t.WriteString("Read more: " + u + "\n")
		}
	}
}

// emailBody makes rendered Markdown fit for e-mail: local links and images
// become absolute (the site's base URL), and the plain-text version keeps
// link targets in brackets.
func (s *Service) emailBody(fragment string) (htmlOut, textOut string, err error) {
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(fragment), root)
	if err != nil {
		return "", "", fmt.Errorf("parse body: %w", err)
	}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	var fix func(n *html.Node)
	var anchors []*html.Node
	fix = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for i, a := range n.Attr {
				if (a.Key == "href" || a.Key == "src") && strings.HasPrefix(a.Val, "/") && !strings.HasPrefix(a.Val, "//") {
					n.Attr[i].Val = s.o.BaseURL + a.Val
				}
			}
			if n.DataAtom == atom.A {
				anchors = append(anchors, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			fix(c)
		}
	}
	fix(root)
	var b bytes.Buffer
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&b, c); err != nil {
			return "", "", fmt.Errorf("render body: %w", err)
		}
	}
	// Text: "label (https://…)" for links whose label is not the address.
	for _, a := range anchors {
		href := ""
		for _, at := range a.Attr {
			if at.Key == "href" {
				href = at.Val
			}
		}
		if href == "" || strings.HasPrefix(href, "#") || strings.TrimSpace(render.PlainText(a)) == href {
			continue
		}
		a.AppendChild(&html.Node{Type: html.TextNode, Data: " (" + strings.TrimPrefix(href, "mailto:") + ")"})
	}
	return b.String(), render.PlainText(root), nil
}

// listNames returns the names of lists in position order.
func (s *Service) listNames(ctx context.Context, ids []int64) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT name FROM mailing_lists WHERE id IN ("+placeholders(1, len(ids))+") ORDER BY position, id", idArgs(ids)...)
	if err != nil {
		return nil, db.Classify(fmt.Errorf("list names: %w", err))
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

// Preview renders a campaign for a sample recipient (links point nowhere harmful).
func (s *Service) Preview(ctx context.Context, c Campaign) (Rendered, error) {
	sub := s.o.BaseURL + "/subscribe"
	l := links{Prefs: sub, Unsub: sub}
	if c.Archive && c.Slug != "" {
		l.Web = s.o.BaseURL + "/newsletters/" + c.Slug
	}
	return s.renderCampaign(ctx, c, l)
}

// SendTest sends the campaign to up to 10 given addresses now (through the
// outbox, subject prefixed "[Test]"); errs.Invalid for a bad address.
func (s *Service) SendTest(ctx context.Context, id int64, addrs []string) error {
	var to []string
	for _, a := range addrs {
		for _, f := range strings.FieldsFunc(a, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
			p, err := mail.ParseAddress(f)
			if err != nil || p.Address != f || !strings.Contains(f, "@") {
				return errs.Invalid("addresses", fmt.Sprintf("%q is not an e-mail address.", f))
			}
			to = append(to, strings.ToLower(f))
		}
	}
	switch {
	case len(to) == 0:
		return errs.Invalid("addresses", "Enter at least one address.")
	case len(to) > 10:
		return errs.Invalid("addresses", "Send a test to at most 10 addresses.")
	}
	c, err := s.GetCampaign(ctx, id)
	if err != nil {
		return err
	}
	r, err := s.Preview(ctx, c)
	if err != nil {
		return err
	}
	for _, a := range to {
		if err := s.outbox.Enqueue(ctx, "campaign-test", Message{To: a, Subject: "[Test] " + r.Subject, Text: r.Text, HTML: r.HTML}); err != nil {
			return err
		}
	}
	return nil
}

// Schedule sends the campaign at a time (errs.Invalid: in the past, no lists).
func (s *Service) Schedule(ctx context.Context, id int64, at time.Time) error {
	c, err := s.GetCampaign(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case c.Status != CampaignDraft && c.Status != CampaignScheduled:
		return errs.Invalid("status", "Only a draft can be scheduled.")
	case !at.After(s.now()):
		return errs.Invalid("at", "Choose a time in the future.")
	case len(c.ListIDs) == 0:
		return errs.Invalid("lists", "Choose at least one list to send to.")
	}
	res, err := s.db.W.ExecContext(ctx, `UPDATE campaigns SET status = 'scheduled', scheduled_at = $1, updated_at = $2
		WHERE id = $3 AND status IN ('draft', 'scheduled')`, at.UTC(), s.now(), id)
	if err != nil {
		return db.Classify(fmt.Errorf("schedule campaign: %w", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.Invalid("status", "Only a draft can be scheduled.")
	}
	return nil
}

// Unschedule returns a scheduled campaign to draft.
func (s *Service) Unschedule(ctx context.Context, id int64) error {
	st, err := s.campaignStatus(ctx, id)
	if err != nil {
		return err
	}
	if st == CampaignDraft {
		return nil
	}
	res, err := s.db.W.ExecContext(ctx, `UPDATE campaigns SET status = 'draft', scheduled_at = NULL, updated_at = $1
		WHERE id = $2 AND status = 'scheduled'`, s.now(), id)
	if err != nil {
		return db.Classify(fmt.Errorf("unschedule campaign: %w", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.Invalid("status", "This campaign has already started sending.")
	}
	return nil
}

// Send starts sending now: the body is frozen and one delivery row is
// created per eligible recipient (confirmed, unsuppressed, active on one of
// the lists; members-only lists reach only addresses of member or staff
// accounts), each address once. Idempotent while sending.
func (s *Service) Send(ctx context.Context, id int64) error {
	_, err := s.start(ctx, id, false)
	return err
}

// insertDeliveries creates the delivery rows of a campaign that starts: one
// per confirmed, unsuppressed subscriber with an active subscription on one
// of its lists; on a members-only list, only when the address belongs to an
// enabled staff account or a member account with an organisation.
const insertDeliveries = `INSERT INTO campaign_deliveries (campaign_id, subscriber_id, status, next_attempt_at)
SELECT $1, s.id, 'pending', $2 FROM subscribers s
WHERE s.confirmed_at IS NOT NULL AND s.suppressed_at IS NULL
  AND EXISTS (
    SELECT 1 FROM subscriptions sub
    JOIN campaign_lists cl ON cl.list_id = sub.list_id AND cl.campaign_id = $1
    JOIN mailing_lists l ON l.id = sub.list_id
    WHERE sub.subscriber_id = s.id AND sub.status = 'active'
      AND (l.members_only = FALSE OR EXISTS (
        SELECT 1 FROM users u WHERE u.email = s.email AND u.disabled = FALSE
          AND (u.role IN ('admin', 'editor') OR (u.role = 'member' AND u.organisation_id IS NOT NULL)))))
ON CONFLICT DO NOTHING`

// start freezes a campaign and creates its deliveries. due: the sender
// starting a scheduled campaign whose time has come (only then, and only
// once across instances). It reports whether this call started it.
func (s *Service) start(ctx context.Context, id int64, due bool) (bool, error) {
	for attempt := 0; ; attempt++ {
		c, err := s.GetCampaign(ctx, id)
		if err != nil {
			return false, err
		}
		switch c.Status {
		case CampaignSending:
			return false, nil
		case CampaignSent, CampaignCancelled:
			if due {
				return false, nil
			}
			return false, errs.Invalid("status", "This campaign was already sent or cancelled.")
		}
		now := s.now()
		if due && (c.Status != CampaignScheduled || c.ScheduledAt.After(now)) {
			return false, nil
		}
		if len(c.ListIDs) == 0 {
			if due {
				s.log.Warn("scheduled campaign has no list; left scheduled", "campaign", id)
				return false, nil
			}
			return false, errs.Invalid("lists", "Choose at least one list to send to.")
		}
		sl, err := s.freeSlug(ctx, c.Subject, now, attempt)
		if err != nil {
			return false, err
		}
		l := links{Prefs: placeholderPrefs, Unsub: placeholderUnsub}
		if c.Archive {
			l.Web = s.o.BaseURL + "/newsletters/" + sl
		}
		r, err := s.renderCampaign(ctx, c, l)
		if err != nil {
			return false, err
		}
		started := false
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			cond := "status IN ('draft', 'scheduled')"
			if due {
				cond = "status = 'scheduled' AND scheduled_at <= $6"
			}
			args := []any{now, sl, r.HTML, r.Text, id}
			if due {
				args = append(args, now)
			}
			res, err := tx.ExecContext(ctx, `UPDATE campaigns SET status = 'sending', started_at = $1, slug = $2, html_body = $3, text_body = $4, updated_at = $1
				WHERE id = $5 AND `+cond, args...)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // another instance (or an editor) got there first
			}
			if _, err := tx.ExecContext(ctx, insertDeliveries, id, now); err != nil {
				return fmt.Errorf("create deliveries: %w", err)
			}
			started = true
			return nil
		})
		if db.IsUnique(err) && attempt < 5 {
			continue // the slug was taken meanwhile
		}
		if err != nil {
			return false, db.Classify(fmt.Errorf("start campaign %d: %w", id, err))
		}
		if !started {
			if due || attempt >= 5 {
				return false, nil
			}
			continue // look again: sending now (fine) or changed
		}
		s.log.Info("campaign sending", "campaign", id, "slug", sl)
		s.Kick()
		return true, nil
	}
}

// freeSlug finds an unused archive slug: date and subject.
func (s *Service) freeSlug(ctx context.Context, subject string, now time.Time, attempt int) (string, error) {
	base := now.Format("2006-01-02")
	if sl := slug.Make(subject, 80); sl != "" {
		base += "-" + sl
	}
	for i := 1 + attempt; i < 1000; i++ {
		cand := base
		if i > 1 {
			cand = fmt.Sprintf("%s-%d", base, i)
		}
		var n int
		if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM campaigns WHERE slug = $1", cand).Scan(&n); err != nil {
			return "", db.Classify(fmt.Errorf("campaign slug: %w", err))
		}
		if n == 0 {
			return cand, nil
		}
	}
	return base + "-" + randomID()[:8], nil
}

// Cancel stops a sending campaign (what was sent stays sent). Deliveries not
// yet claimed are removed; at most the batches senders already hold (a few
// dozen messages) still go out.
func (s *Service) Cancel(ctx context.Context, id int64) error {
	st, err := s.campaignStatus(ctx, id)
	if err != nil {
		return err
	}
	if st == CampaignCancelled {
		return nil
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE campaigns SET status = 'cancelled', finished_at = $1, updated_at = $1
			WHERE id = $2 AND status IN ('sending', 'scheduled')`, s.now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errStatusChanged
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM campaign_deliveries WHERE campaign_id = $1 AND status = 'pending'", id)
		return err
	})
	if errors.Is(err, errStatusChanged) {
		return errs.Invalid("status", "Only a campaign that is sending or scheduled can be cancelled.")
	}
	if err != nil {
		return db.Classify(fmt.Errorf("cancel campaign %d: %w", id, err))
	}
	return nil
}

// Stats returns a campaign's figures.
func (s *Service) Stats(ctx context.Context, id int64) (CampaignStats, error) {
	var st CampaignStats
	var started sql.NullTime
	err := s.db.R.QueryRowContext(ctx, "SELECT status, started_at FROM campaigns WHERE id = $1", id).Scan(&st.Status, &started)
	if errors.Is(err, sql.ErrNoRows) {
		return st, errs.ErrNotFound
	}
	if err != nil {
		return st, db.Classify(fmt.Errorf("campaign stats: %w", err))
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT status, COUNT(*) FROM campaign_deliveries WHERE campaign_id = $1 GROUP BY status", id)
	if err != nil {
		return st, db.Classify(fmt.Errorf("campaign stats: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return st, err
		}
		st.Total += n
		switch status {
		case "sent":
			st.Sent = n
		case "failed":
			st.Failed = n
		default:
			st.Remaining += n
		}
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	rows.Close()
	now := s.now()
	window := time.Minute
	if started.Valid {
		if el := now.Sub(started.Time); el > 0 && el < window {
			window = max(el, time.Second)
		}
	}
	var recent int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM campaign_deliveries WHERE campaign_id = $1 AND status = 'sent' AND sent_at >= $2",
		id, now.Add(-window)).Scan(&recent); err != nil {
		return st, db.Classify(fmt.Errorf("campaign rate: %w", err))
	}
	st.Rate = float64(recent) / window.Seconds()
	if st.Rate > 0 && st.Remaining > 0 {
		st.TimeLeft = time.Duration(float64(st.Remaining) / st.Rate * float64(time.Second)).Round(time.Second)
	}
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM mail_bounces WHERE campaign_id = $1", id).Scan(&st.Bounces); err != nil {
		return st, db.Classify(fmt.Errorf("campaign bounces: %w", err))
	}
	// OneClick records "unsubscribe", "one-click" with the scope as the text.
	if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(DISTINCT subscriber_id) FROM subscriber_consents
		WHERE action = 'unsubscribe' AND source = 'one-click' AND consent_text = $1`, "c"+strconv.FormatInt(id, 10)).Scan(&st.Unsubs); err != nil {
		return st, db.Classify(fmt.Errorf("campaign unsubscribes: %w", err))
	}
	if s.o.Tracking {
		if st.Opens, err = s.opens(ctx, id); err != nil {
			return st, err
		}
	}
	return st, nil
}

// Archived lists sent campaigns shown in the public archive, newest first.
func (s *Service) Archived(ctx context.Context, limit, offset int) ([]Campaign, int, error) {
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	var total int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM campaigns WHERE status = 'sent' AND archive = TRUE").Scan(&total); err != nil {
		return nil, 0, db.Classify(fmt.Errorf("count archive: %w", err))
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+campaignCols+` FROM campaigns WHERE status = 'sent' AND archive = TRUE
		ORDER BY started_at DESC, id DESC LIMIT $1 OFFSET $2`, limit, max(offset, 0))
	if err != nil {
		return nil, 0, db.Classify(fmt.Errorf("archive: %w", err))
	}
	defer rows.Close()
	var out []Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, 0, err
		}
		c.HTML = ""
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// ArchivedBySlug returns a sent, archived campaign by its slug.
func (s *Service) ArchivedBySlug(ctx context.Context, sl string) (Campaign, error) {
	if sl == "" || len(sl) > 200 {
		return Campaign{}, errs.ErrNotFound
	}
	var id int64
	err := s.db.R.QueryRowContext(ctx, "SELECT id FROM campaigns WHERE slug = $1 AND status = 'sent' AND archive = TRUE", sl).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Campaign{}, errs.ErrNotFound
	}
	if err != nil {
		return Campaign{}, db.Classify(fmt.Errorf("archived campaign: %w", err))
	}
	return s.GetCampaign(ctx, id)
}

// RecentArticles is the article picker's list.
func (s *Service) RecentArticles(ctx context.Context, n int) ([]Article, error) {
	src := s.articleSource()
	if src == nil {
		return nil, nil
	}
	return src.Recent(ctx, n)
}
