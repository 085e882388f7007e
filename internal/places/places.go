// Package places holds the world as the coalition sees it: UN M49 regions,
// sub-regions and countries (embedded, with names in the six UN languages),
// the coalition's own regional groupings, themes and crises — and the shared
// tag model through which articles, documents, crises and members are filed
// under them.
package places

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/slug"
)

//go:embed data/countries.csv
var countriesCSV []byte

// Kind is a kind of tag.
type Kind string

// Tag kinds.
const (
	KindRegion    Kind = "region"
	KindSubregion Kind = "subregion"
	KindCountry   Kind = "country"
	KindGrouping  Kind = "grouping" // the coalition's own regions, each a set of countries
	KindTheme     Kind = "theme"
	KindCrisis    Kind = "crisis"
)

// Editable reports whether editors create and rename tags of this kind
// (geography comes from the embedded data).
func (k Kind) Editable() bool { return k == KindGrouping || k == KindTheme || k == KindCrisis }

// ParseKind validates a kind name.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case KindRegion, KindSubregion, KindCountry, KindGrouping, KindTheme, KindCrisis:
		return k, nil
	}
	return "", errs.Invalid("kind", "Unknown kind of tag.")
}

// Tag is one region, sub-region, country, grouping, theme or crisis.
type Tag struct {
	ID       int64
	Kind     Kind
	Slug     string
	Name     string
	Code     string // ISO alpha-3 (countries) or M49 code (regions, sub-regions)
	ParentID int64  // country → sub-region → region
}

// Country is a country or territory from the embedded UN M49 data.
type Country struct {
	ISO3, ISO2, M49 string
	Name            string            // short English display name ("Syria")
	Names           map[string]string // UNTERM names by language: en fr es ar zh ru
	RegionCode      string
	Region          string
	SubregionCode   string
	Subregion       string
}

// Gazetteer is the embedded geography, parsed once.
type Gazetteer struct {
	Countries []Country
	byISO3    map[string]int
	checksum  string
}

// LoadGazetteer parses the embedded countries.csv.
func LoadGazetteer() (*Gazetteer, error) {
	r := csv.NewReader(bytes.NewReader(countriesCSV))
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("embedded countries.csv: %w", err)
	}
	sum := sha256.Sum256(countriesCSV)
	g := &Gazetteer{byISO3: map[string]int{}, checksum: hex.EncodeToString(sum[:8])}
	langs := []string{"en", "fr", "es", "ar", "zh", "ru"}
	for _, row := range rows[1:] {
		c := Country{ISO3: row[0], ISO2: row[1], M49: row[2], RegionCode: row[3], Region: row[4],
			SubregionCode: row[5], Subregion: row[6], Name: row[7], Names: map[string]string{}}
		for i, l := range langs {
			c.Names[l] = row[8+i]
		}
		g.byISO3[c.ISO3] = len(g.Countries)
		g.Countries = append(g.Countries, c)
	}
	return g, nil
}

// Country looks a country up by ISO alpha-3 code (any case).
func (g *Gazetteer) Country(iso3 string) (Country, bool) {
	i, ok := g.byISO3[strings.ToUpper(strings.TrimSpace(iso3))]
	if !ok {
		return Country{}, false
	}
	return g.Countries[i], true
}

// Service stores tags and taggings.
type Service struct {
	db  *db.DB
	Gaz *Gazetteer
}

// New returns a Service over d.
func New(d *db.DB) (*Service, error) {
	g, err := LoadGazetteer()
	if err != nil {
		return nil, err
	}
	return &Service{db: d, Gaz: g}, nil
}

