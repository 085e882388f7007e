// Command library benchmarks the document library on the UN General Debate
// corpus: it writes the bulk-import CSV for the 3,857 speeches, imports them
// through the real command line (`coalition import documents`), then times
// 20 realistic searches with filters and facets three ways in the same run —
// the bare full-text query, search.Index.Search (filters, facet counts,
// snippets) and the whole /search page through the HTTP handler — and
// prints a Markdown section for bench/RESULTS.md.
//
//	go run ./bench/library [-corpus ../shared/corpus/ungd] [-database-url postgres://…] [-runs 15]
package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"coalition/internal/app"
	"coalition/internal/cli"
	"coalition/internal/config"
	"coalition/internal/places"
	"coalition/internal/search"
)

type benchQuery struct {
	text                  string
	region, country, kind string
	year                  int
}

// queries are what readers of an atrocity-prevention library look for,
// most with a filter, all with facet counts.
var queries = []benchQuery{
	{text: `"responsibility to protect"`, region: "africa"},
	{text: "Syria", year: 2013},
	{text: "sexual violence"},
	{text: `"arms trade treaty"`},
	{text: "climate change", region: "oceania"},
	{text: "refugees", country: "DEU"},
	{text: "nuclear weapons"},
	{text: "terrorism", region: "asia"},
	{text: "sustainable development goals", year: 2016},
	{text: "Côte d’Ivoire"},
	{text: "Security Council reform"},
	{text: "human rights", region: "europe", year: 2020},
	{text: "Palestine OR Palestinian"},
	{text: "covid pandemic", year: 2020},
	{text: "peacekeeping -Haiti", region: "africa"},
	{text: "migra*"},
	{text: "Ebola", year: 2014},
	{text: "Rohingya"},
	{text: "debt relief", region: "sub-saharan-africa"},
	{text: "ocean", country: "FJI"},
}

