package search

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"coalition/internal/db"
)

// pgBackend keeps items in search_items with a weighted tsvector built by the
// 'english' configuration (Snowball stemming) from accent-folded text: the
// server needs no unaccent extension, and query words are folded the same way
// in Go. Snippets are cut in Go from the stored body.
type pgBackend struct {
	db *db.DB
	// exactRank overrides defaultExactRank (tests).
	exactRank int
}

// maxTSVText caps the text one tsvector is built from: PostgreSQL refuses
// tsvectors over 1 MB. Text past the cap is kept for snippets but not indexed.
const maxTSVText = 400 << 10

// pgFold prepares text for to_tsvector: folded, with every non-word
// character a space (as SQLite's unicode61 tokeniser splits), capped.
func pgFold(s string, limit int) string {
	s = Fold(s)
	if len(s) > limit {
		s = clip(s, limit)
	}
	return strings.Map(func(r rune) rune {
		if isWordRune(r) {
			return r
		}
		return ' '
	}, s)
}

// compilePG renders a parsed query as a tsquery-valued SQL expression with
// every word bound as a parameter (numbered from next).
func compilePG(p *Parsed, next int) (string, []any) {
	s, args, _ := compilePGWith(p, next, false)
	return s, args
}

// compilePGLoose renders the query with every phrase loosened to all of its
// words (and excluded phrases left out): a query the GIN index answers
// without reading any row's tsvector, matching everything the exact query
// matches. differs reports whether the two can disagree.
func compilePGLoose(p *Parsed, next int) (expr string, args []any, differs bool) {
	return compilePGWith(p, next, true)
}

func compilePGWith(p *Parsed, next int, loose bool) (string, []any, bool) {
	var args []any
	differs := false
	ph := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(next+len(args)-1)
	}
	atom := func(a Atom) string {
		words := a.Words
		if a.Prefix {
			words = words[:len(words)-1]
		}
		var s string
		switch {
		case len(words) == 0:
		case loose && len(a.Words) > 1:
			differs = true
			s = "plainto_tsquery('english', " + ph(strings.Join(words, " ")) + ")"
		default:
			s = "phraseto_tsquery('english', " + ph(strings.Join(words, " ")) + ")"
		}
		if !a.Prefix {
			return s
		}
		last := "to_tsquery('english', quote_literal(" + ph(a.Words[len(a.Words)-1]) + "::text) || ':*')"
		switch {
		case s == "":
			return last
		case loose:
			return "(" + s + " && " + last + ")"
		}
		return "tsquery_phrase(" + s + ", " + last + ")"
	}
	must := make([]string, len(p.Must))
	for i, c := range p.Must {
		alts := make([]string, len(c))
		for j, a := range c {
			alts[j] = atom(a)
		}
		must[i] = "(" + strings.Join(alts, " || ") + ")"
	}
	s := "(" + strings.Join(must, " && ") + ")"
	for _, a := range p.Not {
		if loose && len(a.Words) > 1 {
			differs = true // a document with the words but not the phrase is not excluded
			continue
		}
		s += " && !!" + atom(a)
	}
	return s, args, differs
}

func (x *pgBackend) put(ctx context.Context, tx *sql.Tx, it Item) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `WITH v AS (SELECT setweight(to_tsvector('english', $13), 'A') || setweight(to_tsvector('english', $14), 'B') ||
			setweight(to_tsvector('english', $15), 'C') AS tsv)
		INSERT INTO search_items (item_type, item_id, title, summary, body, url, published_at, year, language, source, kind, access, tsv, rank_tsv)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, v.tsv, search_rank_vector(v.tsv) FROM v
		ON CONFLICT (item_type, item_id) DO UPDATE SET title = excluded.title, summary = excluded.summary, body = excluded.body, url = excluded.url,
			published_at = excluded.published_at, year = excluded.year, language = excluded.language, source = excluded.source,
			kind = excluded.kind, access = excluded.access, tsv = excluded.tsv, rank_tsv = excluded.rank_tsv
		RETURNING id`, it.Type, it.ID, it.Title, it.Summary, it.Body, it.URL, it.Date, yearOf(it.Date), it.Language, it.Source, it.Kind, it.Access,
		pgFold(it.Title, 4096), pgFold(it.Summary, 64<<10), pgFold(it.Body, maxTSVText)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("index %s %d: %w", it.Type, it.ID, err)
	}
	return id, nil
}

func (x *pgBackend) del(ctx context.Context, tx *sql.Tx, itemType string, id int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM search_items WHERE item_type = $1 AND item_id = $2", itemType, id); err != nil {
		return fmt.Errorf("unindex %s %d: %w", itemType, id, err)
	}
	return nil
}

