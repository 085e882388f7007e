package web_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/content"
	"coalition/internal/mail"
	"coalition/internal/testkit"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The keyboard journeys below use only Tab, Enter, Space, the arrow keys
// and typing: no clicks and no values set by script. The browser is only
// pointed at a URL where a person would arrive from elsewhere (a link in an
// e-mail, a bookmark); reading the page's state to check it is fine.

// open loads a page and waits until it is ready for keys.
func (k keyboard) open(u string) {
	k.t.Helper()
	if err := chromedp.Do(k.ctx, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
		k.t.Fatalf("open %s: %v", u, err)
	}
}

// eval runs a script in the page and returns its string result.
func (k keyboard) eval(js string) string {
	k.t.Helper()
	s, err := chromedp.Run(k.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		k.t.Fatalf("%s: %v", js, err)
	}
	return s
}

// text is the focused element's text, trimmed.
func (k keyboard) text() string {
	k.t.Helper()
	return k.eval(`(document.activeElement && document.activeElement.textContent || "").trim()`)
}

// checked is the id of the checked input of a radio group.
func (k keyboard) checked(name string) string {
	k.t.Helper()
	return k.eval(`(document.querySelector('input[name=` + strconv.Quote(name) + `]:checked') || {}).id || ""`)
}

// follow presses Enter on the focused link or button and waits for the
// next page at path to be ready.
func (k keyboard) follow(path string) {
	k.t.Helper()
	k.press(kb.Enter)
	k.waitPath(path)
	k.ready()
}

