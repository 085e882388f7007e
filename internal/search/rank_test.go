package search_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"coalition/internal/db"
	"coalition/internal/search"
	"coalition/internal/testkit"
)

// filler returns n distinct made-up words (seed keeps documents apart), so
// that a document has more lexemes than PostgreSQL's rank_tsv keeps.
func filler(seed, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "aq%dx%d ", seed, i)
	}
	return b.String()
}

// TestRankingAtScale covers what only shows with many matches: on
// PostgreSQL the two-step ranking (every match ranked on its small
// rank_tsv, the best few re-ranked on the whole tsvector), made to start
// past five matches here; and on both backends, paging through a ranked
// result lists every match exactly once in one order, with or without
// filters, with phrases and excluded phrases.
func TestRankingAtScale(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		idx := search.New(d)
		search.SetExactRank(idx, 5)
		put := func(it search.Item) {
			t.Helper()
			if err := d.Tx(ctx, func(tx *sql.Tx) error { return idx.Put(ctx, tx, it) }); err != nil {
				t.Fatal(err)
			}
		}
		// Document i mentions Ebola i%9 times among 150 other words; every
		// third one speaks of an "Ebola outbreak", the others have both
		// words apart (or no Ebola at all when i%9 is 0).
		phrase, apart := map[int64]bool{}, map[int64]bool{}
		for i := 1; i <= 60; i++ {
			n := i % 9
			body := filler(i, 150) + strings.Repeat("ebola ", n)
			if i%3 == 0 && n > 0 {
				body += " the ebola outbreak was contained"
				phrase[int64(i)] = true
			} else {
				body += " an outbreak of cholera"
				if n > 0 {
					apart[int64(i)] = true
				}
			}
			kind := "report"
			if i%2 == 0 {
				kind = "statement"
			}
			put(search.Item{Type: "document", ID: int64(i), Title: fmt.Sprintf("Situation report %d", i), Body: body,
				URL: fmt.Sprintf("/documents/%d", i), Date: date(2000 + i%20), Kind: kind, Language: "en"})
		}
		// One names Ebola in its title only, among more words than rank_tsv
		// keeps: the title weighs most, so it must come first.
		put(search.Item{Type: "document", ID: 99, Title: "Ebola", Body: filler(99, 150) + " outbreak",
			URL: "/documents/99", Date: date(1990), Kind: "report", Language: "en"})
		if err := idx.Tidy(ctx); err != nil {
			t.Fatal(err)
		}
		ebola := len(phrase) + len(apart) + 1

		// pages reads every page of q, 7 at a time, checking each is a
		// slice of the one-page answer.
		pages := func(q search.Query) []int64 {
			t.Helper()
			q.Limit = 100
			whole, err := idx.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for off := 0; off < whole.Total; off += 7 {
				q.Offset, q.Limit = off, 7
				r, err := idx.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if r.Total != whole.Total {
					t.Fatalf("%q page at %d: total %d, want %d", q.Text, off, r.Total, whole.Total)
				}
				for i, h := range r.Hits {
					if h.ID != whole.Hits[off+i].ID {
						t.Fatalf("%q: item %d is %d on its page and %d on the whole list", q.Text, off+i, h.ID, whole.Hits[off+i].ID)
					}
					got = append(got, h.ID)
				}
			}
			seen := map[int64]bool{}
			for _, id := range got {
				if seen[id] {
					t.Fatalf("%q: %d listed twice", q.Text, id)
				}
				seen[id] = true
			}
			if len(got) != whole.Total {
				t.Fatalf("%q: pages list %d, total %d", q.Text, len(got), whole.Total)
			}
			return got
		}

		got := pages(search.Query{Text: "ebola"})
		if len(got) != ebola || got[0] != 99 {
			t.Fatalf("ebola: %d matches (want %d), first %d (want the title match 99)", len(got), ebola, got[0])
		}
		// After the title match come the documents saying it most often.
		tf := func(id int64) int { return int(id % 9) }
		for i := 2; i < 6; i++ {
			if tf(got[i]) > tf(got[i-1]) {
				t.Fatalf("ebola: %d (%d mentions) ranked below %d (%d mentions): %v", got[i], tf(got[i]), got[i-1], tf(got[i-1]), got[:8])
			}
		}
		if tf(got[1]) != 8 {
			t.Fatalf("ebola: second is %d with %d mentions, want 8: %v", got[1], tf(got[1]), got[:8])
		}
		if d.Dialect == db.Postgres {
			// The first five are exactly what ts_rank on the whole tsvector
			// says.
			rows, err := d.R.QueryContext(ctx, `SELECT item_id FROM search_items, to_tsquery('english', 'ebola') q WHERE tsv @@ q
				ORDER BY ts_rank(tsv, q) DESC, published_at DESC, id DESC LIMIT 5`)
			if err != nil {
				t.Fatal(err)
			}
			var want []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				want = append(want, id)
			}
			rows.Close()
			if fmt.Sprint(want) != fmt.Sprint(got[:5]) {
				t.Fatalf("top five %v, ts_rank on the whole text says %v", got[:5], want)
			}
		}

		// A narrow filter (fewer than half the items) takes the other path.
		st := pages(search.Query{Text: "ebola", Kind: "statement"})
		for _, id := range st {
			if id%2 != 0 {
				t.Fatalf("statement filter let %d through", id)
			}
		}
		if len(st) == 0 || tf(st[0]) != 8 {
			t.Fatalf("ebola statements: %v", st)
		}

		// Phrases: only the documents with the words side by side, and an
		// excluded phrase keeps those with the words apart.
		ph := pages(search.Query{Text: `"ebola outbreak"`})
		if len(ph) != len(phrase) {
			t.Fatalf(`"ebola outbreak": %d matches, want %d`, len(ph), len(phrase))
		}
		for _, id := range ph {
			if !phrase[id] {
				t.Fatalf(`"ebola outbreak" found %d, which has the words apart`, id)
			}
		}
		ex := pages(search.Query{Text: `outbreak -"ebola outbreak"`})
		if len(ex) != len(apart)+1+countNoEbola(60) {
			t.Fatalf(`outbreak -"ebola outbreak": %d matches, want %d`, len(ex), len(apart)+1+countNoEbola(60))
		}
		for _, id := range ex {
			if phrase[id] {
				t.Fatalf(`outbreak -"ebola outbreak" kept %d`, id)
			}
		}
		// Newest first needs no ranking at all.
		nw := pages(search.Query{Text: "ebola", Sort: search.SortNewest})
		if len(nw) != ebola || nw[len(nw)-1] != 99 {
			t.Fatalf("newest first: %d matches, last %d (want the 1990 title match)", len(nw), nw[len(nw)-1])
		}
	})
}

// countNoEbola counts the documents of TestRankingAtScale without Ebola.
func countNoEbola(n int) int {
	c := 0
	for i := 1; i <= n; i++ {
		if i%9 == 0 {
			c++
		}
	}
	return c
}
