// Package crises holds the coalition's crisis pages: each crisis has a
// status on an editable scale of gravity, countries, a summary, sections of
// text, key recommendations and a timeline of dated updates. A crisis is also
// a tag (kind crisis) so that articles and documents can be filed under it;
// the tag is kept in step with the crisis. Publishing an update hands an
// alert to a Notifier (the mailing lists' alerts).
package crises

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/places"
	"coalition/internal/slug"
)

// AlertItem is what a published update hands to the alerts: its tags are
// the crisis's own tag, its countries, and their sub-regions and regions, so
// that subscribers following any of them hear of it.
type AlertItem struct {
	Type        string // "crisis-update"
	ID          int64  // the update's id
	Title       string
	URL         string // absolute
	Summary     string
	TagIDs      []int64
	PublishedAt time.Time
}

// Notifier sends alerts to the subscribers of an item's tags.
type Notifier interface {
	Notify(ctx context.Context, item AlertItem) error
}

// Service is the crises store.
type Service struct {
	db      *db.DB
	places  *places.Service
	now     func() time.Time
	baseURL string
	log     *slog.Logger
	// Notifier receives published updates; nil sends nothing.
	Notifier Notifier
}

// New returns a Service over d. baseURL makes alert links absolute.
func New(d *db.DB, p *places.Service, baseURL string, log *slog.Logger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: d, places: p, baseURL: strings.TrimRight(baseURL, "/"), log: log, now: func() time.Time { return now().UTC() }}
}

// Status is one step of the status scale.
type Status struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	Gravity     int    // 1 is the gravest
	Colour      string // #rrggbb
	Crises      int    // crises with this status
}

// Section is a titled block of Markdown text.
type Section struct {
	Heading string
	Body    string
}

// Update is a dated entry in a crisis's timeline.
type Update struct {
	ID          int64
	CrisisID    int64
	HappenedOn  time.Time
	Title       string
	Body        string // Markdown
	PublishedAt time.Time
	AlertedAt   time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Published reports whether the update is on the public timeline.
func (u Update) Published() bool { return !u.PublishedAt.IsZero() }

// Anchor is the update's fragment id on the crisis page.
func (u Update) Anchor() string { return "update-" + strconv.FormatInt(u.ID, 10) }

// Crisis is one crisis situation.
type Crisis struct {
	ID              int64
	Slug            string
	Title           string
	Status          Status
	Summary         string // Markdown
	TagID           int64
	Published       bool
	CreatedAt       time.Time
	UpdatedAt       time.Time // the "Updated:" date
	Countries       []places.Tag
	Sections        []Section
	Recommendations []string
	Updates         []Update // newest first (Get only)
}

// URL is the crisis page's path.
func (c Crisis) URL() string { return "/crises/" + c.Slug }

// CountryCodes lists the ISO alpha-3 codes of the crisis's countries.
func (c Crisis) CountryCodes() []string {
	out := make([]string, 0, len(c.Countries))
	for _, t := range c.Countries {
		out = append(out, t.Code)
	}
	return out
}

// Input is an edited crisis.
type Input struct {
	Title           string
	Slug            string // new crises only; made from the title when empty
	StatusID        int64
	Summary         string
	Countries       []string // ISO alpha-3
	Sections        []Section
	Recommendations []string
	Published       bool
}

var colourRe = regexp.MustCompile(`^#[0-9a-f]{6}$`)

func cleanText(field, raw string, max int) (string, error) {
	t := strings.TrimSpace(strings.ReplaceAll(raw, "\r\n", "\n"))
	if !utf8.ValidString(t) {
		return "", errs.Invalid(field, "The text contains characters that cannot be read.")
	}
	if utf8.RuneCountInString(t) > max {
		return "", errs.Invalid(field, fmt.Sprintf("Use at most %d characters.", max))
	}
	return t, nil
}

func oneLine(field, raw string, max int, what string) (string, error) {
	t := strings.Join(strings.Fields(raw), " ")
	if t == "" {
		return "", errs.Invalid(field, "Enter "+what+".")
	}
	if utf8.RuneCountInString(t) > max {
		return "", errs.Invalid(field, fmt.Sprintf("Use at most %d characters.", max))
	}
	return t, nil
}

func (s *Service) clean(ctx context.Context, in Input) (Input, []int64, error) {
	var err error
	if in.Title, err = oneLine("title", in.Title, 200, "a title"); err != nil {
		return in, nil, err
	}
	if in.Summary, err = cleanText("summary", in.Summary, 5000); err != nil {
		return in, nil, err
	}
	var secs []Section
	for i, sec := range in.Sections {
		h := strings.Join(strings.Fields(sec.Heading), " ")
		b, err := cleanText("sections", sec.Body, 50000)
		if err != nil {
			return in, nil, err
		}
		if h == "" && b == "" {
			continue
		}
		if h == "" {
			return in, nil, errs.Invalid("sections", fmt.Sprintf("Section %d has text but no heading.", i+1))
		}
		if utf8.RuneCountInString(h) > 200 {
			return in, nil, errs.Invalid("sections", "Section headings have at most 200 characters.")
		}
		secs = append(secs, Section{Heading: h, Body: b})
	}
	in.Sections = secs
	var recs []string
	for _, r := range in.Recommendations {
		r = strings.Join(strings.Fields(r), " ")
		if r == "" {
			continue
		}
		if utf8.RuneCountInString(r) > 2000 {
			return in, nil, errs.Invalid("recommendations", "Each recommendation has at most 2000 characters.")
		}
		recs = append(recs, r)
	}
	if len(recs) > 50 {
		return in, nil, errs.Invalid("recommendations", "Keep to at most 50 key recommendations.")
	}
	in.Recommendations = recs
	countries, err := s.places.ResolveCountries(ctx, in.Countries)
	if err != nil {
		return in, nil, err
	}
	if len(countries) == 0 {
		return in, nil, errs.Invalid("countries", "Choose at least one country.")
	}
	return in, countries, nil
}

func statusExists(ctx context.Context, tx *sql.Tx, id int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM crisis_statuses WHERE id = $1", id).Scan(&n); err != nil {
		return fmt.Errorf("check status: %w", err)
	}
	if n == 0 {
		return errs.Invalid("status", "Choose a status from the list.")
	}
	return nil
}

