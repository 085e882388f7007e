package cli_test

import (
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"coalition/internal/testkit"
)

// TestReadOnlyDataDirectory: on a data directory whose file system is
// read-only (a disk remounted read-only after errors, a read-only volume),
// the server starts, pages and search keep being served, writes fail with
// a clear message, and the server stays up.
func TestReadOnlyDataDirectory(t *testing.T) {
	bin := buildBinary(t)
	data := mountTmpfs(t, "64M")
	cmd, first := start(t, bin, "demo", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "error")
	// One page first: the server is then fully up (its secrets made).
	if res, err := http.Get(first + "/subscribe"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("demo: %v %v", err, res)
	} else {
		res.Body.Close()
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if out, err := exec.Command("mount", "-o", "remount,ro", data).CombinedOutput(); err != nil {
		t.Fatalf("remount read-only: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("mount", "-o", "remount,rw", data).Run() })

	cmd, base := start(t, bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "error")
	for _, p := range []string{"/", "/healthz", "/news", "/documents", "/search?q=civilians", "/crises", "/members", "/subscribe"} {
		res, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s on a read-only directory: %d", p, res.StatusCode)
		}
	}
	// Writes: a clear 503, never a 500; the server stays up.
	c := (&testkit.Site{URL: base}).NewClient(t)
	page := c.Get("/subscribe")
	if page.Status != http.StatusOK {
		t.Fatalf("subscribe form: %d", page.Status)
	}
	r := c.Post("/subscribe", url.Values{"email": {"ro@example.org"}, "list": {"1"}})
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "Nothing was changed") {
		t.Fatalf("subscribe on a read-only directory: %d\n%s", r.Status, r.Body)
	}
	c.Get("/login")
	r = c.Post("/login", url.Values{"email": {"admin@example.org"}, "password": {"coalition-demo"}})
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("sign-in on a read-only directory: %d\n%s", r.Status, r.Body)
	}
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatal("the server died")
	}
	if res, err := http.Get(base + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz after refused writes: %v %v", err, res)
	}
}