// Sync writes the embedded regions, sub-regions and countries into the tags
// table (names and hierarchy), skipping the work when the data has not
// changed since the last sync.
func (s *Service) Sync(ctx context.Context) error {
	const key = "places.checksum"
	var have string
	err := s.db.R.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&have)
	if err == nil && have == s.Gaz.checksum {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("places sync: %w", err)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		upsert := func(kind Kind, slugv, name, code string, parent int64, pos int) (int64, error) {
			var p any
			if parent != 0 {
				p = parent
			}
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO tags (kind, slug, name, code, parent_id, position) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (kind, slug) DO UPDATE SET name = excluded.name, code = excluded.code, parent_id = excluded.parent_id, position = excluded.position
				RETURNING id`, string(kind), slugv, name, code, p, pos).Scan(&id)
			return id, err
		}
		regions := map[string]int64{}
		subs := map[string]int64{}
		for i, c := range s.Gaz.Countries {
			var parent int64
			if c.RegionCode != "" {
				id, ok := regions[c.RegionCode]
				if !ok {
					var err error
					if id, err = upsert(KindRegion, slug.Make(c.Region, 60), c.Region, c.RegionCode, 0, 0); err != nil {
						return fmt.Errorf("region %s: %w", c.Region, err)
					}
					regions[c.RegionCode] = id
				}
				parent = id
			}
			if c.SubregionCode != "" {
				id, ok := subs[c.SubregionCode]
				if !ok {
					var err error
					if id, err = upsert(KindSubregion, slug.Make(c.Subregion, 60), c.Subregion, c.SubregionCode, parent, 0); err != nil {
						return fmt.Errorf("sub-region %s: %w", c.Subregion, err)
					}
					subs[c.SubregionCode] = id
				}
				parent = id
			}
			if _, err := upsert(KindCountry, strings.ToLower(c.ISO3), c.Name, c.ISO3, parent, i); err != nil {
				return fmt.Errorf("country %s: %w", c.ISO3, err)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
			key, s.Gaz.checksum)
		return err
	})
}

const tagCols = "id, kind, slug, name, code, COALESCE(parent_id, 0)"

func scanTags(rows *sql.Rows) ([]Tag, error) {
	defer rows.Close()
	var out []Tag
	for rows.Next() {
		var t Tag
		if err := rows.Scan(&t.ID, &t.Kind, &t.Slug, &t.Name, &t.Code, &t.ParentID); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// List returns every tag of a kind, by name.
func (s *Service) List(ctx context.Context, kind Kind) ([]Tag, error) {
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+tagCols+" FROM tags WHERE kind = $1 ORDER BY name", string(kind))
	if err != nil {
		return nil, fmt.Errorf("list %s tags: %w", kind, err)
	}
	return scanTags(rows)
}

// Get returns the tag of kind with slug (countries: the ISO alpha-3 code, any case).
func (s *Service) Get(ctx context.Context, kind Kind, slugv string) (Tag, error) {
	var t Tag
	err := s.db.R.QueryRowContext(ctx, "SELECT "+tagCols+" FROM tags WHERE kind = $1 AND slug = $2", string(kind), strings.ToLower(slugv)).
		Scan(&t.ID, &t.Kind, &t.Slug, &t.Name, &t.Code, &t.ParentID)
	if errors.Is(err, sql.ErrNoRows) {
		return Tag{}, errs.ErrNotFound
	}
	if err != nil {
		return Tag{}, fmt.Errorf("tag %s/%s: %w", kind, slugv, err)
	}
	return t, nil
}

// ByID returns one tag.
func (s *Service) ByID(ctx context.Context, id int64) (Tag, error) {
	var t Tag
	err := s.db.R.QueryRowContext(ctx, "SELECT "+tagCols+" FROM tags WHERE id = $1", id).
		Scan(&t.ID, &t.Kind, &t.Slug, &t.Name, &t.Code, &t.ParentID)
	if errors.Is(err, sql.ErrNoRows) {
		return Tag{}, errs.ErrNotFound
	}
	return t, err
}

// Create adds an editable tag (grouping, theme, crisis) named name, with a
// slug made from the name (or the given one).
func (s *Service) Create(ctx context.Context, kind Kind, name, slugv string) (Tag, error) {
	if !kind.Editable() {
		return Tag{}, errs.Invalid("kind", "Regions and countries come from the UN M49 data and cannot be added.")
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 120 {
		return Tag{}, errs.Invalid("name", "Enter a name of 1 to 120 characters.")
	}
	if slugv == "" {
		slugv = slug.Make(name, 80)
	}
	if !slug.Valid(slugv) {
		return Tag{}, errs.Invalid("slug", "Use lower-case letters, digits and hyphens.")
	}
	var id int64
	err := s.db.W.QueryRowContext(ctx, "INSERT INTO tags (kind, slug, name) VALUES ($1, $2, $3) RETURNING id", string(kind), slugv, name).Scan(&id)
	if db.IsUnique(err) {
		return Tag{}, errs.Invalid("name", "There is already one with that name.")
	}
	if err != nil {
		return Tag{}, fmt.Errorf("create %s %q: %w", kind, name, db.Classify(err))
	}
	return s.ByID(ctx, id)
}

// Rename changes an editable tag's name (its slug, part of URLs, stays).
func (s *Service) Rename(ctx context.Context, id int64, name string) error {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 120 {
		return errs.Invalid("name", "Enter a name of 1 to 120 characters.")
	}
	t, err := s.ByID(ctx, id)
	if err != nil {
		return err
	}
	if !t.Kind.Editable() {
		return errs.Invalid("kind", "Regions and countries come from the UN M49 data and cannot be renamed.")
	}
	_, err = s.db.W.ExecContext(ctx, "UPDATE tags SET name = $1 WHERE id = $2", name, id)
	return db.Classify(err)
}

// Delete removes an editable tag and its taggings.
func (s *Service) Delete(ctx context.Context, id int64) error {
	t, err := s.ByID(ctx, id)
	if err != nil {
		return err
	}
	if !t.Kind.Editable() {
		return errs.Invalid("kind", "Regions and countries cannot be deleted.")
	}
	_, err = s.db.W.ExecContext(ctx, "DELETE FROM tags WHERE id = $1", id)
	return db.Classify(err)
}

// SetGroupingCountries replaces the countries of a grouping.
func (s *Service) SetGroupingCountries(ctx context.Context, groupingID int64, iso3 []string) error {
	t, err := s.ByID(ctx, groupingID)
	if err != nil {
		return err
	}
	if t.Kind != KindGrouping {
		return errs.Invalid("grouping", "Not a regional grouping.")
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM grouping_countries WHERE grouping_id = $1", groupingID); err != nil {
			return err
		}
		for _, code := range iso3 {
			res, err := tx.ExecContext(ctx, `INSERT INTO grouping_countries (grouping_id, country_id)
				SELECT $1, id FROM tags WHERE kind = 'country' AND code = $2 ON CONFLICT DO NOTHING`, groupingID, strings.ToUpper(strings.TrimSpace(code)))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				if _, ok := s.Gaz.Country(code); !ok {
					return errs.Invalid("countries", fmt.Sprintf("Unknown country code %q (use ISO 3166 alpha-3, like SYR).", code))
				}
			}
		}
		return nil
	})
}

// GroupingCountries returns the countries of a grouping, by name.
func (s *Service) GroupingCountries(ctx context.Context, groupingID int64) ([]Tag, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT t.id, t.kind, t.slug, t.name, t.code, COALESCE(t.parent_id, 0)
		FROM grouping_countries g JOIN tags t ON t.id = g.country_id WHERE g.grouping_id = $1 ORDER BY t.name`, groupingID)
	if err != nil {
		return nil, fmt.Errorf("grouping countries: %w", err)
	}
	return scanTags(rows)
}

