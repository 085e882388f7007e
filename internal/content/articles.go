package content

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/places"
	"coalition/internal/render"
	"coalition/internal/slug"
)

// Editor is the person saving a change, recorded with each revision.
type Editor struct {
	ID   int64
	Name string
}

// Input is what an editor submits for an article or page.
type Input struct {
	Kind       Kind
	CategoryID int64 // articles only
	Title      string
	Slug       string // empty: made from the title
	Summary    string
	Body       string
	AuthorName string // empty: the editor's name
	CoverID    int64
	CoverAlt   string
	Status     Status
	Visibility Visibility
	PublishAt  time.Time // zero: now, when publishing
	TagIDs     []int64
	// BaseRevision is the revision the editor started from; if someone saved
	// since, the save is refused rather than silently overwriting their work.
	BaseRevision int
	Editor       Editor
	Note         string // shown in the revision list, e.g. "Restored revision 3"
}

// Limits editors are told about.
const (
	MaxTitle   = 300
	MaxSummary = 600
)

// reservedSlugs are first path segments the site uses or will use; a page
// may not take one, or it would hide (or be hidden by) a real route. The web
// layer adds every segment of its live route table on top of these.
var reservedSlugs = map[string]bool{
	"admin": true, "api": true, "articles": true, "archive": true, "category": true, "tag": true, "tags": true,
	"news": true, "feed": true, "feeds": true, "sitemap": true, "static": true, "media": true, "files": true,
	"login": true, "logout": true, "password": true, "welcome": true, "account": true, "contact": true,
	"documents": true, "library": true, "crises": true, "members": true, "search": true, "subscribe": true,
	"unsubscribe": true, "donate": true, "get-involved": true, "healthz": true, "metrics": true, "hooks": true,
	"lists": true, "campaigns": true, "newsletter": true, "preview": true, "print": true, "email": true,
	"robots-txt": true, "favicon-ico": true, "well-known": true,
}

// ReservedSlug reports whether a page may not use slug.
func ReservedSlug(slugv string) bool { return reservedSlugs[slugv] }

