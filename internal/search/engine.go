package search

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"coalition/internal/db"
)

// backend is what differs between SQLite and PostgreSQL: storing an item's
// text, matching a parsed query, and cutting snippets.
type backend interface {
	// put writes the item's row and text and returns its search id.
	put(ctx context.Context, tx *sql.Tx, it Item) (int64, error)
	// del removes an item; missing is fine.
	del(ctx context.Context, tx *sql.Tx, itemType string, id int64) error
	// match returns every item matching p that o.keep accepts, with its
	// relevance when o.rank is set.
	match(ctx context.Context, p *Parsed, o matchOpts) ([]scored, error)
	// tidy merges pending index entries and refreshes statistics.
	tidy(ctx context.Context) error
	// snippets returns marked-up snippets for the given search ids.
	snippets(ctx context.Context, p *Parsed, ids []int64) (map[int64]string, error)
}

type scored struct {
	id    int64
	date  int64   // Unix seconds: newer first among equals
	score float64 // relevance: higher is better
	// tier comes before score: PostgreSQL lists the matches it ranked on
	// their whole text (tier 1) ahead of those it ranked on a sample.
	tier int
}

// matchOpts tell a backend's match what the engine needs.
type matchOpts struct {
	// keep applies the query's filters and access, and gives the item's date.
	keep func(id int64) (date int64, ok bool)
	rank bool // relevance is wanted (not newest first)
	// broad is set when the filters keep at least half of the items, so
	// that ranking every text match costs little more than ranking the kept.
	broad bool
}

// newer orders matches of equal score: newest first, then by id.
func newer(a, b scored) bool {
	if a.date != b.date {
		return a.date > b.date
	}
	return a.id > b.id
}

// engine runs a search in three steps: the backend's full-text match (one
// query), then filters, facet counts, ordering and paging in Go over a
// small in-memory table of every item's facet fields, then one query for
// the page's rows and one for its snippets. The facet table is reloaded
// when the index's generation number (bumped by every write, in the same
// transaction) changes, so every instance sees every other's writes.
type engine struct {
	db *db.DB
	be backend

	mu    sync.Mutex
	cache *facetCache
}

type cachedItem struct {
	id                          int64
	typ, kind, language, source string
	year                        int
	public                      bool
	date                        int64 // Unix seconds
	tags                        []int64
}

type facetCache struct {
	gen    int64
	byID   map[int64]*cachedItem
	byDate []*cachedItem // newest first
}

// Put implements Index.
func (e *engine) Put(ctx context.Context, tx *sql.Tx, it Item) error {
	it = prepare(it)
	id, err := e.be.put(ctx, tx, it)
	if err != nil {
		return err
	}
	if err := putTags(ctx, tx, id, it.TagIDs); err != nil {
		return err
	}
	return bump(ctx, tx)
}

// Delete implements Index.
func (e *engine) Delete(ctx context.Context, tx *sql.Tx, itemType string, id int64) error {
	if err := e.be.del(ctx, tx, itemType, id); err != nil {
		return err
	}
	return bump(ctx, tx)
}

// Tidy implements Index.
func (e *engine) Tidy(ctx context.Context) error { return e.be.tidy(ctx) }

// Reexpand implements Index.
func (e *engine) Reexpand(ctx context.Context) error { return reexpand(ctx, e.db) }

