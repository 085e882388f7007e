package web_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"coalition/internal/accounts"
	"coalition/internal/content"
	"coalition/internal/testkit"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// recordPrint replaces window.print in every page the tab opens, so the
// test can see that the print page asked for the dialog (and no dialog
// blocks the headless browser).
func recordPrint() chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		on := true
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source:         `window.print = function () { document.documentElement.setAttribute("data-printed", "yes"); };`,
			RunImmediately: &on,
		})
		return chromedp.Void{}, err
	}
}

// TestBrowserEditorPublishesReaderReads: an editor writes an article in the
// real admin form (toolbar and live preview included) and publishes it; a
// reader finds it in the news, opens it, and uses the PDF and Print links.
func TestBrowserEditorPublishesReaderReads(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	site.AddUser(t, "editor@example.org", accounts.RoleEditor, "a browser password")
	if _, err := site.App.Content.SaveCategory(context.Background(), content.Category{Name: "News"}); err != nil {
		t.Fatal(err)
	}
	ctx := testkit.Browser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	shot := func(name string) {
		t.Helper()
		testkit.CheckAccessible(t, ctx, name) // every page of the journey goes through axe-core
		if dir := os.Getenv("COALITION_SCREENSHOTS"); dir != "" {
			if b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
				_ = os.WriteFile(dir+"/"+name+".png", b, 0o600)
			}
		}
	}
	err := chromedp.Do(ctx,
		recordPrint(),
		chromedp.Navigate(site.URL+"/login"),
		chromedp.WaitVisible(css(`#email`)),
		chromedp.SendKeys(css(`#email`), "editor@example.org"),
		chromedp.SendKeys(css(`#password`), "a browser password\n"),
		chromedp.WaitVisible(css(`.admin-nav`)),
		chromedp.Click(css(`.admin-nav a[href="/admin/articles"]`)),
		chromedp.WaitVisible(css(`a[href="/admin/articles/new"]`)),
		chromedp.Click(css(`a[href="/admin/articles/new"]`)),
		chromedp.WaitVisible(css(`#title`)),
		// The toolbar exists only with JavaScript; it is there.
		chromedp.WaitVisible(css(`.md-toolbar button[aria-label="Bold"]`)),
		chromedp.SendKeys(css(`#title`), "Civilians first in Україна"),
		chromedp.SendKeys(css(`#summary`), "A browser-written article."),
		chromedp.SendKeys(css(`#body`), "## Where we stand\n\nCivilians in Україна and São Tomé need protection. "),
		chromedp.Click(css(`.md-toolbar button[aria-label="Bold"]`)),
		chromedp.SetValue(css(`#category`), "1"),
		chromedp.Click(css(`input[name="status"][value="published"]`)),
		// The live preview shows the heading as the reader will see it.
		chromedp.WaitVisible(css(`#live-preview h2#where-we-stand`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(`#live-preview strong`); got != "bold text" {
		t.Errorf("toolbar bold: %q", got)
	}
	shot("editor")
	err = chromedp.Do(ctx,
		chromedp.Click(css(`button[name="action"][value="save"]`)),
		chromedp.WaitVisible(css(`.flash`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if f := text(`.flash`); !strings.Contains(f, "Published") {
		t.Fatalf("after saving: %q", f)
	}

	// The reader (signed out) finds it in the news.
	err = chromedp.Do(ctx,
		chromedp.Click(css(`form[action="/logout"] button`)),
		chromedp.WaitVisible(css(`a[href="/login"]`)),
		chromedp.Navigate(site.URL+"/news"),
		chromedp.Click(css(`.card-title a`)),
		chromedp.WaitVisible(css(`.article-tools`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if h := text(`h1`); h != "Civilians first in Україна" {
		t.Fatalf("article heading %q", h)
	}
	if p := text(`.prose`); !strings.Contains(p, "São Tomé need protection") {
		t.Fatalf("article body %q", p)
	}
	shot("article")
	// The PDF link answers with a PDF.
	pdf, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const a = document.querySelector('.article-tools a[href$=".pdf"]');
		const r = await fetch(a.href);
		const b = new Uint8Array(await r.arrayBuffer());
		return r.status + " " + r.headers.get("content-type") + " " + String.fromCharCode(...b.slice(0, 5));
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if pdf != "200 application/pdf %PDF-" {
		t.Fatalf("PDF link: %q", pdf)
	}
	// The Print link opens the print layout, which asks for the print dialog.
	err = chromedp.Do(ctx,
		chromedp.Click(css(`.article-tools a[href$="/print"]`)),
		chromedp.WaitVisible(css(`.print-wrap h1`)),
		chromedp.WaitReady(css(`html[data-printed="yes"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if h := text(`.print-wrap h1`); h != "Civilians first in Україна" {
		t.Fatalf("print page heading %q", h)
	}
	nav, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".main-nav, .site-header, .get-involved").length`))
	if err != nil || nav != 0 {
		t.Fatalf("print page has navigation (%d, %v)", nav, err)
	}
	shot("print")
	// The E-mail tool's form.
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(strings.TrimSuffix(loc, "/print")+"/email"), chromedp.WaitVisible(css(`form input[type="email"]`))); err != nil {
		t.Fatal(err)
	}
	shot("email")
}