// followTo presses Enter and waits for the page whose path is exactly
// path (follow would stop at once on a page whose address contains it).
func (k keyboard) followTo(path string) {
	k.t.Helper()
	k.press(kb.Enter)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		loc, err := chromedp.Run(k.ctx, chromedp.Location())
		if u, perr := url.Parse(loc); err == nil && perr == nil && u.Path == path {
			k.ready()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	loc, _ := chromedp.Run(k.ctx, chromedp.Location())
	k.t.Fatalf("did not reach %s (at %s)", path, loc)
}

// ready waits until the current document has loaded.
func (k keyboard) ready() {
	k.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		s, err := chromedp.Run(k.ctx, chromedp.Evaluate[string](`document.readyState + (document.querySelector("main") ? " main" : "")`))
		if err == nil && s == "complete main" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	k.t.Fatal("the page did not finish loading")
}

// waitText waits until the element's text contains want (after a form is
// sent the old page is still there for a moment).
func (k keyboard) waitText(sel, want string) {
	k.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	js := `(document.querySelector(` + strconv.Quote(sel) + `) || {}).textContent || ""`
	for time.Now().Before(deadline) {
		s, err := chromedp.Run(k.ctx, chromedp.Evaluate[string](js))
		if err == nil && strings.Contains(s, want) {
			k.ready()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	k.t.Fatalf("%s never said %q (it says %q)", sel, want, k.eval(js))
}

// backTo presses Shift+Tab until match holds for the focused element,
// checking each stop as tabTo does.
func (k keyboard) backTo(what string, match func(focusState) bool) {
	k.t.Helper()
	for range 150 {
		if err := chromedp.Do(k.ctx, chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(kb.ModifierShift))); err != nil {
			k.t.Fatal(err)
		}
		f := k.focus()
		if f.Tag != "BODY" && (!f.Visible || !f.Onscreen) {
			k.t.Fatalf("focus on %s#%s.%s %q is not visible (indicator %v, on screen %v)", f.Tag, f.ID, f.Cls, f.Href, f.Visible, f.Onscreen)
		}
		if match(f) {
			return
		}
	}
	k.t.Fatalf("Shift+Tab never reached %s", what)
}

// byHref matches the focused element by its href.
func byHref(h string) func(focusState) bool { return func(f focusState) bool { return f.Href == h } }

// byID matches the focused element by its id.
func byID(id string) func(focusState) bool { return func(f focusState) bool { return f.ID == id } }

// button matches a focused button by its text.
func (k keyboard) button(label string) func(focusState) bool {
	return func(f focusState) bool { return f.Tag == "BUTTON" && k.text() == label }
}

// TestKeyboardArticleTools reads an article from /news and uses its Print
// and E-mail tools with the keyboard only, and reaches the PDF link.
func TestKeyboardArticleTools(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	ctx := context.Background()
	cat, err := site.App.Content.SaveCategory(ctx, content.Category{Name: "News", Slug: "news"})
	if err != nil {
		t.Fatal(err)
	}
	art, err := site.App.Content.Create(ctx, content.Input{Kind: content.KindArticle, CategoryID: cat.ID, Title: "Keyboard readers welcome",
		Summary: "An article read without a mouse.", Body: "Civilians need protection.", Status: content.StatusPublished,
		Editor: content.Editor{Name: "E"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bctx := testkit.Browser(t)
	if err := chromedp.Do(bctx, recordPrint()); err != nil {
		t.Fatal(err)
	}
	k := keyboard{t, bctx}
	path := art.Path()

	k.open(site.URL + "/news")
	k.skipLink()
	k.tabTo("the article in the news", byHref(path))
	k.follow(path)

	// The tools: PDF, then Print.
	k.skipLink()
	k.tabTo("the PDF link", func(f focusState) bool { return strings.HasSuffix(f.Href, ".pdf") })
	// Enter on the PDF link starts a download, which headless Chromium does
	// not show anywhere a test can see; that the link is reachable and goes
	// to the PDF is what the keyboard part can check (publishing_browser_test
	// fetches it and checks it is a PDF).
	if f := k.focus(); f.Href != path+".pdf" {
		t.Fatalf("PDF link %q", f.Href)
	}
	k.tabTo("the Print link", byHref(path+"/print"))
	k.follow(path + "/print")
	k.waitText("h1", "Keyboard readers welcome")
	if err := chromedp.Do(bctx, chromedp.WaitReady(chromedp.CSS(`html[data-printed="yes"]`))); err != nil {
		t.Fatalf("the print page did not ask for the print dialog: %v", err)
	}
	// Back to the article with the print page's own link (the print
	// layout has no header, so its first stop is that link).
	k.tabTo("the link back to the article", byHref(path))
	k.followTo(path)

	// E-mail it to a friend.
	k.skipLink()
	k.tabTo("the E-mail link", byHref(path+"/email"))
	k.follow(path + "/email")
	k.skipLink()
	k.tabTo("the friend's address", byID("to"))
	k.typeText("friend@example.org")
	k.tabTo("your name", byID("name"))
	k.typeText("Ada Lovelace")
	k.tabTo("the note", byID("note"))
	k.typeText("Worth reading.")
	k.tabTo("the Send button", k.button("Send"))
	k.press(kb.Enter)
	k.waitText(".flash", "Sent.")
	if loc, _ := chromedp.Run(bctx, chromedp.Location()); !strings.HasSuffix(loc, path) {
		t.Fatalf("after sending: at %s", loc)
	}
}

// TestKeyboardDocumentsByRegion goes from /documents to a region, a
// country and its documents, then searches the library.
func TestKeyboardDocumentsByRegion(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	site.AddUser(t, "ed@example.org", accounts.RoleEditor, "an editor password")
	ed := site.NewClient(t)
	ed.Login("ed@example.org", "an editor password")
	ed.Get("/admin/documents/new")
	r := upload(t, ed, site.URL, "/admin/documents", url.Values{"title": {"Letter on Aleppo"}, "date": {"2013-09-24"}, "type": {"statement"},
		"language": {"en"}, "access": {"public"}, "countries": {"SYR"}},
		map[string][]byte{"aleppo.txt": []byte("The siege of Aleppo must end; humanitarian access now.")}, nil)
	if r.Status != 303 {
		t.Fatalf("upload: %d", r.Status)
	}
	waitExtracted(t, site.App.Library)
	bctx := testkit.Browser(t)
	k := keyboard{t, bctx}

	k.open(site.URL + "/documents")
	k.skipLink()
	k.tabTo("Browse by region", byHref("/regions"))
	k.follow("/regions")
	k.skipLink()
	k.tabTo("Western Asia", byHref("/regions/western-asia"))
	k.follow("/regions/western-asia")
	k.skipLink()
	k.tabTo("Syria", byHref("/countries/syr"))
	k.follow("/countries/syr")
	if s := k.eval(`document.querySelector("main .results").textContent`); !strings.Contains(s, "Letter on Aleppo") {
		t.Fatalf("the country page lists %q", s)
	}
	// On to the library, filtered to the country, and search there.
	k.skipLink()
	k.tabTo("the library link", func(f focusState) bool { return strings.HasPrefix(f.Href, "/documents?") })
	k.follow("/documents?")
	k.skipLink()
	k.tabTo("the search box", func(f focusState) bool { return f.Name == "q" })
	k.typeText("siege")
	k.press(kb.Enter)
	k.waitPath("q=siege")
	k.waitText(".result-count", "1 result for")
	if s := k.eval(`document.querySelector("main .results").textContent`); !strings.Contains(s, "Letter on Aleppo") {
		t.Fatalf("search results %q", s)
	}
}

// TestKeyboardSubscription subscribes, confirms, changes preferences and
// unsubscribes from everything with the keyboard only.
func TestKeyboardSubscription(t *testing.T) {
	smtp := testkit.NewSMTP(t)
	site := testkit.NewSite(t, testkit.SiteOptions{SMTP: smtp})
	ctx := context.Background()
	if _, err := site.App.Mail.CreateList(ctx, mail.ListInput{Name: "Monthly Newsletter"}); err != nil {
		t.Fatal(err)
	}
	bctx := testkit.Browser(t)
	k := keyboard{t, bctx}

	k.open(site.URL + "/subscribe")
	k.skipLink()
	k.tabTo("the e-mail field", byID("email"))
	k.typeText("prefs@example.org")
	k.tabTo("the first list", func(f focusState) bool { return f.Name == "list" })
	k.press(" ")
	k.tabTo("the subscribe button", func(f focusState) bool { return f.Tag == "BUTTON" && f.Type == "submit" })
	k.follow("/subscribe/thanks")

	// The link in the e-mail opens the confirmation page.
	conf := waitMail(t, smtp, "prefs@example.org", "")
	k.open(linkIn(t, conf, "/subscribe/confirm/"))
	k.skipLink()
	k.tabTo("the confirm button", func(f focusState) bool { return f.Tag == "BUTTON" && f.Type == "submit" })
	k.press(kb.Enter)
	k.waitText("h1", "You are subscribed")
	k.skipLink()
	k.tabTo("the preferences link", func(f focusState) bool { return strings.HasPrefix(f.Href, "/subscribe/manage/") })
	k.follow("/subscribe/manage/")

	// Preferences: the daily digest, chosen with the arrow keys.
	k.skipLink()
	k.tabTo("the frequency", func(f focusState) bool { return f.Name == "frequency" })
	if c := k.checked("frequency"); c != "freq-instant" {
		t.Fatalf("frequency at first: %q", c)
	}
	k.press(kb.ArrowDown)
	if c := k.checked("frequency"); c != "freq-daily" {
		t.Fatalf("the arrow key did not choose the digest: %q", c)
	}
	k.tabTo("the save button", k.button("Save my choices"))
	k.press(kb.Enter)
	k.waitText("body", "Your choices are saved")
	rows, _, err := site.App.Mail.Subscribers(ctx, mail.SubscriberFilter{Q: "prefs@"})
	if err != nil || len(rows) != 1 || rows[0].Frequency != "daily" || !rows[0].Confirmed() || len(rows[0].Lists) != 1 {
		t.Fatalf("subscriber after saving: %+v %v", rows, err)
	}

	// Leave everything.
	k.skipLink()
	k.tabTo("Unsubscribe from everything", k.button("Unsubscribe from everything"))
	k.press(kb.Enter)
	k.waitText("h1", "You have left every list")
	rows, _, _ = site.App.Mail.Subscribers(ctx, mail.SubscriberFilter{Q: "prefs@"})
	if len(rows) != 1 || len(rows[0].Lists) != 0 {
		t.Fatalf("still on lists after leaving: %+v", rows)
	}
}

// TestKeyboardJoin sends a membership application with the keyboard only:
// text fields, the country list by typing its name, the tier with Space
// and the arrow keys.
func TestKeyboardJoin(t *testing.T) {
	smtp := testkit.NewSMTP(t)
	site := testkit.NewSite(t, testkit.SiteOptions{SMTP: smtp})
	bctx := testkit.Browser(t)
	k := keyboard{t, bctx}

	k.open(site.URL + "/join")
	k.skipLink()
	k.tabTo("the organisation's name", byID("org_name"))
	k.typeText("Lake Chad Civic Watch")
	k.tabTo("the country", byID("country"))
	k.typeText("Nigeria")
	if v := k.eval(`document.getElementById("country").value`); v != "NGA" {
		t.Fatalf("typing the country's name chose %q", v)
	}
	k.tabTo("the website", byID("website"))
	k.typeText("https://lakechad-watch.example.org")
	k.tabTo("the description", byID("description"))
	k.typeText("We monitor attacks on displaced people around Lake Chad.")
	k.tabTo("the contact's name", byID("contact_name"))
	k.typeText("Hauwa Bello")
	k.tabTo("the contact's e-mail", byID("contact_email"))
	k.typeText("hauwa@lakechad-watch.example.org")
	k.tabTo("the tier", func(f focusState) bool { return f.Name == "tier" })
	k.press(" ")
	first := k.checked("tier")
	k.press(kb.ArrowDown)
	second := k.checked("tier")
	if first == "" || second == "" || first == second {
		t.Fatalf("tier by keyboard: %q then %q", first, second)
	}
	k.tabTo("the statement", byID("statement"))
	k.typeText("Our monitors have documented attacks on camps since 2016; we endorse the charter.")
	k.tabTo("the send button", k.button("Send the application"))
	k.press(kb.Enter)
	k.waitText("main h1", "Thank you for applying")
	waitMail(t, smtp, "hauwa@lakechad-watch.example.org", "Your application")
}

// TestKeyboardMemberSubmission signs a member in and sends news from the
// member area with the keyboard only.
func TestKeyboardMemberSubmission(t *testing.T) {
	site := testkit.NewSite(t, testkit.SiteOptions{})
	org := testkit.NewOrganisation(t, site, "Lake Chad Civic Watch")
	if _, err := site.App.Accounts.Create(context.Background(), accounts.NewUser{Email: "member@example.org", Name: "Hauwa",
		Role: accounts.RoleMember, Password: "lake chad password", OrganisationID: org}); err != nil {
		t.Fatal(err)
	}
	bctx := testkit.Browser(t)
	k := keyboard{t, bctx}

	k.open(site.URL + "/")
	k.skipLink()
	// The header's sign-in link comes before the content: back up to it.
	k.backTo("Member sign in", byHref("/login"))
	k.follow("/login")
	k.skipLink()
	k.tabTo("the e-mail field", byID("email"))
	k.typeText("member@example.org")
	k.tabTo("the password field", func(f focusState) bool { return f.Type == "password" })
	k.typeText("lake chad password")
	k.press(kb.Enter)
	k.waitPath("/member")
	k.ready()

	k.skipLink()
	k.tabTo("Submit news", byHref("/member/submit/news"))
	k.follow("/member/submit/news")
	k.skipLink()
	k.tabTo("the title", byID("title"))
	k.typeText("Camp near Monguno shelled")
	k.tabTo("the summary", byID("summary"))
	k.typeText("Families fled a displacement camp after night-time shelling.")
	k.tabTo("the text", byID("body"))
	k.typeText("Residents told our monitors that **three shells** fell on the camp during the night.")
	k.tabTo("the send button", k.button("Send to the editors"))
	k.press(kb.Enter)
	k.waitPath("/member/submissions/")
	k.waitText("main .state", "Waiting for the editors")
}

// stubCheckout answers requests to checkout.stripe.com with a stub page
// (the machines have no internet) and returns how many arrived.
func stubCheckout(t *testing.T, bctx context.Context) func() int {
	t.Helper()
	var mu sync.Mutex
	n := 0
	paused := make(chan *fetch.EventRequestPaused, 8)
	if err := chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- e:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "https://checkout.stripe.com/*"}}}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		for {
			select {
			case <-stop:
				return
			case e := <-paused:
				mu.Lock()
				n++
				mu.Unlock()
				_, _ = chromedp.Call(bctx, fetch.FulfillRequest, fetch.FulfillRequestParams{ //nolint:errcheck // a failure shows as a timeout
					RequestID: e.RequestID, ResponseCode: 200,
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html; charset=utf-8"}},
					Body:            []byte(`<!doctype html><title>Checkout</title><h1 id="stub">Stripe Checkout (stub)</h1>`),
				})
			}
		}
	}()
	return func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// TestKeyboardDonate fills the donation form with the keyboard only and is
// sent on to Stripe Checkout (a stand-in page; see stubCheckout).
func TestKeyboardDonate(t *testing.T) {
	mock := testkit.NewStripeMock(t)
	site := stripeSite(t, nil, nil, mock)
	ctx := context.Background()
	if err := site.App.Donations.SaveSettings(ctx, "20, 40, 80", false, "", ""); err != nil {
		t.Fatal(err)
	}
	bctx := testkit.Browser(t)
	arrived := stubCheckout(t, bctx)
	k := keyboard{t, bctx}

	k.open(site.URL + "/donate")
	k.skipLink()
	// Frequency: monthly and back with the arrow keys.
	k.tabTo("the frequency", func(f focusState) bool { return f.Name == "frequency" })
	k.press(kb.ArrowDown)
	if c := k.checked("frequency"); c != "freq-monthly" {
		t.Fatalf("ArrowDown chose %q", c)
	}
	k.press(kb.ArrowUp)
	if c := k.checked("frequency"); c != "freq-once" {
		t.Fatalf("ArrowUp chose %q", c)
	}
	// Amount: the next preset with the right arrow.
	k.tabTo("the amounts", func(f focusState) bool { return f.Name == "amount" })
	if k.checked("amount") == "" {
		k.press(" ")
	}
	before := k.checked("amount")
	k.press(kb.ArrowRight)
	after := k.checked("amount")
	if after == before || !strings.HasPrefix(after, "amount-") || after == "amount-other" {
		t.Fatalf("amount by keyboard: %q then %q", before, after)
	}
	amount, err := strconv.Atoi(strings.TrimPrefix(after, "amount-"))
	if err != nil {
		t.Fatal(err)
	}
	k.tabTo("your name", byID("f-name"))
	k.typeText("Katherine Johnson")
	k.tabTo("your e-mail", byID("f-email"))
	k.typeText("katherine@example.org")
	k.tabTo("the pay button", k.button("Continue to secure payment"))
	k.press(kb.Enter)
	tctx, cancel := context.WithTimeout(bctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.WaitVisible(chromedp.CSS(`#stub`))); err != nil {
		t.Fatalf("not sent to Checkout: %v", err)
	}
	loc, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc, "https://checkout.stripe.com/") || arrived() == 0 {
		t.Fatalf("the browser went to %q (%d requests to the stand-in)", loc, arrived())
	}
	g, err := site.App.Donations.ByRef(ctx, latestRef(t, site, "donations"))
	if err != nil {
		t.Fatal(err)
	}
	if g.AmountMinor != int64(amount)*100 || g.DonorName != "Katherine Johnson" || g.DonorEmail != "katherine@example.org" {
		t.Fatalf("recorded gift: %+v (chose %d)", g, amount)
	}
}
