package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"coalition/internal/config"
	"coalition/internal/library"

	"golang.org/x/term"
)

func runImport(e *Env, args []string) error {
	if len(args) == 0 || args[0] != "documents" {
		return errors.New("want: coalition import documents --data DIR --metadata FILE.csv")
	}
	cfg := config.Default()
	fs := newFlags(e, "import documents")
	cfg.StoreFlags(fs)
	meta := fs.String("metadata", "", "`FILE.csv` with the columns "+strings.Join(library.ImportColumns, ",")+" (paths relative to the CSV)")
	create := fs.Bool("create-tags", false, "create themes, crises and document types the CSV names that do not exist yet (otherwise such rows fail)")
	maxMB := fs.Int("max-upload-mb", cfg.MaxUploadMB, "largest accepted file in `MB`")
	if err := parse(e, fs, args[1:]); err != nil {
		return err
	}
	if *meta == "" {
		return errors.New("--metadata FILE.csv is required")
	}
	if _, err := os.Stat(*meta); err != nil {
		return fmt.Errorf("--metadata: %w", err)
	}
	cfg.MaxUploadMB = *maxMB
	a, err := openStore(e, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	bar := newProgress(e)
	fmt.Fprintf(e.Stderr, "Importing documents listed in %s…\n", *meta)
	rep, err := a.Library.Import(e.Ctx, library.ImportOptions{CSV: *meta, CreateTags: *create, Progress: bar.update})
	bar.done()
	if err != nil {
		return err
	}
	w := e.Stdout
	fmt.Fprintf(w, "%d rows in %s: %d added, %d updated, %d unchanged, %d failed (%s).\n", rep.Rows, filepath.Base(*meta),
		rep.Added, rep.Updated, rep.Unchanged, len(rep.Failed), rep.Elapsed.Round(time.Millisecond))
	for _, c := range rep.Created {
		fmt.Fprintf(w, "Created %s.\n", c)
	}
	if len(rep.Failed) > 0 {
		fmt.Fprintln(w, "Rows that failed:")
		for _, f := range rep.Failed {
			fmt.Fprintf(w, "  line %d (%s): %s\n", f.Line, f.Path, f.Reason)
		}
		return fmt.Errorf("%d of %d rows failed (listed above); the other rows were imported", len(rep.Failed), rep.Rows)
	}
	return nil
}

// progress draws a one-line bar on a terminal and stays silent otherwise.
type progress struct {
	w     io.Writer
	on    bool
	last  time.Time
	start time.Time
}

func newProgress(e *Env) *progress {
	p := &progress{w: e.Stderr, start: time.Now()}
	if f, ok := e.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.on = true
	}
	return p
}

func (p *progress) update(done, total int) {
	if !p.on || (done < total && time.Since(p.last) < 100*time.Millisecond) {
		return
	}
	p.last = time.Now()
	const width = 30
	fill := 0
	if total > 0 {
		fill = done * width / total
	}
	rate := float64(done) / max(time.Since(p.start).Seconds(), 0.001)
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d rows  %.0f/s ", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), done, total, rate)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}
