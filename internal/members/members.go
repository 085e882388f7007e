// Package members holds the coalition's member organisations: their profiles
// and tiers, applications to join, the people who sign in for them, and the
// news and documents they submit for the editors to review.
package members

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"coalition/internal/accounts"
	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/places"
	"coalition/internal/slug"
)

// Service is the members store.
type Service struct {
	db     *db.DB
	places *places.Service
	now    func() time.Time
	// Publisher publishes approved submissions as articles and library
	// documents. When nil, an approved submission is published as a simple
	// page of this package (see PublishedNews).
	Publisher Publisher
}

// New returns a Service over d. now is the clock (time.Now in production).
func New(d *db.DB, p *places.Service, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: d, places: p, now: func() time.Time { return now().UTC() }}
}

// Actor is who does something: a signed-in user (ID set) or, for an
// applicant, a name alone.
type Actor struct {
	ID   int64
	Name string
}

func (a Actor) id() any {
	if a.ID == 0 {
		return nil
	}
	return a.ID
}

// Event is one step in the history of an application or a submission.
type Event struct {
	At        time.Time
	ActorID   int64
	ActorName string
	Action    string
	Note      string
}

// Tier is a kind of membership.
type Tier struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	Criteria    string // one criterion per line
	Position    int
	Members     int // organisations in the tier
}

// CriteriaList splits the criteria into lines for display.
func (t Tier) CriteriaList() []string { return lines(t.Criteria) }

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Organisation is a member organisation.
type Organisation struct {
	ID           int64
	Name         string
	Slug         string
	Description  string // Markdown
	Website      string
	Country      string // ISO 3166 alpha-3, upper case; empty if unknown
	CountryName  string
	Region       string // UN M49 region name
	RegionSlug   string
	Subregion    string
	ContactEmail string
	TierID       int64
	TierName     string
	TierSlug     string
	JoinedAt     time.Time
	Public       bool
	HasLogo      bool
	LogoVersion  int64 // changes when the logo does, for cache busting
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// URL is the organisation's public profile path.
func (o Organisation) URL() string { return "/members/" + o.Slug }

// LogoURL is where the logo is served, with a version so that it can be cached.
func (o Organisation) LogoURL() string {
	return "/members/" + o.Slug + "/logo?v=" + strconv.FormatInt(o.LogoVersion, 10)
}

const orgCols = `o.id, o.name, o.slug, o.description, o.website, o.country, o.contact_email, COALESCE(o.tier_id, 0),
	COALESCE(t.name, ''), COALESCE(t.slug, ''), o.joined_at, o.public, o.created_at, o.updated_at,
	CASE WHEN l.organisation_id IS NULL THEN 0 ELSE 1 END, l.updated_at`

const orgFrom = ` FROM organisations o LEFT JOIN member_tiers t ON t.id = o.tier_id
	LEFT JOIN organisation_logos l ON l.organisation_id = o.id`

func (s *Service) scanOrg(row interface{ Scan(...any) error }) (Organisation, error) {
	var o Organisation
	var joined, updated, logoAt sql.NullTime
	var hasLogo int
	err := row.Scan(&o.ID, &o.Name, &o.Slug, &o.Description, &o.Website, &o.Country, &o.ContactEmail, &o.TierID,
		&o.TierName, &o.TierSlug, &joined, &o.Public, &o.CreatedAt, &updated, &hasLogo, &logoAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Organisation{}, errs.ErrNotFound
	}
	if err != nil {
		return Organisation{}, err
	}
	o.JoinedAt = o.CreatedAt
	if joined.Valid {
		o.JoinedAt = joined.Time
	}
	o.UpdatedAt = o.CreatedAt
	if updated.Valid {
		o.UpdatedAt = updated.Time
	}
	o.HasLogo = hasLogo == 1
	if logoAt.Valid {
		o.LogoVersion = logoAt.Time.Unix()
	}
	s.fillPlace(&o)
	return o, nil
}

// fillPlace adds the country's name and region from the gazetteer.
func (s *Service) fillPlace(o *Organisation) {
	if c, ok := s.places.Gaz.Country(o.Country); ok {
		o.CountryName = c.Name
		o.Region = c.Region
		o.RegionSlug = slug.Make(c.Region, 60)
		o.Subregion = c.Subregion
	}
}

// ByID returns one organisation.
func (s *Service) ByID(ctx context.Context, id int64) (Organisation, error) {
	o, err := s.scanOrg(s.db.R.QueryRowContext(ctx, "SELECT "+orgCols+orgFrom+" WHERE o.id = $1", id))
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		err = fmt.Errorf("organisation %d: %w", id, err)
	}
	return o, err
}

