package search

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"coalition/internal/db"
)

// sqliteIndex keeps items in search_items and their text in the FTS5 table
// search_fts (tokenizer: porter stemming over unicode61 with diacritics
// removed), whose rowid is the item's search id.
type sqliteIndex struct{ db *db.DB }

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

func (x *sqliteIndex) Put(ctx context.Context, tx *sql.Tx, it Item) error {
	it = prepare(it)
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO search_items (item_type, item_id, title, summary, url, published_at, year, language, source, kind, access)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (item_type, item_id) DO UPDATE SET title = excluded.title, summary = excluded.summary, url = excluded.url,
			published_at = excluded.published_at, year = excluded.year, language = excluded.language, source = excluded.source,
			kind = excluded.kind, access = excluded.access
		RETURNING id`, it.Type, it.ID, it.Title, it.Summary, it.URL, it.Date, yearOf(it.Date), it.Language, it.Source, it.Kind, it.Access).Scan(&id)
	if err != nil {
		return fmt.Errorf("index %s %d: %w", it.Type, it.ID, err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM search_fts WHERE rowid = $1", id); err != nil {
		return fmt.Errorf("index %s %d: %w", it.Type, it.ID, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO search_fts (rowid, title, summary, body) VALUES ($1, $2, $3, $4)", id, it.Title, it.Summary, it.Body); err != nil {
		return fmt.Errorf("index %s %d text: %w", it.Type, it.ID, err)
	}
	return putTags(ctx, tx, id, it.TagIDs)
}

func (x *sqliteIndex) Delete(ctx context.Context, tx *sql.Tx, itemType string, id int64) error {
	var sid int64
	err := tx.QueryRowContext(ctx, "SELECT id FROM search_items WHERE item_type = $1 AND item_id = $2", itemType, id).Scan(&sid)
	if err == sql.ErrNoRows {
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

func (x *sqliteIndex) Reexpand(ctx context.Context) error { return reexpand(ctx, x.db) }

func (x *sqliteIndex) Search(ctx context.Context, q Query) (Result, error) {
	q.normalise()
	var res Result
	match := ""
	if strings.TrimSpace(q.Text) != "" {
		p := Parse(q.Text)
		res.Parsed, res.Notes = p, p.Notes
		if p.Empty() {
			if len(res.Notes) == 0 {
				res.Notes = append(res.Notes, "There was nothing to search for in that: try a few words.")
			}
			return res, nil
		}
		match = compileFTS5(p)
	}
	from := "FROM search_items i"
	var args []any
	if match != "" {
		from = "FROM search_fts JOIN search_items i ON i.id = search_fts.rowid"
		args = append(args, match)
	}
	cond, cargs := q.where(len(args) + 1)
	if match != "" {
		cond = "search_fts MATCH $1 AND " + cond
	}
	args = append(args, cargs...)
	base := from + " WHERE " + cond
	if !q.NoFacets {
		f, total, err := facetsFrom(ctx, x.db.R, base, args, true)
		if err != nil {
			return res, err
		}
		res.Facets, res.Total = f, total
		if total == 0 {
			return res, nil
		}
	}
	order := " ORDER BY i.published_at DESC, i.id DESC"
	score := "0.0"
	if match != "" {
		score = "search_fts.rank"
		if q.Sort != SortNewest {
			order = " ORDER BY search_fts.rank, i.published_at DESC"
		}
	}
	n := len(args)
	rows, err := x.db.R.QueryContext(ctx, "SELECT "+hitCols+", "+score+" "+base+order+
		" LIMIT $"+strconv.Itoa(n+1)+" OFFSET $"+strconv.Itoa(n+2), append(args, q.Limit, q.Offset)...)
	if err != nil {
		return res, fmt.Errorf("search: %w", err)
	}
	var sids []int64
	for rows.Next() {
		var score float64
		sid, h, err := scanHit(rows, &score)
		if err != nil {
			rows.Close()
			return res, fmt.Errorf("search: %w", err)
		}
		h.Score = -score
		sids = append(sids, sid)
		res.Hits = append(res.Hits, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("search: %w", err)
	}
	if q.NoFacets {
		res.Total = q.Offset + len(res.Hits)
	}
	if match == "" || len(sids) == 0 {
		for i := range res.Hits {
			res.Hits[i].Snippet = highlight(clip(res.Hits[i].Summary, 300))
		}
		return res, nil
	}
	ph := make([]string, len(sids))
	sargs := []any{match, markOpen, markClose}
	for i, id := range sids {
		ph[i] = "$" + strconv.Itoa(i+4)
		sargs = append(sargs, id)
	}
	srows, err := x.db.R.QueryContext(ctx, `SELECT rowid, snippet(search_fts, 2, $2, $3, '…', 32), snippet(search_fts, 1, $2, $3, '…', 32)
		FROM search_fts WHERE search_fts MATCH $1 AND rowid IN (`+strings.Join(ph, ",")+`)`, sargs...)
	if err != nil {
		return res, fmt.Errorf("snippets: %w", err)
	}
	defer srows.Close()
	snips := map[int64]string{}
	for srows.Next() {
		var id int64
		var body, summary string
		if err := srows.Scan(&id, &body, &summary); err != nil {
			return res, fmt.Errorf("snippets: %w", err)
		}
		switch {
		case strings.Contains(body, markOpen) || summary == "":
			snips[id] = body
		default:
			snips[id] = summary
		}
	}
	if err := srows.Err(); err != nil {
		return res, fmt.Errorf("snippets: %w", err)
	}
	for i, sid := range sids {
		res.Hits[i].Snippet = highlight(snips[sid])
	}
	return res, nil
}
