package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"coalition/internal/cli"
	"coalition/internal/testkit"
)

// TestImportDocuments runs the bulk import twice through the command line on
// each backend: the second run adds nothing, and bad rows are listed.
func TestImportDocuments(t *testing.T) {
	for _, b := range testkit.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dataDir := t.TempDir()
			var dbURL string
			if b.Name == "postgres" {
				_, dbURL = b.Open(t)
			}
			src := t.TempDir()
			for name, body := range map[string]string{
				"2013/SYR_68_2013.txt": "Syria speech on the responsibility to protect",
				"2013/FRA_68_2013.txt": "France speech on the arms trade treaty",
				"2013/EU_68_2013.txt":  "European Union speech",
			} {
				p := filepath.Join(src, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			csv := "path,title,date,type,countries,themes,crises,language,source,summary,access\n" +
				"2013/SYR_68_2013.txt,Syria at the 68th session,2013-09-28,speech,SYR,Responsibility to protect,,en,Syria,,public\n" +
				"2013/FRA_68_2013.txt,France at the 68th session,2013-09-24,speech,FRA,,,en,France,,\n" +
				"2013/EU_68_2013.txt,European Union at the 68th session,2013-09-27,speech,EU,,,en,European Union,,\n" +
				"2013/XXX.txt,Missing,2013,speech,,,,,,,\n"
			meta := filepath.Join(src, "meta.csv")
			if err := os.WriteFile(meta, []byte(csv), 0o644); err != nil {
				t.Fatal(err)
			}
			run := func(extra ...string) (int, string, string) {
				var out, errb bytes.Buffer
				args := append([]string{"import", "documents", "--data", dataDir, "--metadata", meta}, extra...)
				if dbURL != "" {
					args = append(args, "--database-url", dbURL)
				}
				code := cli.Main(&cli.Env{Args: args, Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
				return code, out.String(), errb.String()
			}
			code, out, errs := run("--create-tags")
			if code != 1 || !strings.Contains(out, "4 rows in meta.csv: 2 added, 0 updated, 0 unchanged, 2 failed") ||
				!strings.Contains(out, `line 4 (2013/EU_68_2013.txt): Unknown country code "EU"`) || !strings.Contains(out, "line 5 (2013/XXX.txt): file not found") ||
				!strings.Contains(out, `Created theme "Responsibility to protect"`) || !strings.Contains(errs, "2 of 4 rows failed") {
				t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
			}
			if strings.Contains(errs, "\r[") {
				t.Fatal("a progress bar was drawn on a non-terminal")
			}
			code, out, _ = run()
			if code != 1 || !strings.Contains(out, "0 added, 0 updated, 2 unchanged, 2 failed") {
				t.Fatalf("second run: exit %d\n%s", code, out)
			}
			if code, _, errs := run("--metadata", filepath.Join(src, "nope.csv")); code == 0 || !strings.Contains(errs, "nope.csv") {
				t.Fatalf("missing CSV: %d %s", code, errs)
			}
		})
	}
}