// BySlug returns one organisation by its slug.
func (s *Service) BySlug(ctx context.Context, slugv string) (Organisation, error) {
	if !slug.Valid(slugv) {
		return Organisation{}, errs.ErrNotFound
	}
	o, err := s.scanOrg(s.db.R.QueryRowContext(ctx, "SELECT "+orgCols+orgFrom+" WHERE o.slug = $1", slugv))
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		err = fmt.Errorf("organisation %s: %w", slugv, err)
	}
	return o, err
}

// Filter narrows List.
type Filter struct {
	PublicOnly bool
	Region     string // region slug (UN M49), e.g. "africa"
	Country    string // ISO alpha-3
	Tier       string // tier slug
	Query      string // part of the name (admin)
}

// List returns the organisations matching f, by name.
func (s *Service) List(ctx context.Context, f Filter) ([]Organisation, error) {
	q := "SELECT " + orgCols + orgFrom + " WHERE 1 = 1"
	var args []any
	if f.PublicOnly {
		q += " AND o.public = TRUE"
	}
	if f.Country != "" {
		args = append(args, strings.ToUpper(f.Country))
		q += " AND o.country = $" + strconv.Itoa(len(args))
	}
	if f.Tier != "" {
		args = append(args, f.Tier)
		q += " AND t.slug = $" + strconv.Itoa(len(args))
	}
	rows, err := s.db.R.QueryContext(ctx, q+" ORDER BY o.name", args...)
	if err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	defer rows.Close()
	var out []Organisation
	query := strings.ToLower(strings.TrimSpace(f.Query))
	for rows.Next() {
		o, err := s.scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("list organisations: %w", err)
		}
		if f.Region != "" && o.RegionSlug != f.Region {
			continue
		}
		if query != "" && !strings.Contains(strings.ToLower(o.Name), query) {
			continue
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// ForCountries returns the public member organisations based in any of the
// given countries (ISO alpha-3), for country and region pages.
func (s *Service) ForCountries(ctx context.Context, iso3 ...string) ([]Organisation, error) {
	want := map[string]bool{}
	for _, c := range iso3 {
		want[strings.ToUpper(strings.TrimSpace(c))] = true
	}
	all, err := s.List(ctx, Filter{PublicOnly: true})
	if err != nil {
		return nil, err
	}
	var out []Organisation
	for _, o := range all {
		if want[o.Country] {
			out = append(out, o)
		}
	}
	return out, nil
}

// OrgInput is what staff set on an organisation.
type OrgInput struct {
	Name         string
	Description  string
	Website      string
	Country      string
	ContactEmail string
	TierID       int64
	JoinedAt     time.Time // zero: today (new organisations) or unchanged
	Public       bool
}

// ProfileInput is what an organisation's own admin may change.
type ProfileInput struct {
	Name         string
	Description  string
	Website      string
	Country      string
	ContactEmail string
	Public       bool
}

// Field limits.
const (
	maxName        = 200
	maxDescription = 20000
	maxStatement   = 10000
	maxURL         = 500
)

// cleanWebsite validates a website address; "example.org" gets https://.
func cleanWebsite(field, raw string) (string, error) {
	w := strings.TrimSpace(raw)
	if w == "" {
		return "", nil
	}
	if !strings.Contains(w, "://") {
		w = "https://" + w
	}
	u, err := url.Parse(w)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(w, " \t\r\n<>\"") || len(w) > maxURL {
		return "", errs.Invalid(field, "Enter the website's address, like https://example.org.")
	}
	return u.String(), nil
}

func cleanName(field, raw string) (string, error) {
	n := strings.Join(strings.Fields(raw), " ")
	if n == "" {
		return "", errs.Invalid(field, "Enter the organisation's name.")
	}
	if utf8.RuneCountInString(n) > maxName {
		return "", errs.Invalid(field, "Use at most 200 characters.")
	}
	return n, nil
}

func (s *Service) cleanCountry(field, raw string, required bool) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(raw))
	if c == "" {
		if required {
			return "", errs.Invalid(field, "Choose the country where the organisation is based.")
		}
		return "", nil
	}
	if _, ok := s.places.Gaz.Country(c); !ok {
		return "", errs.Invalid(field, "Choose a country from the list.")
	}
	return c, nil
}

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

func cleanOptionalEmail(field, raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", nil
	}
	e, err := accounts.NormalizeEmail(raw)
	if err != nil {
		return "", errs.Invalid(field, "Enter a valid e-mail address, like name@example.org.")
	}
	return e, nil
}

func (s *Service) cleanProfile(in ProfileInput) (ProfileInput, error) {
	var err error
	if in.Name, err = cleanName("name", in.Name); err != nil {
		return in, err
	}
	if in.Description, err = cleanText("description", in.Description, maxDescription); err != nil {
		return in, err
	}
	if in.Website, err = cleanWebsite("website", in.Website); err != nil {
		return in, err
	}
	if in.Country, err = s.cleanCountry("country", in.Country, true); err != nil {
		return in, err
	}
	if in.ContactEmail, err = cleanOptionalEmail("contact_email", in.ContactEmail); err != nil {
		return in, err
	}
	return in, nil
}

