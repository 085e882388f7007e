// Package search is the site's one full-text index over every kind of item
// (documents now, articles and others as they arrive): ranked results with
// highlighted snippets, filters and facet counts. Users' queries go through
// a parser of our own (Parse) into a safe form that each backend compiles to
// its own syntax: FTS5 on SQLite, tsvector/tsquery on PostgreSQL.
package search

import (
	"context"
	"database/sql"
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"
	"unicode"

	"coalition/internal/db"
)

// Access levels of an item.
const (
	AccessPublic  = "public"
	AccessMembers = "members" // visible to signed-in members of an organisation and staff
)

// Item is what the index holds about one document, article or other thing.
type Item struct {
	Type     string // "document", "article", …
	ID       int64  // the item's id in its own table
	Title    string
	Summary  string
	Body     string // full text: article body, extracted document text
	URL      string // where the item lives on the site ("/documents/12")
	Date     time.Time
	Language string // ISO 639-1 ("en")
	Source   string // source organisation
	Kind     string // sub-type: document type slug ("statement"), article category…
	Access   string // AccessPublic or AccessMembers
	// TagIDs are the item's direct tags (countries, themes, crises, …). The
	// index adds the sub-regions, regions and coalition groupings of its
	// countries, so that a document on Syria is found under Western Asia.
	TagIDs []int64
}

// Sort orders results.
type Sort string

// Orders.
const (
	SortRelevance Sort = "relevance" // default when there is a query
	SortNewest    Sort = "newest"    // default without one
)

// Query is one search: text in the user's syntax, filters, and who asks.
type Query struct {
	Text     string
	Types    []string // item types to include; all when empty
	Tags     []int64  // every one must be among the item's (expanded) tags
	Kind     string
	Year     int
	Language string
	Source   string
	// Members includes members-only items (signed-in members and staff).
	Members bool
	Sort    Sort
	Offset  int
	Limit   int // 20 when 0; at most 100
	// NoFacets skips the facet counts (feeds).
	NoFacets bool
}

// Hit is one result.
type Hit struct {
	Type, URL, Title, Summary string
	ID                        int64
	Date                      time.Time
	Language, Source, Kind    string
	Access                    string
	Snippet                   template.HTML // escaped text with <mark> around matches
	Score                     float64
}

// Facets are counts of the matching items by facet value.
type Facets struct {
	Tags      map[int64]int
	Types     map[string]int
	Kinds     map[string]int
	Years     map[int]int
	Languages map[string]int
	Sources   map[string]int
}

// Result is a page of hits with the total and the facets of all matches.
type Result struct {
	Hits   []Hit
	Total  int
	Facets Facets
	// Parsed is the query as understood (nil without text).
	Parsed *Parsed
	// Notes are friendly remarks to show above the results.
	Notes []string
}

// Index stores items and searches them. Put and Delete run inside the
// caller's transaction, so an item is indexed if and only if its change
// commits.
type Index interface {
	// Put adds or replaces an item.
	Put(ctx context.Context, tx *sql.Tx, it Item) error
	// Delete removes an item; removing a missing item is not an error.
	Delete(ctx context.Context, tx *sql.Tx, itemType string, id int64) error
	// Search runs a query. Any text is accepted: what cannot be searched
	// for comes back as Notes with no hits, never as an error.
	Search(ctx context.Context, q Query) (Result, error)
	// Reexpand recomputes every item's derived tags (after a coalition
	// grouping's countries change).
	Reexpand(ctx context.Context) error
	// Tidy is for after a bulk change such as an import: it merges the
	// full-text index's pending entries and refreshes the query planner's
	// statistics, which the database would otherwise do in its own time.
	Tidy(ctx context.Context) error
}

// New returns the index for the database's dialect.
func New(d *db.DB) Index {
	var be backend = &sqliteBackend{db: d}
	if d.Dialect == db.Postgres {
		be = &pgBackend{db: d}
	}
	return &engine{db: d, be: be}
}

// Snippet markers: control characters removed from all indexed text, so
// they can only come from the backend's highlighter.
const (
	markOpen  = "\x01"
	markClose = "\x02"
)