func main() {
	corpus := flag.String("corpus", "../shared/corpus/ungd", "the UN General Debate corpus (YEAR/ISO3_SESSION_YEAR.txt)")
	dbURL := flag.String("database-url", "", "PostgreSQL URL (an empty database or schema); SQLite in a temporary directory when empty")
	runs := flag.Int("runs", 15, "timed runs of each query")
	keep := flag.Bool("keep", false, "keep the temporary data directory")
	profile := flag.String("import-cpuprofile", "", "write a CPU profile of the import (this process) to this file")
	flag.Parse()
	importProfile = *profile
	if err := run(*corpus, *dbURL, *runs, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// importProfile is the -import-cpuprofile file.
var importProfile string

func run(corpus, dbURL string, runs int, keep bool) error {
	if _, err := os.Stat(corpus); err != nil {
		return fmt.Errorf("the corpus is not at %s (pass -corpus): %w", corpus, err)
	}
	abs, err := filepath.Abs(corpus)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "coalition-bench-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintln(os.Stderr, "data kept in", work)
	} else {
		defer os.RemoveAll(work)
	}
	if err := os.Symlink(abs, filepath.Join(work, "ungd")); err != nil {
		return err
	}
	rows, err := writeCSV(abs, filepath.Join(work, "ungd.csv"))
	if err != nil {
		return err
	}
	dataDir := filepath.Join(work, "data")
	args := []string{"import", "documents", "--data", dataDir, "--metadata", filepath.Join(work, "ungd.csv"), "--create-tags"}
	if dbURL != "" {
		args = append(args, "--database-url", dbURL)
	}
	if importProfile != "" {
		f, err := os.Create(importProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	start := time.Now()
	var out strings.Builder
	code := cli.Main(&cli.Env{Args: args, Stdout: &out, Stderr: io.Discard, Getenv: func(string) string { return "" }})
	importTime := time.Since(start)
	if importProfile != "" {
		pprof.StopCPUProfile()
	}
	summary := strings.SplitN(out.String(), "\n", 2)[0]
	if code != 0 && !strings.Contains(out.String(), "rows failed") && !strings.Contains(summary, "added") {
		return fmt.Errorf("import failed (exit %d): %s", code, out.String())
	}

	cfg := config.Default()
	cfg.DataDir, cfg.DatabaseURL, cfg.BaseURL = dataDir, dbURL, "http://localhost"
	ctx := context.Background()
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	size, err := dbSize(ctx, a, dataDir)
	if err != nil {
		return err
	}
	h, err := a.Handler(ctx)
	if err != nil {
		return err
	}
	tagID := func(kind places.Kind, slug string) int64 {
		if slug == "" {
			return 0
		}
		t, err := a.Places.Get(ctx, kind, slug)
		if err != nil {
			if kind == places.KindRegion {
				if t, err = a.Places.Get(ctx, places.KindSubregion, slug); err == nil {
					return t.ID
				}
			}
			panic(fmt.Sprintf("unknown %s %s", kind, slug))
		}
		return t.ID
	}
	var bare, full, page []time.Duration
	var table strings.Builder
	fmt.Fprintf(&table, "| query | filters | matches | bare FTS p50 | Search p50 | /search page p50 | same top 20 |\n|---|---|--:|--:|--:|--:|--:|\n")
	agreeSum := 0
	for _, q := range queries {
		sq := search.Query{Text: q.text, Year: q.year, Types: []string{"document"}}
		filters := []string{}
		vals := []string{"q=" + urlEscape(q.text)}
		if id := tagID(places.KindRegion, q.region); id != 0 {
			sq.Tags = append(sq.Tags, id)
			filters = append(filters, "region="+q.region)
			vals = append(vals, "region="+q.region)
		}
		if id := tagID(places.KindCountry, q.country); id != 0 {
			sq.Tags = append(sq.Tags, id)
			filters = append(filters, "country="+q.country)
			vals = append(vals, "country="+q.country)
		}
		if q.year != 0 {
			filters = append(filters, fmt.Sprintf("year=%d", q.year))
			vals = append(vals, fmt.Sprintf("year=%d", q.year))
		}
		bq, bargs, ok := search.BareQuery(a.DB, q.text)
		if !ok {
			return fmt.Errorf("query %q is empty", q.text)
		}
		var qb, qf, qp []time.Duration
		var total int
		for i := 0; i <= runs; i++ {
			t0 := time.Now()
			rows, err := a.DB.R.QueryContext(ctx, bq, bargs...)
			if err != nil {
				return fmt.Errorf("bare %q: %w", q.text, err)
			}
			for rows.Next() {
			}
			rows.Close()
			d0 := time.Since(t0)
			t1 := time.Now()
			res, err := a.Search.Search(ctx, sq)
			if err != nil {
				return fmt.Errorf("search %q: %w", q.text, err)
			}
			d1 := time.Since(t1)
			total = res.Total
			t2 := time.Now()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/search?"+strings.Join(vals, "&"), nil))
			d2 := time.Since(t2)
			if rec.Code != http.StatusOK {
				return fmt.Errorf("/search %q: status %d", q.text, rec.Code)
			}
			if i == 0 {
				continue // warm-up
			}
			qb, qf, qp = append(qb, d0), append(qf, d1), append(qp, d2)
		}
		bare, full, page = append(bare, qb...), append(full, qf...), append(page, qp...)
		agree, err := agreement(ctx, a, q.text, bq, bargs)
		if err != nil {
			return err
		}
		agreeSum += agree
		fmt.Fprintf(&table, "| `%s` | %s | %d | %s | %s | %s | %d |\n", q.text, strings.Join(filters, " "), total, ms(pct(qb, 50)), ms(pct(qf, 50)), ms(pct(qp, 50)), agree)
	}
	backend := "SQLite (FTS5)"
	if dbURL != "" {
		backend = "PostgreSQL (tsvector)"
	}
	host, _ := os.Hostname()
	fmt.Printf("### %s — %s\n\n", backend, time.Now().UTC().Format("2006-01-02"))
	fmt.Printf("Machine: %s, %d cores (%s/%s), %s. Corpus: %d speeches (%s).\n\n", host, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), rows, corpus)
	fmt.Printf("- Import through `coalition import documents` (CSV generated, text extracted, indexed): **%s** (%.0f documents/s). %s\n",
		importTime.Round(100*time.Millisecond), float64(rows)/importTime.Seconds(), summary)
	fmt.Printf("- Database size after import: **%.1f MB** (the corpus is 55 MB of text; stored files are extra, in the data directory).\n", float64(size)/(1<<20))
	fmt.Printf("- Over all %d runs of the 20 queries: bare FTS p50 %s / p95 %s; Search with filters, facets and snippets p50 %s / p95 %s (×%.1f the bare query at p95); whole /search page p50 %s / p95 %s.\n\n",
		len(full), ms(pct(bare, 50)), ms(pct(bare, 95)), ms(pct(full, 50)), ms(pct(full, 95)), float64(pct(full, 95))/float64(max(pct(bare, 95), 1)), ms(pct(page, 50)), ms(pct(page, 95)))
	fmt.Printf("- Ranking: of the first 20 results of each query without its filters, Search and the bare ranked query (every match ranked on its whole text) agree on %d of %d.\n\n",
		agreeSum, 20*len(queries))
	fmt.Print(table.String())
	return nil
}

// agreement counts the items that the first page of Search (the query's
// text alone) shares with the bare ranked query's 20.
func agreement(ctx context.Context, a *app.App, text, bq string, bargs []any) (int, error) {
	res, err := a.Search.Search(ctx, search.Query{Text: text, Types: []string{"document"}})
	if err != nil {
		return 0, err
	}
	rows, err := a.DB.R.QueryContext(ctx, "SELECT item_id FROM search_items WHERE id IN (SELECT * FROM ("+bq+") b)", bargs...)
	if err != nil {
		return 0, fmt.Errorf("bare top 20 of %q: %w", text, err)
	}
	defer rows.Close()
	top := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		top[id] = true
	}
	n := 0
	for _, h := range res.Hits {
		if top[h.ID] {
			n++
		}
	}
	return n, rows.Err()
}

func urlEscape(s string) string {
	r := strings.NewReplacer("%", "%25", " ", "+", `"`, "%22", "&", "%26", "#", "%23", "’", "%E2%80%99", "ô", "%C3%B4", "*", "%2A")
	return r.Replace(s)
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// writeCSV lists every speech: the file name gives the country and year.
func writeCSV(corpus, out string) (int, error) {
	g, err := places.LoadGazetteer()
	if err != nil {
		return 0, err
	}
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	if err := w.Write([]string{"path", "title", "date", "type", "countries", "themes", "crises", "language", "source", "summary", "access"}); err != nil {
		return 0, err
	}
	n := 0
	err = filepath.WalkDir(corpus, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".txt") {
			return err
		}
		parts := strings.Split(strings.TrimSuffix(d.Name(), ".txt"), "_")
		if len(parts) != 3 {
			return nil
		}
		code, session, year := parts[0], parts[1], parts[2]
		name, countries := code, ""
		if c, ok := g.Country(code); ok {
			name, countries = c.Name, c.ISO3
		} else if code == "EU" {
			name = "European Union" // not a country: no country tag, the EU as source
		}
		rel, err := filepath.Rel(corpus, p)
		if err != nil {
			return err
		}
		n++
		return w.Write([]string{"ungd/" + filepath.ToSlash(rel), fmt.Sprintf("%s at the General Debate, session %s (%s)", name, session, year),
			year + "-09-25", "speech", countries, "", "", "en", name, "", "public"})
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	return n, err
}

func dbSize(ctx context.Context, a *app.App, dataDir string) (int64, error) {
	if a.DB.Path != "" {
		var total int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(a.DB.Path + suffix); err == nil {
				total += fi.Size()
			}
		}
		return total, nil
	}
	var n int64
	err := a.DB.R.QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = current_schema()`).Scan(&n)
	return n, err
}
