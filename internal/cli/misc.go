package cli

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"coalition/internal/app"
	"coalition/internal/config"
	"coalition/internal/db"
)

// Version is set at build time with -ldflags "-X coalition/internal/cli.Version=…".
var Version = "dev"

func runVersion(e *Env, args []string) error {
	fs := newFlags(e, "version")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		fmt.Fprintf(e.Stdout, "coalition %s, %s\n", v, bi.GoVersion)
		return nil
	}
	fmt.Fprintf(e.Stdout, "coalition %s\n", v)
	return nil
}

func runMigrate(e *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(e, "migrate")
	cfg.StoreFlags(fs)
	var sub string
	if len(args) > 0 && (args[0] == "status" || args[0] == "up") {
		sub, args = args[0], args[1:]
	}
	if err := parse(e, fs, args); err != nil {
		return err
	}
	d, err := db.Open(e.Ctx, cfg.DataDir, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	if sub == "status" {
		st, err := d.Status(e.Ctx)
		if err != nil {
			return err
		}
		for _, m := range st {
			at := "pending"
			if !m.AppliedAt.IsZero() {
				at = "applied " + m.AppliedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(e.Stdout, "%-32s %s\n", m.Version, at)
		}
		return nil
	}
	ran, err := d.Migrate(e.Ctx)
	for _, v := range ran {
		fmt.Fprintf(e.Stdout, "applied %s\n", v)
	}
	if err != nil {
		return err
	}
	if len(ran) == 0 {
		fmt.Fprintln(e.Stdout, "database is up to date")
	}
	return nil
}

func runBackup(e *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(e, "backup")
	cfg.StoreFlags(fs)
	to := fs.String("to", "", "`FILE` to write the copy to (must not exist)")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("--to is required")
	}
	if cfg.DatabaseURL != "" {
		return errors.New("backup copies the embedded SQLite database; for PostgreSQL use pg_dump, e.g. pg_dump -Fc -f coalition.dump \"$COALITION_DATABASE_URL\"")
	}
	a, err := app.Open(e.Ctx, cfg, app.NewLogger(io.Discard, "text", "error"))
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	if err := a.DB.Backup(e.Ctx, *to); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "Backed up %s to %s in %s. Uploaded files are in %s/files: copy that directory too.\n",
		a.DB.Path, *to, time.Since(start).Round(time.Millisecond), cfg.DataDir)
	return nil
}