// SetItemTags replaces an item's tags inside the caller's transaction.
func SetItemTags(ctx context.Context, tx *sql.Tx, itemType string, itemID int64, tagIDs []int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM item_tags WHERE item_type = $1 AND item_id = $2", itemType, itemID); err != nil {
		return fmt.Errorf("clear tags of %s %d: %w", itemType, itemID, err)
	}
	seen := map[int64]bool{}
	for _, id := range tagIDs {
		if seen[id] || id <= 0 {
			continue
		}
		seen[id] = true
		if _, err := tx.ExecContext(ctx, "INSERT INTO item_tags (item_type, item_id, tag_id) VALUES ($1, $2, $3)", itemType, itemID, id); err != nil {
			return fmt.Errorf("tag %s %d with %d: %w", itemType, itemID, id, err)
		}
	}
	return nil
}

// ItemTags returns the tags of several items of one type, keyed by item id,
// each list ordered by kind then name.
func (s *Service) ItemTags(ctx context.Context, itemType string, ids []int64) (map[int64][]Tag, error) {
	out := map[int64][]Tag{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{itemType}
	ph := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		ph[i] = "$" + strconv.Itoa(i+2)
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT it.item_id, t.id, t.kind, t.slug, t.name, t.code, COALESCE(t.parent_id, 0)
		FROM item_tags it JOIN tags t ON t.id = it.tag_id
		WHERE it.item_type = $1 AND it.item_id IN (`+strings.Join(ph, ",")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("tags of %s: %w", itemType, err)
	}
	defer rows.Close()
	for rows.Next() {
		var item int64
		var t Tag
		if err := rows.Scan(&item, &t.ID, &t.Kind, &t.Slug, &t.Name, &t.Code, &t.ParentID); err != nil {
			return nil, err
		}
		out[item] = append(out[item], t)
	}
	for _, ts := range out {
		sort.Slice(ts, func(i, j int) bool {
			if ts[i].Kind != ts[j].Kind {
				return kindOrder(ts[i].Kind) < kindOrder(ts[j].Kind)
			}
			return ts[i].Name < ts[j].Name
		})
	}
	return out, rows.Err()
}

func kindOrder(k Kind) int {
	return map[Kind]int{KindRegion: 0, KindSubregion: 1, KindGrouping: 2, KindCountry: 3, KindCrisis: 4, KindTheme: 5}[k]
}

// ResolveCountries maps ISO alpha-3 codes to country tag ids, returning an
// errs.InvalidError naming the first unknown code.
func (s *Service) ResolveCountries(ctx context.Context, codes []string) ([]int64, error) {
	var out []int64
	for _, c := range codes {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "" {
			continue
		}
		t, err := s.Get(ctx, KindCountry, strings.ToLower(c))
		if errors.Is(err, errs.ErrNotFound) {
			return nil, errs.Invalid("countries", fmt.Sprintf("Unknown country code %q (use ISO 3166 alpha-3, like SYR).", c))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t.ID)
	}
	return out, nil
}