// validate normalises and checks an input against the current time.
func (s *Service) validate(ctx context.Context, tx *sql.Tx, in *Input, reserved func(string) bool) error {
	if _, ok := ParseKind(string(in.Kind)); !ok {
		return errs.Invalid("kind", "Unknown kind of content.")
	}
	in.Title = strings.TrimSpace(in.Title)
	in.Summary = strings.TrimSpace(strings.ReplaceAll(in.Summary, "\r\n", "\n"))
	in.Body = strings.ReplaceAll(in.Body, "\r\n", "\n")
	in.AuthorName = strings.TrimSpace(in.AuthorName)
	in.CoverAlt = strings.TrimSpace(in.CoverAlt)
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	for field, v := range map[string]string{"title": in.Title, "summary": in.Summary, "body": in.Body, "author": in.AuthorName, "cover_alt": in.CoverAlt, "slug": in.Slug} {
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return errs.Invalid(field, "This contains characters that are not allowed.")
		}
	}
	switch {
	case in.Title == "":
		return errs.Invalid("title", "Enter a title.")
	case utf8.RuneCountInString(in.Title) > MaxTitle:
		return errs.Invalid("title", fmt.Sprintf("Use at most %d characters for the title.", MaxTitle))
	case utf8.RuneCountInString(in.Summary) > MaxSummary:
		return errs.Invalid("summary", fmt.Sprintf("Use at most %d characters for the summary (it is shown in lists and shared links).", MaxSummary))
	case len(in.Body) > render.MaxSource:
		return errs.Invalid("body", fmt.Sprintf("The text is too long: the limit is %d characters.", render.MaxSource))
	case utf8.RuneCountInString(in.AuthorName) > 120:
		return errs.Invalid("author", "Use at most 120 characters for the author's name.")
	case utf8.RuneCountInString(in.CoverAlt) > 300:
		return errs.Invalid("cover_alt", "Use at most 300 characters to describe the cover image.")
	}
	// Addresses are cloaked in texts; a title, byline or image description
	// appears in attributes and feeds where that is not possible.
	for field, v := range map[string]string{"title": in.Title, "author": in.AuthorName, "cover_alt": in.CoverAlt} {
		if render.ContainsEmail(v) {
			return errs.Invalid(field, "E-mail addresses belong in the text or summary, where they are protected from harvesters; remove the address here.")
		}
	}
	if in.Slug == "" {
		in.Slug = slug.Make(in.Title, 80)
		if in.Slug == "" {
			in.Slug = "untitled"
		}
		if in.Kind == KindPage && (ReservedSlug(in.Slug) || reserved != nil && reserved(in.Slug)) {
			in.Slug += "-page"
		}
	}
	if !slug.Valid(in.Slug) {
		return errs.Invalid("slug", "Use lower-case letters, digits and single hyphens for the address (like “annual-report-2026”).")
	}
	if in.Kind == KindPage && (ReservedSlug(in.Slug) || reserved != nil && reserved(in.Slug)) {
		return errs.Invalid("slug", fmt.Sprintf("/%s is used by the site itself; choose another address for this page.", in.Slug))
	}
	if in.AuthorName == "" {
		in.AuthorName = in.Editor.Name
	}
	if in.CoverID != 0 && in.CoverAlt == "" {
		return errs.Invalid("cover_alt", "Describe the cover image for people who cannot see it.")
	}
	if in.CoverID != 0 {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM media WHERE id = $1", in.CoverID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.Invalid("cover", "That cover image no longer exists; choose another.")
		}
		if err != nil {
			return fmt.Errorf("check cover %d: %w", in.CoverID, err)
		}
	}
	switch in.Visibility {
	case "":
		in.Visibility = Public
	case Public, Members:
	default:
		return errs.Invalid("visibility", "Choose who can read this.")
	}
	if in.Kind == KindArticle {
		if in.CategoryID == 0 {
			return errs.Invalid("category", "Choose a category.")
		}
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM categories WHERE id = $1", in.CategoryID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.Invalid("category", "That category no longer exists; choose another.")
		}
		if err != nil {
			return fmt.Errorf("check category %d: %w", in.CategoryID, err)
		}
	} else {
		in.CategoryID = 0
		in.TagIDs = nil
	}
	now := s.now()
	if !in.PublishAt.IsZero() {
		in.PublishAt = in.PublishAt.UTC().Truncate(time.Second)
		if in.PublishAt.Year() < 1900 || in.PublishAt.Year() > 2200 {
			return errs.Invalid("publish_at", "Enter a publication date between 1900 and 2200.")
		}
	}
	switch in.Status {
	case StatusDraft:
	case StatusPublished:
		if in.PublishAt.IsZero() {
			in.PublishAt = now.Truncate(time.Second)
		} else if in.PublishAt.After(now) {
			in.Status = StatusScheduled // a future date means "publish then"
		}
	case StatusScheduled:
		if in.PublishAt.IsZero() {
			return errs.Invalid("publish_at", "Enter the date and time to publish at.")
		}
		if !in.PublishAt.After(now) {
			in.Status = StatusPublished // its time has come already
		}
	default:
		return errs.Invalid("status", "Choose draft, scheduled or published.")
	}
	return nil
}

// Create stores a new article or page and its first revision. reserved, if
// not nil, names further slugs a page may not take (the web layer's routes).
func (s *Service) Create(ctx context.Context, in Input, reserved func(string) bool) (Article, error) {
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.CreateTx(ctx, tx, in, reserved)
		return err
	})
	if err != nil {
		return Article{}, err
	}
	s.Changed(ctx, id, in.Status)
	return s.ByID(ctx, id)
}

