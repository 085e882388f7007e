package search

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"coalition/internal/db"
)

// pgBackend keeps items in search_items with a weighted tsvector built by the
// 'english' configuration (Snowball stemming) from accent-folded text: the
// server needs no unaccent extension, and query words are folded the same way
// in Go. Snippets are cut in Go from the stored body.
type pgBackend struct{ db *db.DB }

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
	var args []any
	ph := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(next+len(args)-1)
	}
	atom := func(a Atom) string {
		if !a.Prefix {
			return "phraseto_tsquery('english', " + ph(strings.Join(a.Words, " ")) + ")"
		}
		last := "to_tsquery('english', quote_literal(" + ph(a.Words[len(a.Words)-1]) + "::text) || ':*')"
		if len(a.Words) == 1 {
			return last
		}
		return "tsquery_phrase(phraseto_tsquery('english', " + ph(strings.Join(a.Words[:len(a.Words)-1], " ")) + "), " + last + ")"
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
		s += " && !!" + atom(a)
	}
	return s, args
}

func (x *pgBackend) put(ctx context.Context, tx *sql.Tx, it Item) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO search_items (item_type, item_id, title, summary, body, url, published_at, year, language, source, kind, access, tsv)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
			setweight(to_tsvector('english', $13), 'A') || setweight(to_tsvector('english', $14), 'B') || setweight(to_tsvector('english', $15), 'C'))
		ON CONFLICT (item_type, item_id) DO UPDATE SET title = excluded.title, summary = excluded.summary, body = excluded.body, url = excluded.url,
			published_at = excluded.published_at, year = excluded.year, language = excluded.language, source = excluded.source,
			kind = excluded.kind, access = excluded.access, tsv = excluded.tsv
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

func (x *pgBackend) match(ctx context.Context, p *Parsed) ([]scored, error) {
	expr, args := compilePG(p, 1)
	rows, err := x.db.R.QueryContext(ctx, "SELECT i.id, ts_rank(i.tsv, qq.q)::float8 FROM search_items i CROSS JOIN (SELECT "+expr+" AS q) qq WHERE i.tsv @@ qq.q", args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var out []scored
	for rows.Next() {
		var s scored
		if err := rows.Scan(&s.id, &s.score); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
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
