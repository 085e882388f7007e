package cli_test

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBackupUnderLoadRestores takes `coalition backup` while clients keep
// writing, restores the copy (the database file plus DATA/files, as the
// README says) into a fresh data directory, and checks that the restored
// site serves the same content and passes an integrity check.
func TestBackupUnderLoadRestores(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	_, base := start(t, bin, "demo", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "error")
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
				form := url.Values{"email": {fmt.Sprintf("load-%d-%d@example.org", w, i)}, "role": {"editor"}, "csrf_token": {csrf}}
				req, _ := http.NewRequest(http.MethodPost, base+"/admin/users", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				res, err := c.HTTP.Do(req)
				if err != nil {
					return
				}
				res.Body.Close()
				if res.StatusCode == http.StatusSeeOther {
					n.Add(1)
				}
			}
		}()
	}
	for n.Load() < 50 {
		time.Sleep(10 * time.Millisecond)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	out, err := exec.Command(bin, "backup", "--data", data, "--to", backup).CombinedOutput()
	if err != nil {
		t.Fatalf("backup under load: %v %s", err, out)
	}
	before := n.Load()
	for n.Load() < before+50 { // the writers kept going during and after the backup
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	// Restore: the database file and the uploaded files into a new directory.
	fresh := t.TempDir()
	copyFile(t, backup, filepath.Join(fresh, "coalition.db"))
	if out, err := exec.Command("cp", "-a", filepath.Join(data, "files"), filepath.Join(fresh, "files")).CombinedOutput(); err != nil {
		t.Fatalf("copy files: %v %s", err, out)
	}
	b, err := sql.Open("sqlite", "file:"+filepath.Join(fresh, "coalition.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var check string
	var users int
	if err := b.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("restored integrity: %q %v", check, err)
	}
	if err := b.QueryRow("SELECT COUNT(*) FROM users WHERE email LIKE 'load-%'").Scan(&users); err != nil || users < 50 {
		t.Fatalf("restored copy has %d of the writes acknowledged before the backup began (%v)", users, err)
	}
	b.Close()
	_, restored := start(t, bin, "serve", "--addr", "127.0.0.1:0", "--data", fresh, "--log-level", "error")
	for _, p := range []string{"/news", "/documents", "/crises", "/members"} {
		orig, copyBody := get(t, base+p), get(t, restored+p)
		if titles(orig) != titles(copyBody) || titles(orig) == "" {
			t.Fatalf("%s differs after restore:\n%s\n---\n%s", p, titles(orig), titles(copyBody))
		}
	}
	// An uploaded file is served by the restored site.
	doc := regexp.MustCompile(`href="(/documents/\d+)"`).FindStringSubmatch(get(t, restored+"/documents"))
	if doc == nil {
		t.Fatal("no document on the restored site")
	}
	res, err := http.Get(restored + doc[1] + "/file")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusFound {
		t.Fatalf("document file on the restored site: %d", res.StatusCode)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	return string(b)
}

var headingRe = regexp.MustCompile(`<h[23][^>]*>(?:<a [^>]*>)?([^<]+)`)

// titles is the list of headings of a listing page (what a reader sees).
func titles(page string) string {
	var out []string
	for _, m := range headingRe.FindAllStringSubmatch(page, -1) {
		out = append(out, strings.TrimSpace(m[1]))
	}
	return strings.Join(out, "\n")
}