// facets returns the facet table, reloading it if the index changed.
func (e *engine) facets(ctx context.Context) (*facetCache, error) {
	var gen int64
	if err := e.db.R.QueryRowContext(ctx, "SELECT n FROM search_generation WHERE id = 1").Scan(&gen); err != nil {
		return nil, fmt.Errorf("search generation: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cache != nil && e.cache.gen == gen {
		return e.cache, nil
	}
	// The generation was read first: the data loaded below is at least as
	// new, and a write in between only causes one more reload.
	c := &facetCache{gen: gen, byID: map[int64]*cachedItem{}}
	intern := map[string]string{}
	in := func(s string) string {
		if v, ok := intern[s]; ok {
			return v
		}
		intern[s] = s
		return s
	}
	rows, err := e.db.R.QueryContext(ctx, "SELECT id, item_type, kind, year, language, source, access, published_at FROM search_items ORDER BY published_at DESC, id DESC")
	if err != nil {
		return nil, fmt.Errorf("load facets: %w", err)
	}
	for rows.Next() {
		it := &cachedItem{}
		var access string
		var date time.Time
		if err := rows.Scan(&it.id, &it.typ, &it.kind, &it.year, &it.language, &it.source, &access, &date); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load facets: %w", err)
		}
		it.typ, it.kind, it.language, it.source = in(it.typ), in(it.kind), in(it.language), in(it.source)
		it.public, it.date = access == AccessPublic, date.Unix()
		c.byID[it.id] = it
		c.byDate = append(c.byDate, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load facets: %w", err)
	}
	trows, err := e.db.R.QueryContext(ctx, "SELECT search_id, tag_id FROM search_tags")
	if err != nil {
		return nil, fmt.Errorf("load facet tags: %w", err)
	}
	defer trows.Close()
	for trows.Next() {
		var sid, tid int64
		if err := trows.Scan(&sid, &tid); err != nil {
			return nil, fmt.Errorf("load facet tags: %w", err)
		}
		if it, ok := c.byID[sid]; ok {
			it.tags = append(it.tags, tid)
		}
	}
	if err := trows.Err(); err != nil {
		return nil, fmt.Errorf("load facet tags: %w", err)
	}
	e.cache = c
	return c, nil
}

// keep reports whether an item passes the query's filters.
func (q *Query) keep(it *cachedItem) bool {
	if !q.Members && !it.public {
		return false
	}
	if len(q.Types) > 0 {
		ok := false
		for _, t := range q.Types {
			ok = ok || t == it.typ
		}
		if !ok {
			return false
		}
	}
	if (q.Kind != "" && q.Kind != it.kind) || (q.Year != 0 && q.Year != it.year) ||
		(q.Language != "" && q.Language != it.language) || (q.Source != "" && q.Source != it.source) {
		return false
	}
	for _, want := range q.Tags {
		found := false
		for _, t := range it.tags {
			if t == want {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Search implements Index.
func (e *engine) Search(ctx context.Context, q Query) (Result, error) {
	q.normalise()
	var res Result
	var p *Parsed
	if strings.TrimSpace(q.Text) != "" {
		p = Parse(q.Text)
		res.Parsed, res.Notes = p, p.Notes
		if p.Empty() {
			if len(res.Notes) == 0 {
				res.Notes = append(res.Notes, "There was nothing to search for in that: try a few words.")
			}
			return res, nil
		}
	}
	c, err := e.facets(ctx)
	if err != nil {
		return res, err
	}
	var matches []scored
	if p != nil {
		rank := q.Sort != SortNewest
		kept := 0
		for _, it := range c.byDate {
			if q.keep(it) {
				kept++
			}
		}
		matches, err = e.be.match(ctx, p, matchOpts{
			keep: func(id int64) (int64, bool) {
				it, ok := c.byID[id]
				if !ok || !q.keep(it) {
					return 0, false
				}
				return it.date, true
			},
			rank:  rank,
			broad: 2*kept >= len(c.byDate),
		})
		if err != nil {
			return res, err
		}
		sort.Slice(matches, func(i, j int) bool {
			a, b := matches[i], matches[j]
			if rank && a.tier != b.tier {
				return a.tier > b.tier
			}
			if rank && a.score != b.score {
				return a.score > b.score
			}
			return newer(a, b)
		})
	} else {
		for _, it := range c.byDate {
			if q.keep(it) {
				matches = append(matches, scored{id: it.id})
			}
		}
	}
	res.Total = len(matches)
	if !q.NoFacets {
		res.Facets = Facets{Tags: map[int64]int{}, Types: map[string]int{}, Kinds: map[string]int{}, Years: map[int]int{},
			Languages: map[string]int{}, Sources: map[string]int{}}
		f := &res.Facets
		for _, m := range matches {
			it := c.byID[m.id]
			f.Types[it.typ]++
			if it.kind != "" {
				f.Kinds[it.kind]++
			}
			f.Years[it.year]++
			if it.language != "" {
				f.Languages[it.language]++
			}
			if it.source != "" {
				f.Sources[it.source]++
			}
			for _, t := range it.tags {
				f.Tags[t]++
			}
		}
	}
	if q.Offset >= len(matches) {
		return res, nil
	}
	page := matches[q.Offset:min(len(matches), q.Offset+q.Limit)]
	ids := make([]int64, len(page))
	for i, m := range page {
		ids[i] = m.id
	}
	var snips map[int64]string
	var snipErr error
	var wg sync.WaitGroup
	if p != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			snips, snipErr = e.be.snippets(ctx, p, ids)
		}()
	}
	hits, err := e.hits(ctx, ids)
	wg.Wait()
	if err != nil {
		return res, err
	}
	if snipErr != nil {
		return res, snipErr
	}
	for _, m := range page {
		h, ok := hits[m.id]
		if !ok {
			continue // deleted since the match
		}
		h.Score = m.score
		if s, ok := snips[m.id]; ok && s != "" {
			h.Snippet = highlight(s)
		} else {
			h.Snippet = highlight(clip(h.Summary, 300))
		}
		res.Hits = append(res.Hits, h)
	}
	return res, nil
}

// hits loads the rows of a page.
func (e *engine) hits(ctx context.Context, ids []int64) (map[int64]Hit, error) {
	rows, err := e.db.R.QueryContext(ctx, "SELECT "+hitCols+" FROM search_items i WHERE i.id IN ("+idList(ids)+")")
	if err != nil {
		return nil, fmt.Errorf("search results: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]Hit, len(ids))
	for rows.Next() {
		sid, h, err := scanHit(rows)
		if err != nil {
			return nil, fmt.Errorf("search results: %w", err)
		}
		out[sid] = h
	}
	return out, rows.Err()
}

// idList renders ids for an IN list (they are integers from our own tables).
func idList(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// snippetRows cuts a snippet from each (id, body, summary) row: from the
// body where it matches, else from the summary.
func snippetRows(rows *sql.Rows, p *Parsed) (map[int64]string, error) {
	defer rows.Close()
	m := newMatcher(p)
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var body, summary string
		if err := rows.Scan(&id, &body, &summary); err != nil {
			return nil, fmt.Errorf("snippets: %w", err)
		}
		s := makeSnippet(body, m, 32)
		if !strings.Contains(s, markOpen) {
			if ss := makeSnippet(summary, m, 32); strings.Contains(ss, markOpen) || s == "" {
				s = ss
			}
		}
		out[id] = s
	}
	return out, rows.Err()
}
