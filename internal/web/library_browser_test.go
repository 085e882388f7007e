package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/testkit"

	"github.com/chromedp/chromedp"
)

// TestBrowserUpload uploads several files through the admin form in
// headless Chromium, where the script sends them one by one with progress:
// good files are added, a bad one is refused with its reason on the page.
func TestBrowserUpload(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	site.AddUser(t, "ed@example.org", accounts.RoleEditor, "an editor password")
	dir := t.TempDir()
	var paths []string
	for name, body := range map[string]string{"first-statement.txt": "First statement about Aleppo.", "second-report.html": "<p>Second report.</p>"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	ctx := testkit.Browser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(site.URL+"/login?next=/admin/documents/new"),
		chromedp.WaitVisible(css(`#email`)),
		chromedp.SendKeys(css(`#email`), "ed@example.org"),
		chromedp.SendKeys(css(`#password`), "an editor password\n"),
		chromedp.WaitVisible(css(`#files`)),
		chromedp.SetUploadFiles(css(`#files`), paths),
		chromedp.Click(css(`form[data-upload] button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(loc, "/admin/documents") {
			break
		}
		if time.Now().After(deadline) {
			text, _ := chromedp.Run(ctx, chromedp.Text(css(`#upload-progress`)))
			t.Fatalf("still at %s after the upload; progress says %q", loc, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(css(`table`))); err != nil {
		t.Fatal(err)
	}
	list, err := chromedp.Run(ctx, chromedp.Text(css(`table`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, "First statement") || !strings.Contains(list, "Second report") {
		t.Fatalf("uploaded documents not listed: %q", list)
	}

	// A fake PDF is refused with its reason shown next to it.
	bad := filepath.Join(dir, "fake.pdf")
	if err := os.WriteFile(bad, []byte("<html><body>not a pdf</body></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(site.URL+"/admin/documents/new"),
		chromedp.WaitVisible(css(`#files`)),
		chromedp.SetUploadFiles(css(`#files`), []string{bad}),
		chromedp.Click(css(`form[data-upload] button[type="submit"]`)),
		chromedp.WaitVisible(css(`.upload-error`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(css(`.upload-error`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "looks like an HTML page") {
		t.Fatalf("refusal message: %q", msg)
	}
}
