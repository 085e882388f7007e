package cli_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"coalition/internal/demo"
	"coalition/internal/testkit"
)

// adminClient signs in to a running binary as the demo admin.
func adminClient(t *testing.T, base string) *testkit.Client {
	t.Helper()
	site := &testkit.Site{URL: base}
	c := site.NewClient(t)
	c.Login(demo.AdminEmail, demo.AdminPassword)
	return c
}

// TestCrashLosesNoCommittedWrite kills the server with SIGKILL while clients
// write, restarts it, and checks that every write the server acknowledged is
// there and the database is intact.
func TestCrashLosesNoCommittedWrite(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	cmd, base := start(t, bin, "demo", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "error")
	var acked sync.Map
	var n atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		c := adminClient(t, base)
		c.Get("/admin/users")
		csrf := c.CSRF()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				email := fmt.Sprintf("crash-%d-%d@example.org", w, i)
				form := url.Values{"email": {email}, "name": {"Crash"}, "role": {"editor"}, "csrf_token": {csrf}}
				req, _ := http.NewRequest(http.MethodPost, base+"/admin/users", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				res, err := c.HTTP.Do(req)
				if err != nil {
					return // the server is gone
				}
				res.Body.Close()
				if res.StatusCode == http.StatusSeeOther {
					acked.Store(email, true)
					n.Add(1)
				}
			}
		}()
	}
	for n.Load() < 100 {
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	_ = cmd.Wait()

	// Restart on the same data: every acknowledged user is there.
	_, base = start(t, bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "error")
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz after restart: %v %v", err, res)
	}
	res.Body.Close()
	d, err := sql.Open("sqlite", "file:"+filepath.Join(data, "coalition.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	missing := 0
	acked.Range(func(k, _ any) bool {
		var c int
		if err := d.QueryRow("SELECT COUNT(*) FROM users WHERE email = $1", k).Scan(&c); err != nil || c != 1 {
			missing++
		}
		return true
	})
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", missing, n.Load())
	}
	var check string
	if err := d.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity: %q %v", check, err)
	}
	t.Logf("%d acknowledged writes before SIGKILL, all present", n.Load())
}

// mountTmpfs mounts a small tmpfs (root only) for the full and read-only
// data directory tests.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		testkit.Missing(t, fmt.Sprintf("mounting a tmpfs (root): %v %s", err, out))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// tryWrite saves the settings through the admin form and returns the status and body.
func tryWrite(t *testing.T, c *testkit.Client, base, name string) testkit.Response {
	c.Get("/admin/settings")
	return c.Post("/admin/settings", url.Values{"org.name": {name}, "org.tagline": {strings.Repeat("x", 290)}})
}

// TestFullDataDirectory: with the data directory full, pages keep being
// served, writes fail with a clear message (503), the server stays up, and
// writes work again once there is space.
func TestFullDataDirectory(t *testing.T) {
	bin := buildBinary(t)
	data := mountTmpfs(t, "24M")
	cmd, base := start(t, bin, "demo", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "error")
	c := adminClient(t, base)
	if r := tryWrite(t, c, base, "Before"); r.Status != http.StatusSeeOther {
		t.Fatalf("write on a healthy disk: %d", r.Status)
	}

	// Fill the disk.
	filler, err := os.Create(filepath.Join(data, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<16)
	for {
		if _, err := filler.Write(buf); err != nil {
			break
		}
	}
	filler.Close()
	var refused testkit.Response
	for i := 0; i < 200; i++ {
		r := tryWrite(t, c, base, fmt.Sprintf("During %d %s", i, strings.Repeat("y", 200)))
		if r.Status != http.StatusSeeOther {
			refused = r
			break
		}
	}
	if refused.Status != http.StatusServiceUnavailable || !strings.Contains(refused.Body, "Nothing was changed") {
		t.Fatalf("write on a full disk: %d", refused.Status)
	}
	for _, p := range []string{"/", "/healthz", "/get-involved"} {
		if r := c.Get(p); r.Status != http.StatusOK {
			t.Fatalf("GET %s on a full disk: %d", p, r.Status)
		}
	}
	// Space again: writes work again without a restart.
	if err := os.Remove(filepath.Join(data, "filler")); err != nil {
		t.Fatal(err)
	}
	if r := tryWrite(t, c, base, "After"); r.Status != http.StatusSeeOther {
		t.Fatalf("write after freeing space: %d", r.Status)
	}

	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatal("the server died")
	}
}
