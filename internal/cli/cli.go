// Package cli implements the coalition command's subcommands. Main returns
// an exit code instead of exiting, so tests drive it like a user would.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"coalition/internal/config"
)

// Env is the command's world: arguments, streams and environment.
type Env struct {
	Args   []string // without the program name
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Ctx ends the server (SIGINT/SIGTERM in main; tests cancel it).
	Ctx context.Context
}

type command struct {
	name    string
	summary string
	run     func(e *Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "serve the site", runServe},
		{"demo", "serve the site after loading demo content (once)", runDemo},
		{"user", "add, list users or set a password (user add|passwd|list)", runUser},
		{"token", "create, list or revoke API tokens (token create --role admin|editor)", runToken},
		{"import", "bulk-import documents from a CSV (import documents --metadata FILE.csv)", runImport},
		{"migrate", "apply pending database migrations, or list them (migrate [status])", runMigrate},
		{"backup", "write a consistent copy of the SQLite database while the site runs", runBackup},
		{"version", "print the version", runVersion},
	}
}

// Main runs one command and returns the process exit code. Errors are one
// line on stderr, never a stack trace.
func Main(e *Env) int {
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.Ctx == nil {
		e.Ctx = context.Background()
	}
	if len(e.Args) == 0 || e.Args[0] == "help" || e.Args[0] == "-h" || e.Args[0] == "--help" {
		usage(e.Stdout)
		if len(e.Args) == 0 {
			return 2
		}
		return 0
	}
	name := e.Args[0]
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(e, e.Args[1:])
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintf(e.Stderr, "coalition %s: %s\n", name, oneLine(err))
			return 1
		}
		return 0
	}
	fmt.Fprintf(e.Stderr, "coalition: unknown command %q (try: coalition help)\n", name)
	return 2
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: coalition COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every flag can also be set with an environment variable COALITION_<FLAG>, e.g. COALITION_DATABASE_URL.")
	fmt.Fprintln(w, "Run 'coalition COMMAND -h' for a command's flags.")
}

// newFlags returns a flag set whose -h prints the command's flags to stdout.
func newFlags(e *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(e.Stdout, "Usage of coalition %s:\n", name)
		fs.SetOutput(e.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses flags with environment fallback, printing help on -h.
func parse(e *Env, fs *flag.FlagSet, args []string) error {
	err := config.Parse(fs, args, e.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
	}
	return err
}