// Create adds a crisis and its tag.
func (s *Service) Create(ctx context.Context, in Input) (Crisis, error) {
	in, countries, err := s.clean(ctx, in)
	if err != nil {
		return Crisis{}, err
	}
	sl := strings.TrimSpace(in.Slug)
	if sl == "" {
		sl = slug.Make(in.Title, 80)
	}
	if !slug.Valid(sl) {
		return Crisis{}, errs.Invalid("slug", "Use lower-case letters, digits and hyphens.")
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := statusExists(ctx, tx, in.StatusID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM crises WHERE slug = $1", sl).Scan(&n); err != nil {
			return fmt.Errorf("check slug: %w", err)
		}
		if n > 0 {
			return errs.Invalid("slug", "Another crisis already has this address; choose another.")
		}
		// A crisis tag editors made before the crisis page existed is adopted.
		var tagID int64
		err := tx.QueryRowContext(ctx, `INSERT INTO tags (kind, slug, name) VALUES ('crisis', $1, $2)
			ON CONFLICT (kind, slug) DO UPDATE SET name = excluded.name RETURNING id`, sl, in.Title).Scan(&tagID)
		if err != nil {
			return fmt.Errorf("crisis tag: %w", err)
		}
		now := s.now()
		err = tx.QueryRowContext(ctx, `INSERT INTO crises (slug, title, status_id, summary, tag_id, published, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, sl, in.Title, in.StatusID, in.Summary, tagID, in.Published, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("create crisis: %w", err)
		}
		return saveParts(ctx, tx, id, in, countries)
	})
	if err != nil {
		return Crisis{}, err
	}
	return s.Get(ctx, id)
}

func saveParts(ctx context.Context, tx *sql.Tx, id int64, in Input, countries []int64) error {
	for _, q := range []string{"DELETE FROM crisis_sections WHERE crisis_id = $1", "DELETE FROM crisis_recommendations WHERE crisis_id = $1"} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("crisis %d: %w", id, err)
		}
	}
	for i, sec := range in.Sections {
		if _, err := tx.ExecContext(ctx, "INSERT INTO crisis_sections (crisis_id, position, heading, body) VALUES ($1, $2, $3, $4)",
			id, i, sec.Heading, sec.Body); err != nil {
			return fmt.Errorf("crisis %d section: %w", id, err)
		}
	}
	for i, r := range in.Recommendations {
		if _, err := tx.ExecContext(ctx, "INSERT INTO crisis_recommendations (crisis_id, position, text) VALUES ($1, $2, $3)", id, i, r); err != nil {
			return fmt.Errorf("crisis %d recommendation: %w", id, err)
		}
	}
	return places.SetItemTags(ctx, tx, "crisis", id, countries)
}

// Update saves an edited crisis (its slug stays: it is its address) and
// renames its tag to match.
func (s *Service) Update(ctx context.Context, id int64, in Input) error {
	in, countries, err := s.clean(ctx, in)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := statusExists(ctx, tx, in.StatusID); err != nil {
			return err
		}
		var tagID sql.NullInt64
		var sl string
		err := tx.QueryRowContext(ctx, "SELECT tag_id, slug FROM crises WHERE id = $1", id).Scan(&tagID, &sl)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("crisis %d: %w", id, err)
		}
		if tagID.Valid {
			if _, err := tx.ExecContext(ctx, "UPDATE tags SET name = $1 WHERE id = $2", in.Title, tagID.Int64); err != nil {
				return fmt.Errorf("crisis tag: %w", err)
			}
		} else {
			// The tag was deleted in the tags admin: make it again.
			var tid int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO tags (kind, slug, name) VALUES ('crisis', $1, $2)
				ON CONFLICT (kind, slug) DO UPDATE SET name = excluded.name RETURNING id`, sl, in.Title).Scan(&tid); err != nil {
				return fmt.Errorf("crisis tag: %w", err)
			}
			tagID = sql.NullInt64{Int64: tid, Valid: true}
		}
		_, err = tx.ExecContext(ctx, `UPDATE crises SET title = $1, status_id = $2, summary = $3, published = $4, tag_id = $5, updated_at = $6 WHERE id = $7`,
			in.Title, in.StatusID, in.Summary, in.Published, tagID.Int64, s.now(), id)
		if err != nil {
			return fmt.Errorf("update crisis %d: %w", id, err)
		}
		return saveParts(ctx, tx, id, in, countries)
	})
}