// match finds, filters and ranks in a few short queries, none of which
// reads more whole tsvectors than it must (see migration 0204):
//
//  1. the loosened query through the GIN index (search_match): ids only,
//     or, when the filters are broad and relevance is wanted, ids with
//     their ts_rank on rank_tsv in the same pass (search_match_ranked);
//  2. the caller's filters, in Go;
//  3. only if the query has a phrase, the exact query on what is left;
//  4. when ranking, ts_rank on the whole tsvector if at most exactRank
//     items are left; otherwise ts_rank on rank_tsv for every item (unless
//     step 1 did it), and on the whole tsvector for the best exactRank of
//     those, which are listed first in their exact order.
//
// The order past the first exactRank comes from rank_tsv alone; it is the
// same for every page, so pages never repeat or skip an item.
func (x *pgBackend) match(ctx context.Context, p *Parsed, o matchOpts) ([]scored, error) {
	loose, args, differs := compilePGLoose(p, 1)
	proxied := o.rank && o.broad
	query := "SELECT m.id, 0::float8 FROM search_match(" + loose + ") AS m(id)"
	if proxied {
		exact, eargs := compilePG(p, len(args)+1)
		query = "SELECT m.id, m.rank::float8 FROM search_match_ranked(" + loose + ", " + exact + ") AS m(id, rank)"
		args = append(args, eargs...)
	}
	rows, err := x.db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	var out []scored
	for rows.Next() {
		var s scored
		if err := rows.Scan(&s.id, &s.score); err != nil {
			rows.Close()
			return nil, fmt.Errorf("search: %w", err)
		}
		var ok bool
		if s.date, ok = o.keep(s.id); ok {
			out = append(out, s)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if differs && len(out) > 0 {
		exact, eargs := compilePG(p, 2)
		// OFFSET 0 keeps the id filter ahead of the tsvector test.
		ids, err := x.ids(ctx, "SELECT id FROM (SELECT id, tsv FROM search_items WHERE id = ANY($1::bigint[]) OFFSET 0) s WHERE tsv @@ ("+exact+")",
			append([]any{idsOf(out)}, eargs...)...)
		if err != nil {
			return nil, err
		}
		found := make(map[int64]bool, len(ids))
		for _, id := range ids {
			found[id] = true
		}
		kept := out[:0]
		for _, s := range out {
			if found[s.id] {
				kept = append(kept, s)
			}
		}
		out = kept
	}
	if !o.rank || len(out) == 0 {
		return out, nil
	}
	limit := x.exactRank
	if limit <= 0 {
		limit = defaultExactRank
	}
	if len(out) <= limit {
		return out, x.rank(ctx, p, "tsv", out, 1)
	}
	if !proxied {
		if err := x.rank(ctx, p, "rank_tsv", out, 0); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return newer(out[i], out[j])
	})
	return out, x.rank(ctx, p, "tsv", out[:limit], 1)
}

func idsOf(items []scored) []int64 {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.id
	}
	return ids
}

// defaultExactRank is how many of a search's matches PostgreSQL ranks with
// their whole tsvector (about 8 µs each).
const defaultExactRank = 200

// rank sets the score of each of items to ts_rank over the column col, and
// its tier to tier.
func (x *pgBackend) rank(ctx context.Context, p *Parsed, col string, items []scored, tier int) error {
	expr, args := compilePG(p, 2)
	rows, err := x.db.R.QueryContext(ctx, "SELECT i.id, ts_rank(i."+col+", qq.q)::float8 FROM search_items i CROSS JOIN (SELECT "+expr+" AS q) qq WHERE i.id = ANY($1::bigint[])",
		append([]any{idsOf(items)}, args...)...)
	if err != nil {
		return fmt.Errorf("search rank: %w", err)
	}
	defer rows.Close()
	score := make(map[int64]float64, len(items))
	for rows.Next() {
		var id int64
		var s float64
		if err := rows.Scan(&id, &s); err != nil {
			return fmt.Errorf("search rank: %w", err)
		}
		score[id] = s
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search rank: %w", err)
	}
	for i := range items {
		items[i].score, items[i].tier = score[items[i].id], tier
	}
	return nil
}

// ids runs a query returning one id per row.
func (x *pgBackend) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := x.db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return out, nil
}

// tidy vacuums and analyzes the index's tables: VACUUM moves the GIN
// index's pending list (up to 4 MB of new entries that every query scans
// until the next autovacuum) into the index proper and marks the pages
// all-visible, which lets the id lookups of ranking skip the heap.
func (x *pgBackend) tidy(ctx context.Context) error {
	if _, err := x.db.W.ExecContext(ctx, "VACUUM (ANALYZE) search_items, search_tags"); err != nil {
		return fmt.Errorf("tidy search index: %w", err)
	}
	return nil
}

// snippets cuts snippets in Go from the stored text: PostgreSQL's
// ts_headline would not agree with our accent folding.
func (x *pgBackend) snippets(ctx context.Context, p *Parsed, ids []int64) (map[int64]string, error) {
	rows, err := x.db.R.QueryContext(ctx, "SELECT id, substr(body, 1, 200000), summary FROM search_items WHERE id IN ("+idList(ids)+")")
	if err != nil {
		return nil, fmt.Errorf("snippets: %w", err)
	}
	defer rows.Close()
	return snippetRows(rows, p)
}
