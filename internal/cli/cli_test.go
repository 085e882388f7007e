package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"coalition/internal/cli"
	"coalition/internal/testkit"

	_ "modernc.org/sqlite"
)

// run runs the CLI in-process like a user would, returning exit code, stdout and stderr.
func run(t *testing.T, stdin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(&cli.Env{Args: args, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }, Ctx: context.Background()})
	return code, out.String(), errb.String()
}

func TestBadInvocations(t *testing.T) {
	cases := [][]string{
		{"nonsense"},
		{"serve", "--no-such-flag"},
		{"serve", "--addr", "not-an-address"},
		{"serve", "--log-format", "xml"},
		{"serve", "--database-url", "mysql://x"},
		{"serve", "--smtp", "http://mail.example"},
		{"user", "add", "--data", t.TempDir(), "--email", "a@example.org", "--role", "king"},
		{"user", "frobnicate"},
		{"backup", "--data", t.TempDir()},
		{"serve", "extra-argument"},
	}
	for _, args := range cases {
		code, _, stderr := run(t, "", nil, args...)
		if code == 0 {
			t.Errorf("%v: exit 0", args)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != 1 || lines[0] == "" || strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
			t.Errorf("%v: want one line of error, got %q", args, stderr)
		}
	}
	if code, _, stderr := run(t, "", map[string]string{"COALITION_LOG_LEVEL": "loud"}, "serve"); code == 0 || !strings.Contains(stderr, "COALITION_LOG_LEVEL") && !strings.Contains(stderr, "log-level") {
		t.Errorf("bad environment value: %d %q", code, stderr)
	}
}

func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"COALITION_DATA": dir} // --data from the environment
	code, out, stderr := run(t, "a long enough password\n", env, "user", "add", "--email", "Admin@Example.org", "--role", "admin", "--name", "Ada Admin")
	if code != 0 || !strings.Contains(out, "admin@example.org") {
		t.Fatalf("user add: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := run(t, "short\n", env, "user", "add", "--email", "b@example.org", "--role", "editor"); code == 0 || !strings.Contains(stderr, "at least") {
		t.Fatalf("short password: %d %q", code, stderr)
	}
	if code, _, stderr := run(t, "a long enough password\n", env, "user", "add", "--email", "admin@example.org", "--role", "editor"); code == 0 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("duplicate: %d %q", code, stderr)
	}
	if code, _, stderr := run(t, "", env, "user", "add", "--email", "c@example.org", "--role", "editor"); code == 0 || !strings.Contains(stderr, "standard input") {
		t.Fatalf("no password: %d %q", code, stderr)
	}
	if code, out, _ := run(t, "another long password\n", env, "user", "passwd", "--email", "admin@example.org"); code != 0 || !strings.Contains(out, "Password changed") {
		t.Fatalf("passwd: %d %q", code, out)
	}
	if code, _, stderr := run(t, "another long password\n", env, "user", "passwd", "--email", "ghost@example.org"); code == 0 || !strings.Contains(stderr, "no user") {
		t.Fatalf("passwd unknown: %d %q", code, stderr)
	}
	code, out, _ = run(t, "", nil, "user", "list", "--data", dir)
	if code != 0 || !strings.Contains(out, "admin@example.org") || !strings.Contains(out, "Ada Admin") || !strings.Contains(out, "admin") {
		t.Fatalf("list: %d %q", code, out)
	}
	code, out, _ = run(t, "", nil, "migrate", "status", "--data", dir)
	if code != 0 || !strings.Contains(out, "0001_foundation") || !strings.Contains(out, "applied") {
		t.Fatalf("migrate status: %d %q", code, out)
	}
	if code, out, _ := run(t, "", nil, "migrate", "--data", dir); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %d %q", code, out)
	}
	if code, out, _ := run(t, "", nil, "version"); code != 0 || !strings.HasPrefix(out, "coalition ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, out, _ := run(t, "", nil, "help"); code != 0 || !strings.Contains(out, "COALITION_") {
		t.Fatalf("help: %d %q", code, out)
	}
}

// buildBinary compiles the real coalition command once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "coalition")
	cmd := exec.Command("go", "build", "-o", bin, "coalition/cmd/coalition")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

var urlRe = regexp.MustCompile(`running at (http://\S+)`)

// start runs the binary and waits for the URL it prints.
func start(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := urlRe.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return cmd, m[1]
		}
	}
	t.Fatalf("%v printed no URL", args)
	return nil, ""
}

func TestBinaryDemoBackupAndShutdown(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	for round := 0; round < 2; round++ { // the second start must neither duplicate nor fail
		cmd, url := start(t, bin, "demo", "--addr", "127.0.0.1:0", "--data", data)
		res, err := http.Get(url + "/healthz")
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("round %d: healthz %v %v", round, err, res)
		}
		res.Body.Close()
		if round == 1 {
			// Online backup while the server runs.
			backup := filepath.Join(t.TempDir(), "copy.db")
			out, err := exec.Command(bin, "backup", "--data", data, "--to", backup).CombinedOutput()
			if err != nil {
				t.Fatalf("backup: %v %s", err, out)
			}
			b, err := sql.Open("sqlite", "file:"+backup+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			var users int
			var check string
			if err := b.QueryRow("SELECT COUNT(*) FROM users WHERE role <> 'member'").Scan(&users); err != nil || users != 2 {
				t.Fatalf("backup has %d users (%v); the demo has 2 staff and a second start must not add more", users, err)
			}
			if err := b.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
				t.Fatalf("backup integrity: %q %v", check, err)
			}
			b.Close()
		}
		// Graceful stop on SIGTERM: exit status 0.
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: exit after SIGTERM: %v", round, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no exit after SIGTERM")
		}
	}
	// A busy port is a clear one-line error.
	cmd, url := start(t, bin, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	_ = cmd
	addr := strings.TrimPrefix(url, "http://")
	out, err := exec.Command(bin, "serve", "--addr", addr, "--data", t.TempDir()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "listen on") || strings.Count(strings.TrimSpace(string(out)), "\n") != 0 {
		t.Fatalf("busy port: %v %q", err, out)
	}
}

func TestBinaryOnPostgres(t *testing.T) {
	_, url := testkit.NewPostgres(t)
	bin := buildBinary(t)
	data := t.TempDir()
	cmd := exec.Command(bin, "user", "add", "--email", "pg@example.org", "--role", "admin")
	cmd.Env = append(os.Environ(), "COALITION_DATA="+data, "COALITION_DATABASE_URL="+url)
	cmd.Stdin = strings.NewReader("a postgres password\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("user add on postgres: %v %s", err, out)
	}
	_, base := start(t, bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--database-url", url)
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz on postgres: %v %v", err, res)
	}
	res.Body.Close()
	out, err := exec.Command(bin, "backup", "--data", data, "--database-url", url, "--to", filepath.Join(data, "x")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "pg_dump") {
		t.Fatalf("backup on postgres should point to pg_dump: %v %s", err, out)
	}
}
