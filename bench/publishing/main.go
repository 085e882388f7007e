// Command publishing measures the publishing area next to its baselines,
// in one run on one machine:
//
//   - PDF generation of a 2,000-word article with three images (p50/p95),
//     next to Chromium's own --print-to-pdf of the same article's print page;
//   - the article page's throughput next to a plain http.FileServer serving
//     the same bytes.
//
// Run it from the repository root:
//
//	go run ./bench/publishing [-pdf 200] [-chromium 10] [-seconds 5] [-clients 8]
//
// It prints a Markdown section for bench/RESULTS.md.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"coalition/internal/app"
	"coalition/internal/config"
	"coalition/internal/content"
	"coalition/internal/demo"
	"coalition/internal/media"
	"coalition/internal/render"
	"coalition/internal/settings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

func main() {
	pdfRuns := flag.Int("pdf", 200, "PDF generations to time")
	chromeRuns := flag.Int("chromium", 10, "Chromium --print-to-pdf runs to time (0 to skip)")
	seconds := flag.Int("seconds", 5, "seconds of load per throughput test")
	clients := flag.Int("clients", 8, "concurrent clients in the throughput tests")
	chromium := flag.String("chromium-path", "/usr/bin/chromium", "Chromium binary")
	write := flag.String("write", "", "also write the section into this results `file` (bench/RESULTS.md)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the article-page load to `file`")
	flag.Parse()
	cpuProfile = *profile
	var out bytes.Buffer
	err := run(io.MultiWriter(os.Stdout, &out), *pdfRuns, *chromeRuns, *seconds, *clients, *chromium)
	if err == nil && *write != "" {
		err = writeSection(*write, out.String())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var cpuProfile string

// writeSection replaces the publishing section of the results file (between
// its markers), or appends it.
func writeSection(path, body string) error {
	const start, end = "<!-- publishing:start -->", "<!-- publishing:end -->"
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	old := string(b)
	section := start + "\n" + body + end + "\n"
	if i, j := strings.Index(old, start), strings.Index(old, end); i >= 0 && j > i {
		old = old[:i] + section + strings.TrimPrefix(old[j+len(end):], "\n")
	} else {
		if old != "" && !strings.HasSuffix(old, "\n\n") {
			old = strings.TrimRight(old, "\n") + "\n\n"
		}
		old += section
	}
	return os.WriteFile(path, []byte(old), 0o644)
}

func run(w io.Writer, pdfRuns, chromeRuns, seconds, clients int, chromium string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "coalition-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cfg := config.Default()
	cfg.Addr, cfg.DataDir, cfg.LogLevel = ln.Addr().String(), dir, "error"
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Settings.Save(ctx, settings.Settings{OrgName: "Global Coalition for Civilian Protection",
		PostalAddress: "Secretariat, 14 Quai des Bergues\n1201 Geneva\nSwitzerland"}); err != nil {
		return err
	}
	art, err := makeArticle(ctx, a)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	base := cfg.BaseURL
	if err := waitUp(base + "/healthz"); err != nil {
		return err
	}

	// 1. PDF generation, as the handler does it (without the cache).
	doc, err := render.Markdown(art.Body, render.Options{})
	if err != nil {
		return err
	}
	words := doc.Words
	cover, err := a.Media.Get(ctx, art.CoverID)
	if err != nil {
		return err
	}
	coverPath, _, err := a.Media.File(ctx, cover.ID, cover.Fit(media.DisplayWidth), cover.Ext)
	if err != nil {
		return err
	}
	in := render.PDFArticle{
		Title: art.Title, Summary: art.Summary, Author: art.AuthorName, Date: "29 November 2026", Category: art.CategoryName,
		ReadingTime: "9 min read", URL: base + art.Path(), BaseURL: base, BodyHTML: doc.Clean, CoverPath: coverPath, CoverAlt: art.CoverAlt,
		OrgName: "Global Coalition for Civilian Protection", OrgAddress: []string{"Secretariat, 14 Quai des Bergues", "1201 Geneva", "Switzerland"},
		Created: art.UpdatedAt,
		ImageFile: func(src string) (string, bool) {
			id, w, ext, ok := media.ParseSrc(src)
			if !ok {
				return "", false
			}
			p, _, err := a.Media.File(ctx, id, w, ext)
			return p, err == nil
		},
	}
	var pdfSize int
	pdfTimes := make([]time.Duration, 0, pdfRuns)
	var cpuTotal time.Duration
	for i := 0; i < pdfRuns+5; i++ {
		var buf bytes.Buffer
		start, cpu0 := time.Now(), cpuTime()
		if err := render.WritePDF(&buf, in); err != nil {
			return err
		}
		if i >= 5 { // the first few warm up caches
			pdfTimes = append(pdfTimes, time.Since(start))
			cpuTotal += cpuTime() - cpu0
		}
		pdfSize = buf.Len()
	}
	// The same PDF through HTTP: first request generates, later ones are cached.
	cold, err := timeGet(base + art.Path() + ".pdf")
	if err != nil {
		return err
	}
	warm, err := timeGet(base + art.Path() + ".pdf")
	if err != nil {
		return err
	}

	// 2. Chromium printing the print page.
	var chromeTimes []time.Duration
	if chromeRuns > 0 {
		if _, err := exec.LookPath(chromium); err != nil {
			return fmt.Errorf("chromium not found at %s (use -chromium 0 to skip)", chromium)
		}
		for i := 0; i < chromeRuns; i++ {
			out := filepath.Join(dir, fmt.Sprintf("chrome-%d.pdf", i))
			start := time.Now()
			cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
				"--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
				"--user-data-dir="+filepath.Join(dir, "chrome-profile"), "--print-to-pdf="+out, base+art.Path()+"/print")
			if b, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("chromium: %v: %s", err, b)
			}
			chromeTimes = append(chromeTimes, time.Since(start))
		}
	}

	// 2b. A warm Chromium (already running, page printed over DevTools):
	// the best case for browser-made PDFs.
	var warmTimes []time.Duration
	if chromeRuns > 0 {
		if warmTimes, err = warmChromium(chromium, base+art.Path()+"/print", max(chromeRuns*3, 10), filepath.Join(dir, "warm-profile")); err != nil {
			return err
		}
	}

	// 3. Article page throughput next to a file server with the same bytes.
	page, err := get(base + art.Path())
	if err != nil {
		return err
	}
	static := filepath.Join(dir, "static")
	if err := os.MkdirAll(static, 0o750); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(static, "article.html"), page, 0o600); err != nil {
		return err
	}
	fsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fsSrv := &http.Server{Handler: http.FileServer(http.Dir(static)), ReadHeaderTimeout: 5 * time.Second}
	go fsSrv.Serve(fsLn) //nolint:errcheck // closed below
	defer fsSrv.Close()
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	appRPS := load(base+art.Path(), clients, time.Duration(seconds)*time.Second)
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	fsRPS := load("http://"+fsLn.Addr().String()+"/article.html", clients, time.Duration(seconds)*time.Second)

	cancel()
	<-served

	load1 := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load1 = strings.Fields(string(b))[0]
	}
	fmt.Fprintln(w, "## Publishing: PDF, print and the article page (issue 3)")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "`go run ./bench/publishing -write bench/RESULTS.md` — %s. Machine: %s, %d CPUs, %s %s/%s; load average %s at the end of the run (the machine is shared).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), cpuModel(), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, load1)
	fmt.Fprintf(w, "Article: %d words, a cover and 3 images in the body (JPEG, 960 px wide), headings, lists, quotes, a table; A4; SQLite.\n\n", words)
	fmt.Fprintln(w, "| measure | p50 | p95 | notes |")
	fmt.Fprintln(w, "|---|---|---|---|")
	p50, p95 := pct(pdfTimes, 50), pct(pdfTimes, 95)
	fmt.Fprintf(w, "| PDF generation, fpdf (in process) | %s | %s | %d runs, %d KB, fonts embedded (subset) |\n", ms(p50), ms(p95), len(pdfTimes), pdfSize/1024)
	fmt.Fprintf(w, "| CPU time per PDF (mean, user + system, GC included) | %s | | steadier than wall time on a shared machine |\n", ms(cpuTotal/time.Duration(len(pdfTimes))))
	if len(chromeTimes) > 0 {
		c50, c95 := pct(chromeTimes, 50), pct(chromeTimes, 95)
		fmt.Fprintf(w, "| Chromium --print-to-pdf of /print | %s | %s | %d runs, each starts the browser |\n", ms(c50), ms(c95), len(chromeTimes))
		fmt.Fprintf(w, "| ratio Chromium / fpdf (p50) | %.0f× | | |\n", float64(c50)/float64(p50))
	}
	if len(warmTimes) > 0 {
		w50, w95 := pct(warmTimes, 50), pct(warmTimes, 95)
		fmt.Fprintf(w, "| warm Chromium, navigate + Page.printToPDF | %s | %s | %d runs, browser already running |\n", ms(w50), ms(w95), len(warmTimes))
		fmt.Fprintf(w, "| ratio warm Chromium / fpdf (p50) | %.1f× | | |\n", float64(w50)/float64(p50))
	}
	fmt.Fprintf(w, "| GET .pdf first request (generate + cache) | %s | | |\n", ms(cold))
	fmt.Fprintf(w, "| GET .pdf from the cache | %s | | |\n\n", ms(warm))
	fmt.Fprintln(w, "| throughput | requests/s | notes |")
	fmt.Fprintln(w, "|---|---|---|")
	fmt.Fprintf(w, "| article page (%d KB HTML) | %.0f | %d clients, %d s, keep-alive, no gzip |\n", len(page)/1024, appRPS, clients, seconds)
	fmt.Fprintf(w, "| http.FileServer, same bytes | %.0f | same load |\n", fsRPS)
	fmt.Fprintf(w, "| ratio app / static | %.0f%% | |\n\n", 100*appRPS/fsRPS)
	fmt.Fprintln(w, "Aim (issue 3): PDF generation p50 under 50 ms. Readers mostly get the cached file.")
	return nil
}

