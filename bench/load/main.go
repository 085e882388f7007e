// Command load puts the real coalition binary under a mixed load — many
// concurrent clients reading (home, articles, search, documents) and writing
// (subscribing, signing in, editing in the admin) — on SQLite and on
// PostgreSQL, and records errors, latency percentiles and the server's peak
// memory in bench/RESULTS.md. Run from the repository root:
//
//	go run ./bench/load -c 500 -d 60s
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"coalition/bench/internal/benchkit"

	_ "github.com/jackc/pgx/v5/stdlib"
)

type action struct {
	name   string
	weight int
	run    func(c *client) (int, error) // status
	ok     func(status int) bool
}

type client struct {
	base string
	http *http.Client
	csrf string
	rng  *rand.Rand
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (c *client) get(path string) (int, error) {
	res, err := c.http.Get(c.base + path)
	if err != nil {
		return 0, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if m := csrfRe.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return res.StatusCode, err
}

func (c *client) post(path string, form url.Values) (int, error) {
	form.Set("csrf_token", c.csrf)
	res, err := c.http.PostForm(c.base+path, form)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, err
}

func newClient(base string, seed uint64) *client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}
	return &client{base: base, rng: rand.New(rand.NewPCG(seed, seed*7+1)), http: &http.Client{
		Jar: jar, Transport: tr, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type result struct {
	lat    map[string][]time.Duration
	errs   map[string]int
	counts map[string]int
	errMsg map[string]string
}

func main() {
	conns := flag.Int("c", 500, "concurrent clients")
	dur := flag.Duration("d", 60*time.Second, "duration per database")
	pg := flag.String("postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server for the PostgreSQL run (a database coalition_load is created); empty to skip")
	out := flag.String("out", "bench/RESULTS.md", "results file")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "coalition-load-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	bin, err := benchkit.Build(tmp)
	if err != nil {
		log.Fatal(err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "## Load: %d concurrent clients, mixed reads and writes (issue 8)\n\n", *conns)
	fmt.Fprintf(&sb, "`go run ./bench/load -c %d -d %s` — %s. Machine: %s. The load generator runs on the same machine.\n\n",
		*conns, *dur, time.Now().UTC().Format("2006-01-02"), benchkit.Machine())
	backends := []struct{ name, url string }{{"SQLite", ""}}
	if *pg != "" {
		u, err := createDB(*pg, "coalition_load")
		if err != nil {
			log.Fatal(err)
		}
		backends = append(backends, struct{ name, url string }{"PostgreSQL", u})
	}
	for _, be := range backends {
		data := filepath.Join(tmp, "data-"+be.name)
		args := []string{"demo", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "warn"}
		if be.url != "" {
			args = append(args, "--database-url", be.url)
		}
		cmd, base, stderr, err := startLogged(bin, filepath.Join(tmp, be.name+".log"), args...)
		if err != nil {
			log.Fatal(err)
		}
		res, total, wall := run(base, *conns, *dur)
		peak := peakRSS(cmd.Process.Pid)
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		logb, _ := os.ReadFile(stderr)
		locked := strings.Count(string(logb), "database is locked")
		fmt.Fprintf(&sb, "### %s\n\n%d requests in %s (%.0f/s); peak server memory (VmHWM) %s; \"database is locked\" in the log: %d.\n\n",
			be.name, total, wall.Round(time.Second), float64(total)/wall.Seconds(), peak, locked)
		fmt.Fprintf(&sb, "| action | requests | errors | p50 | p99 |\n|---|---|---|---|---|\n")
		var names []string
		for n := range res.counts {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			l := res.lat[n]
			sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
			fmt.Fprintf(&sb, "| %s | %d | %d | %s | %s |\n", n, res.counts[n], res.errs[n], pct(l, 50), pct(l, 99))
		}
		for n, m := range res.errMsg {
			fmt.Fprintf(&sb, "\nFirst error of %s: `%s`\n", n, m)
		}
		sb.WriteString("\n")
	}
	fmt.Print(sb.String())
	if err := benchkit.WriteSection(*out, "load", sb.String()); err != nil {
		log.Fatal(err)
	}
}

func pct(l []time.Duration, p int) string {
	if len(l) == 0 {
		return "–"
	}
	return l[min(len(l)-1, len(l)*p/100)].Round(100 * time.Microsecond).String()
}

// startLogged starts the binary with its stderr in a file (to look for errors).
func startLogged(bin, logPath string, args ...string) (*exec.Cmd, string, string, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, "", "", err
	}
	cmd, base, err := benchkit.StartWithStderr(bin, f, args...)
	return cmd, base, logPath, err
}

func createDB(server, name string) (string, error) {
	d, err := sql.Open("pgx", server)
	if err != nil {
		return "", err
	}
	defer d.Close()
	ctx := context.Background()
	if _, err := d.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := d.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func peakRSS(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}

// actions returns the mix, leaving out what this build does not serve yet.
func actions(base string) []action {
	ok2xx3xx := func(s int) bool { return s >= 200 && s < 400 }
	probe := func(path string) bool {
		res, err := http.Get(base + path)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
	var article string
	if res, err := http.Get(base + "/"); err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if m := regexp.MustCompile(`href="(/articles/[^"./]+)"`).FindSubmatch(b); m != nil {
			article = string(m[1])
		}
	}
	queries := []string{"responsibility to protect", "Syria", "sexual violence", "arms trade treaty", "early warning", "genocide prevention"}
	all := []action{
		{"GET /", 30, func(c *client) (int, error) { return c.get("/") }, ok2xx3xx},
		// Signing in costs an argon2id hash (tens of milliseconds of CPU by
		// design), so it is a small share of the mix, as on a real site.
		{"POST /login", 1, func(c *client) (int, error) {
			v := newClient(c.base, c.rng.Uint64()) // a new visitor
			v.get("/login")
			return v.post("/login", url.Values{"email": {"editor@example.org"}, "password": {"coalition-demo"}})
		}, func(s int) bool { return s == http.StatusSeeOther }},
		{"POST /admin/settings", 3, func(c *client) (int, error) {
			if s, err := c.get("/admin/settings"); err != nil || s != http.StatusOK {
				c.get("/login")
				c.post("/login", url.Values{"email": {"admin@example.org"}, "password": {"coalition-demo"}})
				c.get("/admin/settings")
			}
			return c.post("/admin/settings", url.Values{"org.name": {"Global Coalition for Civilian Protection"},
				"org.tagline": {fmt.Sprintf("Load test %d", c.rng.IntN(1000))}, "org.email": {"secretariat@gccp.example.org"}})
		}, func(s int) bool { return s == http.StatusSeeOther }},
	}
	if article != "" {
		all = append(all, action{"GET article", 25, func(c *client) (int, error) { return c.get(article) }, ok2xx3xx})
	}
	if probe("/search?q=syria") {
		all = append(all, action{"GET /search", 15, func(c *client) (int, error) {
			return c.get("/search?q=" + url.QueryEscape(queries[c.rng.IntN(len(queries))]))
		}, ok2xx3xx})
	}
	if probe("/documents") {
		all = append(all, action{"GET /documents", 15, func(c *client) (int, error) { return c.get("/documents?page=1") }, ok2xx3xx})
	}
	if probe("/subscribe") {
		all = append(all, action{"POST /subscribe", 8, func(c *client) (int, error) {
			c.get("/subscribe")
			return c.post("/subscribe", url.Values{"email": {fmt.Sprintf("load-%d@example.org", c.rng.Uint64())}, "list": {"1"}})
		}, func(s int) bool { return s < 500 && s != 0 }})
	}
	return all
}

func run(base string, n int, d time.Duration) (result, int, time.Duration) {
	acts := actions(base)
	totalW := 0
	for _, a := range acts {
		totalW += a.weight
	}
	type sample struct {
		act int
		lat time.Duration
		bad bool
		msg string
	}
	samples := make(chan sample, 4096)
	res := result{lat: map[string][]time.Duration{}, errs: map[string]int{}, counts: map[string]int{}, errMsg: map[string]string{}}
	var collect sync.WaitGroup
	collect.Add(1)
	go func() {
		defer collect.Done()
		for s := range samples {
			name := acts[s.act].name
			res.counts[name]++
			res.lat[name] = append(res.lat[name], s.lat)
			if s.bad {
				res.errs[name]++
				if _, ok := res.errMsg[name]; !ok {
					res.errMsg[name] = s.msg
				}
			}
		}
	}()
	var total atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient(base, uint64(i)+1)
			for time.Now().Before(deadline) {
				w := c.rng.IntN(totalW)
				k := 0
				for w >= acts[k].weight {
					w -= acts[k].weight
					k++
				}
				t0 := time.Now()
				status, err := acts[k].run(c)
				s := sample{act: k, lat: time.Since(t0)}
				if err != nil || !acts[k].ok(status) {
					s.bad = true
					s.msg = fmt.Sprintf("status %d %v", status, err)
				}
				samples <- s
				total.Add(1)
			}
		}()
	}
	wg.Wait()
	close(samples)
	collect.Wait()
	return res, int(total.Load()), time.Since(start)
}
