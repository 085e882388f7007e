package search

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"coalition/internal/db"
)

// pgIndex keeps items in search_items with a weighted tsvector built by the
// 'english' configuration (Snowball stemming) from accent-folded text: the
// server needs no unaccent extension, and query words are folded the same way
// in Go. Snippets are cut in Go from the stored body.
type pgIndex struct{ db *db.DB }

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

func (x *pgIndex) Put(ctx context.Context, tx *sql.Tx, it Item) error {
	it = prepare(it)
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
		return fmt.Errorf("index %s %d: %w", it.Type, it.ID, err)
	}
	return putTags(ctx, tx, id, it.TagIDs)
}

func (x *pgIndex) Delete(ctx context.Context, tx *sql.Tx, itemType string, id int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM search_items WHERE item_type = $1 AND item_id = $2", itemType, id); err != nil {
		return fmt.Errorf("unindex %s %d: %w", itemType, id, err)
	}
	return nil
}

func (x *pgIndex) Reexpand(ctx context.Context) error { return reexpand(ctx, x.db) }

func (x *pgIndex) Search(ctx context.Context, q Query) (Result, error) {
	q.normalise()
	var res Result
	var p *Parsed
	from := "FROM search_items i"
	cond := ""
	var args []any
	if strings.TrimSpace(q.Text) != "" {
		p = Parse(q.Text)
		res.Parsed, res.Notes = p, p.Notes
		if p.Empty() {
			if len(res.Notes) == 0 {
				res.Notes = append(res.Notes, "There was nothing to search for in that: try a few words.")
			}
			return res, nil
		}
		expr, qargs := compilePG(p, 1)
		from = "FROM search_items i CROSS JOIN (SELECT " + expr + " AS q) qq"
		cond = "i.tsv @@ qq.q AND "
		args = qargs
	}
	w, wargs := q.where(len(args) + 1)
	args = append(args, wargs...)
	base := from + " WHERE " + cond + w
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
	score := "0.0::float8"
	if p != nil {
		score = "ts_rank(i.tsv, qq.q)::float8"
		if q.Sort != SortNewest {
			order = " ORDER BY ts_rank(i.tsv, qq.q) DESC, i.published_at DESC, i.id DESC"
		}
	}
	bodyCol := "''"
	if p != nil {
		bodyCol = "substr(i.body, 1, 200000)"
	}
	n := len(args)
	rows, err := x.db.R.QueryContext(ctx, "SELECT "+hitCols+", "+score+", "+bodyCol+" "+base+order+
		" LIMIT $"+strconv.Itoa(n+1)+" OFFSET $"+strconv.Itoa(n+2), append(args, q.Limit, q.Offset)...)
	if err != nil {
		return res, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var body string
		var score float64
		_, h, err := scanHit(rows, &score, &body)
		if err != nil {
			return res, fmt.Errorf("search: %w", err)
		}
		h.Score = score
		switch {
		case p == nil:
			h.Snippet = highlight(clip(h.Summary, 300))
		default:
			s := makeSnippet(body, p, 32)
			if !strings.Contains(s, markOpen) {
				if ss := makeSnippet(h.Summary, p, 32); strings.Contains(ss, markOpen) || s == "" {
					s = ss
				}
			}
			h.Snippet = highlight(s)
		}
		res.Hits = append(res.Hits, h)
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("search: %w", err)
	}
	if q.NoFacets {
		res.Total = q.Offset + len(res.Hits)
	}
	return res, nil
}