// warmChromium starts one headless Chromium and times n rounds of loading
// the print page and printing it to PDF (A4) over the DevTools protocol.
func warmChromium(path, url string, n int, profile string) ([]time.Duration, error) {
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.UserDataDir(profile)}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The print page opens the print dialog by itself; that would collide
	// with printing over the protocol, so it is switched off here.
	noDialog := func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: "window.print = function () {};"})
		return chromedp.Void{}, err
	}
	if err := chromedp.Do(ctx, noDialog); err != nil {
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	print := func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: 8.27, PaperHeight: 11.69})
		return chromedp.Void{}, err
	}
	var out []time.Duration
	for i := 0; i < n+2; i++ {
		start := time.Now()
		if err := chromedp.Do(ctx, chromedp.Navigate(url), print); err != nil {
			return nil, fmt.Errorf("print to pdf: %w", err)
		}
		if i >= 2 {
			out = append(out, time.Since(start))
		}
	}
	return out, nil
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func pct(ds []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func waitUp(url string) error {
	for i := 0; i < 100; i++ {
		if r, err := http.Get(url); err == nil {
			r.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("server did not start")
}

func get(url string) ([]byte, error) {
	r, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer r.Body.Close()
	if r.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, r.Status)
	}
	return io.ReadAll(r.Body)
}

func timeGet(url string) (time.Duration, error) {
	start := time.Now()
	_, err := get(url)
	return time.Since(start), err
}

// load runs clients loops of GET for d and returns requests per second.
func load(url string, clients int, d time.Duration) float64 {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, DisableCompression: true}
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				r, err := c.Get(url)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, r.Body) //nolint:errcheck // counting only
				r.Body.Close()
				if r.StatusCode == http.StatusOK {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds()
}

