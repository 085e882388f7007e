package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/mail"
	"coalition/internal/testkit"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// focusState describes the focused element for the keyboard tests.
type focusState struct {
	Tag, ID, Cls, Name, Href, Type string
	Visible, Onscreen              bool
}

const focusJS = `(() => {
  const e = document.activeElement;
  if (!e || e === document.body) return JSON.stringify({Tag: 'BODY'});
  const shows = el => { const s = getComputedStyle(el);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'; };
  const next = e.nextElementSibling;
  const r = e.getBoundingClientRect();
  return JSON.stringify({Tag: e.tagName, ID: e.id, Cls: String(e.className), Name: e.name || '', Href: e.getAttribute('href') || '',
    Type: e.type || '', Visible: shows(e) || (!!next && next.tagName === 'LABEL' && shows(next)),
    Onscreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth});
})()`

// keyboard drives a page with the keyboard only, checking at every Tab that
// the focused element shows a focus indicator and is on screen.
type keyboard struct {
	t   *testing.T
	ctx context.Context
}

func (k keyboard) focus() focusState {
	k.t.Helper()
	raw, err := chromedp.Run(k.ctx, chromedp.Evaluate[string](focusJS))
	if err != nil {
		k.t.Fatal(err)
	}
	var f focusState
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		k.t.Fatal(err)
	}
	return f
}

func (k keyboard) press(keys string) {
	k.t.Helper()
	if err := chromedp.Do(k.ctx, chromedp.KeyEvent(keys)); err != nil {
		k.t.Fatal(err)
	}
}

// tabTo presses Tab until match holds for the focused element.
func (k keyboard) tabTo(what string, match func(focusState) bool) {
	k.t.Helper()
	for range 150 {
		k.press(kb.Tab)
		f := k.focus()
		if f.Tag != "BODY" && (!f.Visible || !f.Onscreen) {
			k.t.Fatalf("focus on %s#%s.%s %q is not visible (indicator %v, on screen %v)", f.Tag, f.ID, f.Cls, f.Href, f.Visible, f.Onscreen)
		}
		if match(f) {
			return
		}
	}
	k.t.Fatalf("Tab never reached %s", what)
}

func (k keyboard) typeText(s string) {
	k.t.Helper()
	k.press(s)
}

func (k keyboard) waitPath(path string) {
	k.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		loc, err := chromedp.Run(k.ctx, chromedp.Location())
		if err == nil && strings.Contains(loc, path) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	loc, _ := chromedp.Run(k.ctx, chromedp.Location())
	k.t.Fatalf("did not reach %s (at %s)", path, loc)
}

// skipLink checks that the first Tab lands on a visible skip link that
// moves focus to the main content.
func (k keyboard) skipLink() {
	k.t.Helper()
	k.press(kb.Tab)
	f := k.focus()
	if f.Href != "#main" || !f.Visible || !f.Onscreen {
		k.t.Fatalf("first Tab: want a visible skip link, got %+v", f)
	}
	k.press(kb.Enter)
	if f := k.focus(); f.ID != "main" {
		k.t.Fatalf("the skip link did not move focus to the content: %+v", f)
	}
}

// TestKeyboardJourneys does main journeys without a mouse: subscribe, sign
// in, and search the documents, checking the skip link and a visible focus
// at every step.
func TestKeyboardJourneys(t *testing.T) {
	smtp := testkit.NewSMTP(t)
	site := testkit.NewSite(t, testkit.SiteOptions{SMTP: smtp})
	ctx := context.Background()
	if _, err := site.App.Mail.CreateList(ctx, mail.ListInput{Name: "Monthly Newsletter"}); err != nil {
		t.Fatal(err)
	}
	site.AddUser(t, "editor@example.org", accounts.RoleEditor, "correct horse battery staple")
	bctx := testkit.Browser(t)
	k := keyboard{t, bctx}

	// Subscribe.
	if err := chromedp.Do(bctx, chromedp.Navigate(site.URL+"/subscribe"), chromedp.WaitVisible(chromedp.CSS(`#email`))); err != nil {
		t.Fatal(err)
	}
	k.skipLink()
	k.tabTo("the e-mail field", func(f focusState) bool { return f.ID == "email" })
	k.typeText("keyboard@example.org")
	k.tabTo("the first list", func(f focusState) bool { return f.Name == "list" })
	k.press(" ")
	k.tabTo("the subscribe button", func(f focusState) bool { return f.Tag == "BUTTON" && f.Type == "submit" })
	k.press(kb.Enter)
	k.waitPath("/subscribe/thanks")
	smtp.WaitFor(t, 1)
	if len(smtp.To("keyboard@example.org")) != 1 {
		t.Fatal("no confirmation e-mail after subscribing by keyboard")
	}

	// Sign in.
	if err := chromedp.Do(bctx, chromedp.Navigate(site.URL+"/login"), chromedp.WaitVisible(chromedp.CSS(`#email`))); err != nil {
		t.Fatal(err)
	}
	k.skipLink()
	k.tabTo("the e-mail field", func(f focusState) bool { return f.ID == "email" })
	k.typeText("editor@example.org")
	k.tabTo("the password field", func(f focusState) bool { return f.Type == "password" })
	k.typeText("correct horse battery staple")
	k.press(kb.Enter)
	k.waitPath("/admin")

	// Search the library from the header's search link.
	if err := chromedp.Do(bctx, chromedp.Navigate(site.URL+"/documents"), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
		t.Fatal(err)
	}
	k.skipLink()
	k.tabTo("the search box", func(f focusState) bool { return f.Name == "q" })
	k.typeText("protection")
	k.press(kb.Enter)
	k.waitPath("q=protection")
}