func tierExists(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id int64) error {
	if id == 0 {
		return errs.Invalid("tier", "Choose a tier.")
	}
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM member_tiers WHERE id = $1", id).Scan(&n); err != nil {
		return fmt.Errorf("check tier: %w", err)
	}
	if n == 0 {
		return errs.Invalid("tier", "Choose a tier from the list.")
	}
	return nil
}

// uniqueSlug returns base, or base-2, base-3… whichever is free.
func uniqueSlug(ctx context.Context, tx *sql.Tx, table, base string) (string, error) {
	if base == "" {
		base = "organisation"
	}
	for i := 1; i < 1000; i++ {
		cand := base
		if i > 1 {
			suffix := "-" + strconv.Itoa(i)
			cand = strings.TrimRight(clipBytes(base, 80-len(suffix)), "-") + suffix
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table+" WHERE slug = $1", cand).Scan(&n); err != nil {
			return "", fmt.Errorf("check slug: %w", err)
		}
		if n == 0 {
			return cand, nil
		}
	}
	return "", errs.Invalid("name", "Choose a more distinctive name.")
}

func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// Create adds an organisation (staff).
func (s *Service) Create(ctx context.Context, in OrgInput) (Organisation, error) {
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.createTx(ctx, tx, in)
		return err
	})
	if err != nil {
		return Organisation{}, err
	}
	return s.ByID(ctx, id)
}

func (s *Service) createTx(ctx context.Context, tx *sql.Tx, in OrgInput) (int64, error) {
	p, err := s.cleanProfile(ProfileInput{Name: in.Name, Description: in.Description, Website: in.Website, Country: in.Country, ContactEmail: in.ContactEmail})
	if err != nil {
		return 0, err
	}
	if err := tierExists(ctx, tx, in.TierID); err != nil {
		return 0, err
	}
	sl, err := uniqueSlug(ctx, tx, "organisations", slug.Make(p.Name, 80))
	if err != nil {
		return 0, err
	}
	now := s.now()
	joined := in.JoinedAt
	if joined.IsZero() {
		joined = now
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO organisations (name, slug, created_at, description, website, country, contact_email, tier_id, joined_at, public, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $3) RETURNING id`,
		p.Name, sl, now, p.Description, p.Website, p.Country, p.ContactEmail, in.TierID, joined.UTC(), in.Public).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("create organisation %q: %w", p.Name, err)
	}
	return id, s.tagCountry(ctx, tx, id, p.Country)
}

// tagCountry files the organisation under its country in the shared tags.
func (s *Service) tagCountry(ctx context.Context, tx *sql.Tx, id int64, iso3 string) error {
	var tags []int64
	if iso3 != "" {
		var tid int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM tags WHERE kind = 'country' AND code = $1", iso3).Scan(&tid)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("country tag %s: %w", iso3, err)
		}
		if tid != 0 {
			tags = append(tags, tid)
		}
	}
	return places.SetItemTags(ctx, tx, "organisation", id, tags)
}

// Update changes every field of an organisation (staff).
func (s *Service) Update(ctx context.Context, id int64, in OrgInput) error {
	p, err := s.cleanProfile(ProfileInput{Name: in.Name, Description: in.Description, Website: in.Website, Country: in.Country, ContactEmail: in.ContactEmail})
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tierExists(ctx, tx, in.TierID); err != nil {
			return err
		}
		var joined any
		if !in.JoinedAt.IsZero() {
			joined = in.JoinedAt.UTC()
		}
		res, err := tx.ExecContext(ctx, `UPDATE organisations SET name = $1, description = $2, website = $3, country = $4, contact_email = $5,
			tier_id = $6, joined_at = COALESCE($7, joined_at), public = $8, updated_at = $9 WHERE id = $10`,
			p.Name, p.Description, p.Website, p.Country, p.ContactEmail, in.TierID, joined, in.Public, s.now(), id)
		if err != nil {
			return fmt.Errorf("update organisation %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		return s.tagCountry(ctx, tx, id, p.Country)
	})
}

// UpdateProfile changes what an organisation's own admin may change. The
// caller must have checked that the user belongs to organisation id.
func (s *Service) UpdateProfile(ctx context.Context, id int64, in ProfileInput) error {
	p, err := s.cleanProfile(in)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE organisations SET name = $1, description = $2, website = $3, country = $4, contact_email = $5,
			public = $6, updated_at = $7 WHERE id = $8`,
			p.Name, p.Description, p.Website, p.Country, p.ContactEmail, p.Public, s.now(), id)
		if err != nil {
			return fmt.Errorf("update profile %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		return s.tagCountry(ctx, tx, id, p.Country)
	})
}