// CreateTx is Create inside the caller's transaction, for changes that must
// commit together with the article (a member's submission approved and
// published as news). The caller calls Changed after the commit.
func (s *Service) CreateTx(ctx context.Context, tx *sql.Tx, in Input, reserved func(string) bool) (int64, error) {
	if err := s.validate(ctx, tx, &in, reserved); err != nil {
		return 0, err
	}
	now := s.now()
	var first any
	if in.Status == StatusPublished {
		first = now
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO articles (kind, category_id, slug, title, summary, body, author_id, author_name,
		cover_id, cover_alt, status, visibility, publish_at, first_published_at, revision, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $15) RETURNING id`,
		string(in.Kind), nullID(in.CategoryID), in.Slug, in.Title, in.Summary, in.Body, nullID(in.Editor.ID), in.AuthorName,
		nullID(in.CoverID), in.CoverAlt, string(in.Status), string(in.Visibility), nullTime(in.PublishAt), first, now).Scan(&id)
	if db.IsUnique(err) {
		return 0, errs.Invalid("slug", fmt.Sprintf("Another %s already uses the address “%s”; choose another.", kindWord(in.Kind), in.Slug))
	}
	if err != nil {
		return 0, fmt.Errorf("insert %s: %w", in.Kind, err)
	}
	// A new article may take a slug another one had before: it wins.
	if _, err := tx.ExecContext(ctx, "DELETE FROM article_slugs WHERE kind = $1 AND slug = $2", string(in.Kind), in.Slug); err != nil {
		return 0, fmt.Errorf("free slug %s: %w", in.Slug, err)
	}
	if err := insertRevision(ctx, tx, id, 1, in, now); err != nil {
		return 0, err
	}
	if err := places.SetItemTags(ctx, tx, "article", id, in.TagIDs); err != nil {
		return 0, err
	}
	if in.Status == StatusPublished {
		if err := s.runPublishHooks(ctx, tx, id); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// Changed tells the service's listeners (the search index) that an article
// created with CreateTx has been committed, and wakes the scheduler if it
// waits for a time.
func (s *Service) Changed(ctx context.Context, id int64, st Status) { s.afterSave(ctx, id, st, false) }

func (s *Service) afterSave(ctx context.Context, id int64, st Status, _ bool) {
	if st == StatusScheduled {
		s.Kick()
	}
	s.changed(ctx, id)
}

func kindWord(k Kind) string {
	if k == KindPage {
		return "page"
	}
	return "article"
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func insertRevision(ctx context.Context, tx *sql.Tx, id int64, number int, in Input, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO article_revisions (article_id, number, created_at, editor_id, editor_name, note,
		title, slug, summary, body, cover_id, cover_alt, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		id, number, now, nullID(in.Editor.ID), clip(in.Editor.Name, 200), clip(in.Note, 200), in.Title, in.Slug, in.Summary, in.Body,
		nullID(in.CoverID), in.CoverAlt, string(in.Status))
	if err != nil {
		return fmt.Errorf("save revision %d of %d: %w", number, id, err)
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// conflictError explains that someone else saved first.
func conflictError(rev int, who string) error {
	msg := fmt.Sprintf("Someone else saved this while you were editing (now at revision %d", rev)
	if who != "" {
		msg += ", by " + who
	}
	return errs.Invalid("revision", msg+"). Your text is below but was not saved: open the latest version in another tab, copy your changes across, and save again.")
}

// Update saves a new version of an article or page as a new revision.
func (s *Service) Update(ctx context.Context, id int64, in Input, reserved func(string) bool) (Article, error) {
	published := false
	// The scheduler may publish the article between our read and our write;
	// the conditional UPDATE notices (status changed) and we read again.
	for attempt := 0; ; attempt++ {
		retry := false
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			var cur struct {
				kind, slug, status string
				revision           int
				first              sql.NullTime
				editor             string
			}
			err := tx.QueryRowContext(ctx, `SELECT a.kind, a.slug, a.status, a.revision, a.first_published_at,
				COALESCE((SELECT r.editor_name FROM article_revisions r WHERE r.article_id = a.id AND r.number = a.revision), '')
				FROM articles a WHERE a.id = $1`, id).
				Scan(&cur.kind, &cur.slug, &cur.status, &cur.revision, &cur.first, &cur.editor)
			if errors.Is(err, sql.ErrNoRows) {
				return errs.ErrNotFound
			}
			if err != nil {
				return fmt.Errorf("read article %d: %w", id, err)
			}
			in.Kind = Kind(cur.kind)
			if in.BaseRevision != 0 && in.BaseRevision != cur.revision {
				return conflictError(cur.revision, cur.editor)
			}
			if err := s.validate(ctx, tx, &in, reserved); err != nil {
				return err
			}
			now := s.now()
			becomes := in.Status == StatusPublished && cur.status != string(StatusPublished)
			first := cur.first
			if becomes && !first.Valid {
				first = sql.NullTime{Time: now, Valid: true}
			}
			var firstArg any
			if first.Valid {
				firstArg = first.Time.UTC()
			}
			res, err := tx.ExecContext(ctx, `UPDATE articles SET category_id = $1, slug = $2, title = $3, summary = $4, body = $5,
				author_name = $6, cover_id = $7, cover_alt = $8, status = $9, visibility = $10, publish_at = $11,
				first_published_at = $12, revision = revision + 1, updated_at = $13
				WHERE id = $14 AND revision = $15 AND status = $16`,
				nullID(in.CategoryID), in.Slug, in.Title, in.Summary, in.Body, in.AuthorName, nullID(in.CoverID), in.CoverAlt,
				string(in.Status), string(in.Visibility), nullTime(in.PublishAt), firstArg, now, id, cur.revision, cur.status)
			if db.IsUnique(err) {
				return errs.Invalid("slug", fmt.Sprintf("Another %s already uses the address “%s”; choose another.", kindWord(in.Kind), in.Slug))
			}
			if err != nil {
				return fmt.Errorf("update %s %d: %w", in.Kind, id, err)
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				retry = true
				return errRetry
			}
			if in.Slug != cur.slug {
				// The old address keeps working (301); the new one must not
				// redirect anywhere, whoever had it before.
				if _, err := tx.ExecContext(ctx, "DELETE FROM article_slugs WHERE kind = $1 AND slug = $2", cur.kind, in.Slug); err != nil {
					return fmt.Errorf("free slug %s: %w", in.Slug, err)
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO article_slugs (kind, slug, article_id, created_at) VALUES ($1, $2, $3, $4)
					ON CONFLICT (kind, slug) DO UPDATE SET article_id = excluded.article_id, created_at = excluded.created_at`,
					cur.kind, cur.slug, id, now); err != nil {
					return fmt.Errorf("keep old slug %s: %w", cur.slug, err)
				}
			}
			if err := insertRevision(ctx, tx, id, cur.revision+1, in, now); err != nil {
				return err
			}
			if in.Kind == KindArticle {
				if err := places.SetItemTags(ctx, tx, "article", id, in.TagIDs); err != nil {
					return err
				}
			}
			if becomes {
				published = true
				return s.runPublishHooks(ctx, tx, id)
			}
			return nil
		})
		if retry && attempt < 3 {
			continue
		}
		if retry {
			return Article{}, errs.Invalid("revision", "This changed while you were saving. Please save again.")
		}
		if err != nil {
			return Article{}, err
		}
		break
	}
	s.afterSave(ctx, id, in.Status, published)
	return s.ByID(ctx, id)
}

