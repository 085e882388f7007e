// Command pages measures how fast the real coalition binary serves its
// dynamic pages (home page, an article) next to a plain Go http.FileServer
// serving the very same bytes, in the same run, and writes the ratio to
// bench/RESULTS.md. Run from the repository root: go run ./bench/pages
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"coalition/bench/internal/benchkit"
)

func main() {
	dur := flag.Duration("d", 10*time.Second, "duration of each wrk run")
	conns := flag.Int("c", 50, "concurrent connections")
	threads := flag.Int("t", 2, "wrk threads")
	out := flag.String("out", "bench/RESULTS.md", "results file")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "coalition-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	bin, err := benchkit.Build(tmp)
	if err != nil {
		log.Fatal(err)
	}
	cmd, base, err := benchkit.Start(bin, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(tmp, "data"), "--log-level", "error")
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	pages := []struct{ name, path string }{{"home page", "/"}}
	if a := firstArticle(base); a != "" {
		pages = append(pages, struct{ name, path string }{"article page", a})
	}

	// The static baseline serves the same bytes from disk.
	static := filepath.Join(tmp, "static")
	if err := os.MkdirAll(static, 0o755); err != nil {
		log.Fatal(err)
	}
	for i, p := range pages {
		b := fetch(base + p.path)
		if err := os.WriteFile(filepath.Join(static, fmt.Sprintf("page%d.html", i)), b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = http.Serve(ln, http.FileServer(http.Dir(static))) }() //nolint:errcheck // ends with the process
	staticBase := "http://" + ln.Addr().String()

	var sb strings.Builder
	fmt.Fprintf(&sb, "## Pages: dynamic vs static (issue 2, 3)\n\n")
	fmt.Fprintf(&sb, "`go run ./bench/pages` — %s, wrk -t%d -c%d -d%s, SQLite demo data, no compression. Machine: %s.\n\n",
		time.Now().UTC().Format("2006-01-02"), *threads, *conns, *dur, benchkit.Machine())
	fmt.Fprintf(&sb, "| page | coalition req/s | p50 | p99 | static req/s | p50 | p99 | ratio | errors |\n|---|---|---|---|---|---|---|---|---|\n")
	for i, p := range pages {
		dyn, err := benchkit.Wrk(base+p.path, *threads, *conns, *dur)
		if err != nil {
			log.Fatal(err)
		}
		st, err := benchkit.Wrk(fmt.Sprintf("%s/page%d.html", staticBase, i), *threads, *conns, *dur)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(&sb, "| %s (`%s`) | %.0f | %s | %s | %.0f | %s | %s | **%.0f%%** | %d |\n", p.name, p.path,
			dyn.RPS, dyn.P50, dyn.P99, st.RPS, st.P50, st.P99, 100*dyn.RPS/st.RPS, dyn.Errors+st.Errors)
	}
	fmt.Fprintf(&sb, "\nAim (issue 2): dynamic pages at ≥ 50%% of the static baseline.\n")
	fmt.Print(sb.String())
	if err := benchkit.WriteSection(*out, "pages", sb.String()); err != nil {
		log.Fatal(err)
	}
}

func fetch(url string) []byte {
	res, err := http.Get(url)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		log.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return b
}

var articleRe = regexp.MustCompile(`href="(/articles/[^"./]+)"`)

// firstArticle finds an article link on the home page (none before issue 3).
func firstArticle(base string) string {
	if m := articleRe.FindSubmatch(fetch(base + "/")); m != nil {
		return string(m[1])
	}
	return ""
}