// Delete removes an organisation; its people stay as users without one
// (staff decide whether to disable them), its submissions go with it.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := places.SetItemTags(ctx, tx, "organisation", id, nil); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET org_admin = FALSE WHERE organisation_id = $1", id); err != nil {
			return fmt.Errorf("delete organisation %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM item_tags WHERE item_type = 'submission' AND item_id IN (SELECT id FROM member_submissions WHERE organisation_id = $1)", id); err != nil {
			return fmt.Errorf("delete organisation %d: %w", id, err)
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM organisations WHERE id = $1", id)
		if err != nil {
			return fmt.Errorf("delete organisation %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		return nil
	})
}

// Tiers lists the tiers in their display order, with member counts.
func (s *Service) Tiers(ctx context.Context) ([]Tier, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT t.id, t.slug, t.name, t.description, t.criteria, t.position,
		(SELECT COUNT(*) FROM organisations o WHERE o.tier_id = t.id)
		FROM member_tiers t ORDER BY t.position, t.name`)
	if err != nil {
		return nil, fmt.Errorf("list tiers: %w", err)
	}
	defer rows.Close()
	var out []Tier
	for rows.Next() {
		var t Tier
		if err := rows.Scan(&t.ID, &t.Slug, &t.Name, &t.Description, &t.Criteria, &t.Position, &t.Members); err != nil {
			return nil, fmt.Errorf("list tiers: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TierInput is an edited tier.
type TierInput struct {
	Name        string
	Description string
	Criteria    string
	Position    int
}

func cleanTier(in TierInput) (TierInput, error) {
	var err error
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 80 {
		return in, errs.Invalid("name", "Enter a name of 1 to 80 characters.")
	}
	if in.Description, err = cleanText("description", in.Description, 2000); err != nil {
		return in, err
	}
	if in.Criteria, err = cleanText("criteria", in.Criteria, 4000); err != nil {
		return in, err
	}
	return in, nil
}

// CreateTier adds a tier.
func (s *Service) CreateTier(ctx context.Context, in TierInput) (Tier, error) {
	in, err := cleanTier(in)
	if err != nil {
		return Tier{}, err
	}
	t := Tier{Name: in.Name, Description: in.Description, Criteria: in.Criteria, Position: in.Position}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		sl, err := uniqueSlug(ctx, tx, "member_tiers", slug.Make(in.Name, 60))
		if err != nil {
			return err
		}
		t.Slug = sl
		return tx.QueryRowContext(ctx, "INSERT INTO member_tiers (slug, name, description, criteria, position) VALUES ($1, $2, $3, $4, $5) RETURNING id",
			sl, in.Name, in.Description, in.Criteria, in.Position).Scan(&t.ID)
	})
	if err != nil {
		return Tier{}, fmt.Errorf("create tier: %w", err)
	}
	return t, nil
}

// UpdateTier changes a tier (its slug, used in filter links, stays).
func (s *Service) UpdateTier(ctx context.Context, id int64, in TierInput) error {
	in, err := cleanTier(in)
	if err != nil {
		return err
	}
	res, err := s.db.W.ExecContext(ctx, "UPDATE member_tiers SET name = $1, description = $2, criteria = $3, position = $4 WHERE id = $5",
		in.Name, in.Description, in.Criteria, in.Position, id)
	if err != nil {
		return fmt.Errorf("update tier %d: %w", id, db.Classify(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.ErrNotFound
	}
	return nil
}

// DeleteTier removes a tier no organisation belongs to.
func (s *Service) DeleteTier(ctx context.Context, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM organisations WHERE tier_id = $1", id).Scan(&n); err != nil {
			return fmt.Errorf("delete tier %d: %w", id, err)
		}
		if n > 0 {
			return errs.Invalid("tier", "Organisations still belong to this tier; move them to another tier first.")
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM member_tiers WHERE id = $1", id)
		if err != nil {
			return fmt.Errorf("delete tier %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrNotFound
		}
		return nil
	})
}

// ForRegion returns the public member organisations based in a UN M49
// region or sub-region, given by its tag slug ("africa", "western-asia"),
// for region pages.
func (s *Service) ForRegion(ctx context.Context, regionSlug string) ([]Organisation, error) {
	all, err := s.List(ctx, Filter{PublicOnly: true})
	if err != nil {
		return nil, err
	}
	var out []Organisation
	for _, o := range all {
		if o.RegionSlug == regionSlug || (o.Subregion != "" && slug.Make(o.Subregion, 60) == regionSlug) {
			out = append(out, o)
		}
	}
	return out, nil
}