// Delete removes a crisis with its timeline. Its tag stays, so that the
// articles and documents filed under it keep that filing.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := places.SetItemTags(ctx, tx, "crisis", id, nil); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM crises WHERE id = $1", id)
		if err != nil {
			return fmt.Errorf("delete crisis %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		return nil
	})
}

const crisisCols = `c.id, c.slug, c.title, c.summary, COALESCE(c.tag_id, 0), c.published, c.created_at, c.updated_at,
	st.id, st.slug, st.name, st.description, st.gravity, st.colour`

const crisisFrom = ` FROM crises c JOIN crisis_statuses st ON st.id = c.status_id`

func scanCrisis(row interface{ Scan(...any) error }) (Crisis, error) {
	var c Crisis
	err := row.Scan(&c.ID, &c.Slug, &c.Title, &c.Summary, &c.TagID, &c.Published, &c.CreatedAt, &c.UpdatedAt,
		&c.Status.ID, &c.Status.Slug, &c.Status.Name, &c.Status.Description, &c.Status.Gravity, &c.Status.Colour)
	if errors.Is(err, sql.ErrNoRows) {
		return Crisis{}, errs.ErrNotFound
	}
	return c, err
}

// List returns the crises (only published ones when publishedOnly), gravest
// status first, then by title, with their countries.
func (s *Service) List(ctx context.Context, publishedOnly bool) ([]Crisis, error) {
	q := "SELECT " + crisisCols + crisisFrom
	if publishedOnly {
		q += " WHERE c.published = TRUE"
	}
	rows, err := s.db.R.QueryContext(ctx, q+" ORDER BY st.gravity, st.id, c.title")
	if err != nil {
		return nil, fmt.Errorf("list crises: %w", err)
	}
	defer rows.Close()
	var out []Crisis
	var ids []int64
	for rows.Next() {
		c, err := scanCrisis(rows)
		if err != nil {
			return nil, fmt.Errorf("list crises: %w", err)
		}
		out = append(out, c)
		ids = append(ids, c.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list crises: %w", err)
	}
	tags, err := s.places.ItemTags(ctx, "crisis", ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Countries = countriesOf(tags[out[i].ID])
	}
	return out, nil
}

func countriesOf(tags []places.Tag) []places.Tag {
	var out []places.Tag
	for _, t := range tags {
		if t.Kind == places.KindCountry {
			out = append(out, t)
		}
	}
	return out
}

// ForCountries returns the published crises concerning any of the given
// countries (ISO alpha-3), for country and region pages.
func (s *Service) ForCountries(ctx context.Context, iso3 ...string) ([]Crisis, error) {
	want := map[string]bool{}
	for _, c := range iso3 {
		want[strings.ToUpper(strings.TrimSpace(c))] = true
	}
	all, err := s.List(ctx, true)
	if err != nil {
		return nil, err
	}
	var out []Crisis
	for _, c := range all {
		for _, t := range c.Countries {
			if want[t.Code] {
				out = append(out, c)
				break
			}
		}
	}
	return out, nil
}

// Get returns a crisis with everything on its page, all updates included
// (drafts too: the public page shows the published ones).
func (s *Service) Get(ctx context.Context, id int64) (Crisis, error) {
	return s.get(ctx, "c.id = $1", id)
}

// BySlug returns a crisis by its address.
func (s *Service) BySlug(ctx context.Context, sl string) (Crisis, error) {
	if !slug.Valid(sl) {
		return Crisis{}, errs.ErrNotFound
	}
	return s.get(ctx, "c.slug = $1", sl)
}

func (s *Service) get(ctx context.Context, where string, arg any) (Crisis, error) {
	c, err := scanCrisis(s.db.R.QueryRowContext(ctx, "SELECT "+crisisCols+crisisFrom+" WHERE "+where, arg))
	if err != nil {
		if !errors.Is(err, errs.ErrNotFound) {
			err = fmt.Errorf("crisis %v: %w", arg, err)
		}
		return Crisis{}, err
	}
	tags, err := s.places.ItemTags(ctx, "crisis", []int64{c.ID})
	if err != nil {
		return Crisis{}, err
	}
	c.Countries = countriesOf(tags[c.ID])
	rows, err := s.db.R.QueryContext(ctx, "SELECT heading, body FROM crisis_sections WHERE crisis_id = $1 ORDER BY position", c.ID)
	if err != nil {
		return Crisis{}, fmt.Errorf("crisis %d sections: %w", c.ID, err)
	}
	for rows.Next() {
		var sec Section
		if err := rows.Scan(&sec.Heading, &sec.Body); err != nil {
			rows.Close()
			return Crisis{}, fmt.Errorf("crisis %d sections: %w", c.ID, err)
		}
		c.Sections = append(c.Sections, sec)
	}
	rows.Close()
	rows, err = s.db.R.QueryContext(ctx, "SELECT text FROM crisis_recommendations WHERE crisis_id = $1 ORDER BY position", c.ID)
	if err != nil {
		return Crisis{}, fmt.Errorf("crisis %d recommendations: %w", c.ID, err)
	}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return Crisis{}, fmt.Errorf("crisis %d recommendations: %w", c.ID, err)
		}
		c.Recommendations = append(c.Recommendations, r)
	}
	rows.Close()
	if c.Updates, err = s.updates(ctx, c.ID); err != nil {
		return Crisis{}, err
	}
	return c, nil
}