var errRetry = errors.New("retry")

// Delete removes an article or page with its revisions, old slugs and tags.
func (s *Service) Delete(ctx context.Context, id int64) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM item_tags WHERE item_type = 'article' AND item_id = $1", id); err != nil {
			return fmt.Errorf("delete tags of %d: %w", id, err)
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM articles WHERE id = $1", id)
		if err != nil {
			return fmt.Errorf("delete article %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return errs.ErrNotFound
		}
		return nil
	})
	if err == nil {
		s.changed(ctx, id)
	}
	return err
}

const articleCols = `a.id, a.kind, COALESCE(a.category_id, 0), COALESCE(c.slug, ''), COALESCE(c.name, ''), COALESCE(c.toc, FALSE),
	a.slug, a.title, a.summary, a.body, COALESCE(a.author_id, 0), a.author_name, COALESCE(a.cover_id, 0), a.cover_alt,
	a.status, a.visibility, a.publish_at, a.first_published_at, a.revision, a.created_at, a.updated_at`

const articleFrom = ` FROM articles a LEFT JOIN categories c ON c.id = a.category_id`

func scanArticle(row interface{ Scan(...any) error }) (Article, error) {
	var a Article
	var pub, first sql.NullTime
	err := row.Scan(&a.ID, &a.Kind, &a.CategoryID, &a.CategorySlug, &a.CategoryName, &a.CategoryTOC, &a.Slug, &a.Title, &a.Summary,
		&a.Body, &a.AuthorID, &a.AuthorName, &a.CoverID, &a.CoverAlt, &a.Status, &a.Visibility, &pub, &first, &a.Revision,
		&a.CreatedAt, &a.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return a, errs.ErrNotFound
	}
	if err != nil {
		return a, err
	}
	a.PublishAt, a.FirstPublishedAt = pub.Time.UTC(), first.Time.UTC()
	if !pub.Valid {
		a.PublishAt = time.Time{}
	}
	if !first.Valid {
		a.FirstPublishedAt = time.Time{}
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, nil
}

// ByID returns an article or page with its tags.
func (s *Service) ByID(ctx context.Context, id int64) (Article, error) {
	a, err := scanArticle(s.db.R.QueryRowContext(ctx, "SELECT "+articleCols+articleFrom+" WHERE a.id = $1", id))
	if err != nil {
		if errors.Is(err, errs.ErrNotFound) {
			return a, err
		}
		return a, fmt.Errorf("article %d: %w", id, err)
	}
	return a, s.fillTags(ctx, []*Article{&a})
}

// BySlug returns the article or page of kind at slug, with its tags.
func (s *Service) BySlug(ctx context.Context, kind Kind, slugv string) (Article, error) {
	a, err := scanArticle(s.db.R.QueryRowContext(ctx, "SELECT "+articleCols+articleFrom+" WHERE a.kind = $1 AND a.slug = $2", string(kind), slugv))
	if err != nil {
		if errors.Is(err, errs.ErrNotFound) {
			return a, err
		}
		return a, fmt.Errorf("%s %s: %w", kind, slugv, err)
	}
	return a, s.fillTags(ctx, []*Article{&a})
}

// Moved returns the current slug of the article or page that used to live
// at slugv, or ErrNotFound.
func (s *Service) Moved(ctx context.Context, kind Kind, slugv string) (string, error) {
	var cur string
	err := s.db.R.QueryRowContext(ctx, `SELECT a.slug FROM article_slugs o JOIN articles a ON a.id = o.article_id
		WHERE o.kind = $1 AND o.slug = $2`, string(kind), slugv).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("old slug %s: %w", slugv, err)
	}
	return cur, nil
}

