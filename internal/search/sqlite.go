package search

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"coalition/internal/db"
)

// sqliteBackend keeps item text in the FTS5 table search_fts (tokenizer:
// porter stemming over unicode61 with diacritics removed), whose rowid is
// the item's search id.
type sqliteBackend struct{ db *db.DB }

// compileFTS5 renders a parsed query as an FTS5 MATCH expression. Every atom
// is a double-quoted string of folded letters and digits (so no FTS5
// operator, column filter or NEAR can appear) with an optional trailing *.
func compileFTS5(p *Parsed) string {
	atom := func(a Atom) string {
		s := `"` + strings.Join(a.Words, " ") + `"`
		if a.Prefix {
			s += "*"
		}
		return s
	}
	must := make([]string, len(p.Must))
	for i, c := range p.Must {
		alts := make([]string, len(c))
		for j, a := range c {
			alts[j] = atom(a)
		}
		must[i] = "(" + strings.Join(alts, " OR ") + ")"
	}
	s := "(" + strings.Join(must, " AND ") + ")"
	for _, a := range p.Not {
		s += " NOT " + atom(a)
	}
	return s
}

func (x *sqliteBackend) put(ctx context.Context, tx *sql.Tx, it Item) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO search_items (item_type, item_id, title, summary, url, published_at, year, language, source, kind, access)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (item_type, item_id) DO UPDATE SET title = excluded.title, summary = excluded.summary, url = excluded.url,
			published_at = excluded.published_at, year = excluded.year, language = excluded.language, source = excluded.source,
			kind = excluded.kind, access = excluded.access
		RETURNING id`, it.Type, it.ID, it.Title, it.Summary, it.URL, it.Date, yearOf(it.Date), it.Language, it.Source, it.Kind, it.Access).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("index %s %d: %w", it.Type, it.ID, err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM search_fts WHERE rowid = $1", id); err != nil {
		return 0, fmt.Errorf("index %s %d: %w", it.Type, it.ID, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO search_fts (rowid, title, summary, body) VALUES ($1, $2, $3, $4)", id, it.Title, it.Summary, it.Body); err != nil {
		return 0, fmt.Errorf("index %s %d text: %w", it.Type, it.ID, err)
	}
	return id, nil
}

func (x *sqliteBackend) del(ctx context.Context, tx *sql.Tx, itemType string, id int64) error {
	var sid int64
	err := tx.QueryRowContext(ctx, "SELECT id FROM search_items WHERE item_type = $1 AND item_id = $2", itemType, id).Scan(&sid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unindex %s %d: %w", itemType, id, err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM search_fts WHERE rowid = $1", sid); err != nil {
		return fmt.Errorf("unindex %s %d: %w", itemType, id, err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM search_items WHERE id = $1", sid); err != nil {
		return fmt.Errorf("unindex %s %d: %w", itemType, id, err)
	}
	return nil
}

func (x *sqliteBackend) match(ctx context.Context, p *Parsed, o matchOpts) ([]scored, error) {
	query := "SELECT rowid, 0 FROM search_fts WHERE search_fts MATCH $1"
	if o.rank {
		query = "SELECT rowid, rank FROM search_fts WHERE search_fts MATCH $1"
	}
	rows, err := x.db.R.QueryContext(ctx, query, compileFTS5(p))
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
		date, ok := o.keep(s.id)
		if !ok {
			continue
		}
		s.date = date
		s.score = -s.score // bm25: lower is better
		out = append(out, s)
	}
	return out, rows.Err()
}

// tidy merges FTS5's index segments into one and refreshes statistics.
func (x *sqliteBackend) tidy(ctx context.Context) error {
	if _, err := x.db.W.ExecContext(ctx, "INSERT INTO search_fts (search_fts) VALUES ('optimize')"); err != nil {
		return fmt.Errorf("tidy search index: %w", err)
	}
	if _, err := x.db.W.ExecContext(ctx, "PRAGMA optimize"); err != nil {
		return fmt.Errorf("tidy search index: %w", err)
	}
	return nil
}

// snippets cuts snippets in Go from the texts FTS5 stores (the same code
// as for PostgreSQL: FTS5's own snippet() re-tokenises every text and costs
// several times more).
func (x *sqliteBackend) snippets(ctx context.Context, p *Parsed, ids []int64) (map[int64]string, error) {
	rows, err := x.db.R.QueryContext(ctx, "SELECT rowid, substr(body, 1, 200000), summary FROM search_fts WHERE rowid IN ("+idList(ids)+")")
	if err != nil {
		return nil, fmt.Errorf("snippets: %w", err)
	}
	return snippetRows(rows, p)
}