const updateCols = "id, crisis_id, happened_on, title, body, published_at, alerted_at, created_at, updated_at"

func scanUpdate(row interface{ Scan(...any) error }) (Update, error) {
	var u Update
	var pub, alerted sql.NullTime
	err := row.Scan(&u.ID, &u.CrisisID, &u.HappenedOn, &u.Title, &u.Body, &pub, &alerted, &u.CreatedAt, &u.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Update{}, errs.ErrNotFound
	}
	if pub.Valid {
		u.PublishedAt = pub.Time
	}
	if alerted.Valid {
		u.AlertedAt = alerted.Time
	}
	return u, err
}

func (s *Service) updates(ctx context.Context, crisisID int64) ([]Update, error) {
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+updateCols+" FROM crisis_updates WHERE crisis_id = $1 ORDER BY happened_on DESC, id DESC", crisisID)
	if err != nil {
		return nil, fmt.Errorf("crisis %d updates: %w", crisisID, err)
	}
	defer rows.Close()
	var out []Update
	for rows.Next() {
		u, err := scanUpdate(rows)
		if err != nil {
			return nil, fmt.Errorf("crisis %d updates: %w", crisisID, err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// ForRegion returns the published crises concerning any country of a UN M49
// region or sub-region, given by its tag slug ("africa", "western-asia"),
// for region pages.
func (s *Service) ForRegion(ctx context.Context, regionSlug string) ([]Crisis, error) {
	return s.ForCountries(ctx, RegionCountries(s.places.Gaz, regionSlug)...)
}

// RegionCountries lists the ISO alpha-3 codes of the countries in a region
// or sub-region, given by its tag slug.
func RegionCountries(g *places.Gazetteer, regionSlug string) []string {
	var out []string
	for _, c := range g.Countries {
		if slug.Make(c.Region, 60) == regionSlug || slug.Make(c.Subregion, 60) == regionSlug {
			out = append(out, c.ISO3)
		}
	}
	return out
}