// OldSlugs lists the addresses that redirect to an article.
func (s *Service) OldSlugs(ctx context.Context, id int64) ([]string, error) {
	rows, err := s.db.R.QueryContext(ctx, "SELECT slug FROM article_slugs WHERE article_id = $1 ORDER BY created_at DESC", id)
	if err != nil {
		return nil, fmt.Errorf("old slugs of %d: %w", id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *Service) fillTags(ctx context.Context, as []*Article) error {
	ids := make([]int64, 0, len(as))
	for _, a := range as {
		if a.Kind == KindArticle {
			ids = append(ids, a.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	tags, err := s.places.ItemTags(ctx, "article", ids)
	if err != nil {
		return err
	}
	for _, a := range as {
		a.Tags = tags[a.ID]
	}
	return nil
}

// Filter narrows List.
type Filter struct {
	Kind Kind // required
	// Live lists what readers see: published, newest first. Members-only
	// articles are included only with Members.
	Live    bool
	Members bool
	// Status filters by status (admin); "" is any.
	Status     Status
	CategoryID int64
	// TagIDs keeps articles with any of these tags.
	TagIDs   []int64
	From, To time.Time // publish_at in [From, To)
	Query    string    // words in the title (admin)
	Limit    int
	Offset   int
}

func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	conds = append(conds, "a.kind = "+arg(string(f.Kind)))
	if f.Live {
		conds = append(conds, "a.status = 'published'")
		if !f.Members {
			conds = append(conds, "a.visibility = 'public'")
		}
	}
	if f.Status != "" {
		conds = append(conds, "a.status = "+arg(string(f.Status)))
	}
	if f.CategoryID != 0 {
		conds = append(conds, "a.category_id = "+arg(f.CategoryID))
	}
	if len(f.TagIDs) > 0 {
		ph := make([]string, len(f.TagIDs))
		for i, id := range f.TagIDs {
			ph[i] = arg(id)
		}
		conds = append(conds, "a.id IN (SELECT it.item_id FROM item_tags it WHERE it.item_type = 'article' AND it.tag_id IN ("+strings.Join(ph, ", ")+"))")
	}
	if !f.From.IsZero() {
		conds = append(conds, "a.publish_at >= "+arg(f.From.UTC()))
	}
	if !f.To.IsZero() {
		conds = append(conds, "a.publish_at < "+arg(f.To.UTC()))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		for _, w := range strings.Fields(q) {
			w = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(w))
			conds = append(conds, "LOWER(a.title) LIKE "+arg("%"+w+"%")+` ESCAPE '\'`)
		}
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// List returns a page of articles or pages and the total matching.
func (s *Service) List(ctx context.Context, f Filter) ([]Article, int, error) {
	if f.Kind == "" {
		f.Kind = KindArticle
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 20
	}
	where, args := f.where()
	var total int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM articles a"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count %ss: %w", f.Kind, err)
	}
	order := " ORDER BY a.updated_at DESC, a.id DESC"
	if f.Live {
		order = " ORDER BY a.publish_at DESC, a.id DESC"
	} else if f.Kind == KindPage {
		order = " ORDER BY a.title, a.id"
	}
	n := len(args)
	args = append(args, f.Limit, max(f.Offset, 0))
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+articleCols+articleFrom+where+order+
		" LIMIT $"+strconv.Itoa(n+1)+" OFFSET $"+strconv.Itoa(n+2), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list %ss: %w", f.Kind, err)
	}
	out, err := s.scanAll(ctx, rows)
	return out, total, err
}

func (s *Service) scanAll(ctx context.Context, rows *sql.Rows) ([]Article, error) {
	defer rows.Close()
	var out []Article
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, fmt.Errorf("scan article: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scan articles: %w", err)
	}
	ptrs := make([]*Article, len(out))
	for i := range out {
		ptrs[i] = &out[i]
	}
	return out, s.fillTags(ctx, ptrs)
}

// Related returns up to n live articles sharing the most tags with a, then
// the latest of its category to fill up.
func (s *Service) Related(ctx context.Context, a Article, members bool, n int) ([]Article, error) {
	var out []Article
	seen := map[int64]bool{a.ID: true}
	if ids := a.TagIDs(); len(ids) > 0 {
		args := []any{a.ID}
		ph := make([]string, len(ids))
		for i, id := range ids {
			args = append(args, id)
			ph[i] = "$" + strconv.Itoa(i+2)
		}
		vis := " AND a.visibility = 'public'"
		if members {
			vis = ""
		}
		rows, err := s.db.R.QueryContext(ctx, "SELECT "+articleCols+articleFrom+`
			JOIN (SELECT item_id, COUNT(*) AS shared FROM item_tags WHERE item_type = 'article' AND item_id <> $1
				AND tag_id IN (`+strings.Join(ph, ", ")+`) GROUP BY item_id) r ON r.item_id = a.id
			WHERE a.kind = 'article' AND a.status = 'published'`+vis+`
			ORDER BY r.shared DESC, a.publish_at DESC, a.id DESC LIMIT `+strconv.Itoa(n), args...)
		if err != nil {
			return nil, fmt.Errorf("related to %d: %w", a.ID, err)
		}
		if out, err = s.scanAll(ctx, rows); err != nil {
			return nil, err
		}
		for _, r := range out {
			seen[r.ID] = true
		}
	}
	if len(out) < n && a.CategoryID != 0 {
		more, _, err := s.List(ctx, Filter{Kind: KindArticle, Live: true, Members: members, CategoryID: a.CategoryID, Limit: n + 1})
		if err != nil {
			return nil, err
		}
		for _, m := range more {
			if len(out) < n && !seen[m.ID] {
				out = append(out, m)
				seen[m.ID] = true
			}
		}
	}
	return out, nil
}

// Years returns the years that have live public articles, newest first,
// with how many each.
func (s *Service) Years(ctx context.Context) ([]YearCount, error) {
	var first, last sql.NullTime
	q := "SELECT publish_at FROM articles WHERE kind = 'article' AND status = 'published' AND visibility = 'public' ORDER BY publish_at "
	if err := s.db.R.QueryRowContext(ctx, q+"ASC LIMIT 1").Scan(&first); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, fmt.Errorf("first year: %w", err)
	}
	if err := s.db.R.QueryRowContext(ctx, q+"DESC LIMIT 1").Scan(&last); err != nil {
		return nil, fmt.Errorf("last year: %w", err)
	}
	var out []YearCount
	for y := last.Time.UTC().Year(); y >= first.Time.UTC().Year() && len(out) < 200; y-- {
		from := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		var n int
		if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM articles WHERE kind = 'article' AND status = 'published'
			AND visibility = 'public' AND publish_at >= $1 AND publish_at < $2`, from, from.AddDate(1, 0, 0)).Scan(&n); err != nil {
			return nil, fmt.Errorf("count year %d: %w", y, err)
		}
		if n > 0 {
			out = append(out, YearCount{Year: y, Articles: n})
		}
	}
	return out, nil
}

// YearCount is one year of the archive.
type YearCount struct {
	Year     int
	Articles int
}

// ExpandTag returns a tag's id together with those it contains (a region's
// sub-regions and countries, a grouping's countries), so that a region's
// listing shows articles filed under its countries.
func (s *Service) ExpandTag(ctx context.Context, t places.Tag) ([]int64, error) {
	var q string
	switch t.Kind {
	case places.KindRegion:
		q = "SELECT id FROM tags WHERE parent_id = $1 OR parent_id IN (SELECT id FROM tags WHERE parent_id = $1)"
	case places.KindSubregion:
		q = "SELECT id FROM tags WHERE parent_id = $1"
	case places.KindGrouping:
		q = "SELECT country_id FROM grouping_countries WHERE grouping_id = $1"
	default:
		return []int64{t.ID}, nil
	}
	rows, err := s.db.R.QueryContext(ctx, q, t.ID)
	if err != nil {
		return nil, fmt.Errorf("expand tag %d: %w", t.ID, err)
	}
	defer rows.Close()
	out := []int64{t.ID}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// ImageUsers returns the titles of the articles and pages that show image
// id, as their cover or in their text (so that it is not deleted from under
// them).
func (s *Service) ImageUsers(ctx context.Context, id int64) ([]string, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT title FROM articles WHERE cover_id = $1 OR body LIKE $2 ORDER BY title LIMIT 20`,
		id, "%/media/"+strconv.FormatInt(id, 10)+"/%")
	if err != nil {
		return nil, fmt.Errorf("users of image %d: %w", id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// AllIDs lists every article and page (for rebuilding the search index).
func (s *Service) AllIDs(ctx context.Context) ([]int64, error) {
	rows, err := s.db.R.QueryContext(ctx, "SELECT id FROM articles ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list article ids: %w", err)
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