// Clean removes control characters (other than newlines and tabs) and
// invalid UTF-8 from text before it is indexed.
func Clean(s string) string {
	s = strings.ToValidUTF8(s, "")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r == '\r' {
			return '\n'
		}
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// highlight escapes a marked-up snippet and turns the markers into <mark>.
func highlight(s string) template.HTML {
	s = html.EscapeString(strings.Join(strings.Fields(s), " "))
	s = strings.ReplaceAll(s, markOpen, "<mark>")
	s = strings.ReplaceAll(s, markClose, "</mark>")
	// Balance marks a cut might have broken.
	if o, c := strings.Count(s, "<mark>"), strings.Count(s, "</mark>"); o > c {
		s += strings.Repeat("</mark>", o-c)
	}
	return template.HTML(s) //nolint:gosec // escaped above; only our own <mark> tags remain
}

func (q *Query) normalise() {
	if q.Limit <= 0 {
		q.Limit = 20
	}
	q.Limit = min(q.Limit, 100)
	q.Offset = max(0, min(q.Offset, 10000))
	if q.Sort != SortRelevance && q.Sort != SortNewest {
		q.Sort = ""
	}
}

// expandSQL inserts the derived tags (sub-region and region of each country
// tag, the groupings containing it, the region of a sub-region) for the
// items chosen by the condition on st.
const expandSQL = `INSERT INTO search_tags (search_id, tag_id, direct)
SELECT DISTINCT st.search_id, a.anc, FALSE FROM search_tags st JOIN (
	SELECT id AS tag, parent_id AS anc FROM tags WHERE parent_id IS NOT NULL
	UNION SELECT c.id, p.parent_id FROM tags c JOIN tags p ON p.id = c.parent_id WHERE p.parent_id IS NOT NULL
	UNION SELECT country_id, grouping_id FROM grouping_countries
) a ON a.tag = st.tag_id
WHERE st.direct = TRUE AND %s
ON CONFLICT (search_id, tag_id) DO NOTHING`

// putTags writes an item's direct tags and their expansion.
func putTags(ctx context.Context, tx *sql.Tx, searchID int64, tagIDs []int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM search_tags WHERE search_id = $1", searchID); err != nil {
		return fmt.Errorf("clear search tags: %w", err)
	}
	seen := map[int64]bool{}
	for _, id := range tagIDs {
		if id <= 0 || seen[id] {
			continue
		}
		seen[id] = true
		if _, err := tx.ExecContext(ctx, "INSERT INTO search_tags (search_id, tag_id, direct) VALUES ($1, $2, TRUE)", searchID, id); err != nil {
			return fmt.Errorf("search tag %d: %w", id, err)
		}
	}
	if len(seen) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(expandSQL, "st.search_id = $1"), searchID); err != nil {
		return fmt.Errorf("expand search tags: %w", err)
	}
	return nil
}

func reexpand(ctx context.Context, d *db.DB) error {
	return d.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM search_tags WHERE direct = FALSE"); err != nil {
			return fmt.Errorf("reexpand: %w", err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(expandSQL, "TRUE")); err != nil {
			return fmt.Errorf("reexpand: %w", err)
		}
		return bump(ctx, tx)
	})
}

// bump marks the index changed (inside the writing transaction).
func bump(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, "UPDATE search_generation SET n = n + 1 WHERE id = 1"); err != nil {
		return fmt.Errorf("bump search generation: %w", err)
	}
	return nil
}

// hitCols are the columns scanned into a Hit (alias i).
const hitCols = "i.id, i.item_type, i.item_id, i.title, i.summary, i.url, i.published_at, i.language, i.source, i.kind, i.access"

func scanHit(row interface{ Scan(...any) error }, extra ...any) (int64, Hit, error) {
	var sid int64
	var h Hit
	dest := append([]any{&sid, &h.Type, &h.ID, &h.Title, &h.Summary, &h.URL, &h.Date, &h.Language, &h.Source, &h.Kind, &h.Access}, extra...)
	if err := row.Scan(dest...); err != nil {
		return 0, h, err
	}
	return sid, h, nil
}

func yearOf(t time.Time) int { return t.UTC().Year() }

// BareQuery returns the plain full-text query a backend would run for text
// (no filters, facets or snippets): the baseline the benchmarks compare
// Search against. ok is false when text has nothing to search for.
func BareQuery(d *db.DB, text string) (query string, args []any, ok bool) {
	p := Parse(text)
	if p.Empty() {
		return "", nil, false
	}
	if d.Dialect == db.Postgres {
		expr, args := compilePG(p, 1)
		return "SELECT i.id FROM search_items i CROSS JOIN (SELECT " + expr + " AS q) qq WHERE i.tsv @@ qq.q ORDER BY ts_rank(i.tsv, qq.q) DESC, i.published_at DESC, i.id DESC LIMIT 20", args, true
	}
	return "SELECT rowid FROM search_fts WHERE search_fts MATCH $1 ORDER BY rank LIMIT 20", []any{compileFTS5(p)}, true
}