// makeArticle stores a published 2,000-word article with a cover and three
// images in its body.
func makeArticle(ctx context.Context, a *app.App) (content.Article, error) {
	cat, err := a.Content.SaveCategory(ctx, content.Category{Name: "Statements"})
	if err != nil {
		return content.Article{}, err
	}
	var imgs []media.Image
	for i, hue := range []float64{20, 200, 120, 300} {
		im, err := a.Media.Upload(ctx, bytes.NewReader(demo.Picture(1600, 900, hue)), fmt.Sprintf("bench-%d.jpg", i), 20<<20, 0)
		if err != nil {
			return content.Article{}, err
		}
		imgs = append(imgs, im)
	}
	body := longBody(2000, imgs[1:])
	return a.Content.Create(ctx, content.Input{Kind: content.KindArticle, CategoryID: cat.ID, Title: "Annual review: protecting civilians in Côte d'Ivoire, São Tomé and Україна",
		Summary: "A long statement used to measure PDF generation: headings, lists, quotes, a table and images.", Body: body,
		AuthorName: "Amara Diallo", CoverID: imgs[0].ID, CoverAlt: "Hills under an orange sky", Status: content.StatusPublished,
		Editor: content.Editor{Name: "Bench"}}, nil)
}

var sentences = []string{
	"Member organisations documented attacks on markets, schools and water points in the districts they monitor.",
	"Local volunteers kept health posts open despite the blockade of the main roads.",
	"The coalition shared its findings with the relevant regional bodies and asked for a response within thirty days.",
	"Survivors described the same pattern of warnings ignored and help that arrived too late.",
	"Early warning works only when a named person with the power to act receives it and answers.",
	"Families displaced by floods along the coast asked to be consulted before any relocation.",
	"Civilians in Côte d'Ivoire, São Tomé and Україна face very different threats but are owed the same protection.",
	"Independent monitoring and access for journalists remain the first safeguards against abuse.",
}

func longBody(words int, imgs []media.Image) string {
	var b strings.Builder
	n, s, section := 0, 0, 0
	for n < words {
		section++
		fmt.Fprintf(&b, "## Part %d of the review\n\n", section)
		n += 5
		for p := 0; p < 3 && n < words; p++ {
			for k := 0; k < 4; k++ {
				sent := sentences[s%len(sentences)]
				s++
				b.WriteString(sent + " ")
				n += len(strings.Fields(sent))
			}
			b.WriteString("\n\n")
		}
		switch section % 4 {
		case 1:
			b.WriteString("- Open the crossings for aid convoys.\n- Protect hospitals and schools.\n- Investigate every attack.\n\n")
			n += 14
		case 2:
			b.WriteString("> Protection is not charity; it is an obligation under international law.\n\n")
			n += 11
		case 3:
			b.WriteString("| Country | Concern |\n|---|---|\n| Côte d'Ivoire | Election tensions |\n| Україна | Attacks on energy |\n\n")
			n += 10
		}
		if section <= len(imgs) {
			fmt.Fprintf(&b, "%s\n\n", imgs[section-1].Markdown("Figure "+fmt.Sprint(section)))
		}
	}
	return b.String()
}
