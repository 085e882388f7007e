package render

import (
	"golang.org/x/net/html"
	"regexp"
	"strings"
	"testing"
)

// hostile is a set of inputs an editor might paste (or an attacker with an
// editor's account might try). None may leave anything executable.
var hostile = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=/x.js></SCRIPT>`,
	`<img src=x onerror=alert(1)>`,
	`<img src="/media/1/960.jpg" onerror="alert(1)">`,
	`<a href="javascript:alert(1)">click</a>`,
	`<a href="JaVaScRiPt:alert(1)">click</a>`,
	`<a href="jav&#x61;script:alert(1)">click</a>`,
	`<a href="jav&#97;script&colon;alert(1)">click</a>`,
	"<a href=\"java\tscript:alert(1)\">click</a>",
	`<a href=" javascript:alert(1)">click</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>`,
	`<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`,
	`<svg onload=alert(1)><circle r=1></circle></svg>`,
	`<svg><script>alert(1)</script></svg>`,
	`<math><mi xlink:href="javascript:alert(1)">x</mi></math>`,
	`<style>body{display:none}</style>`,
	`<p style="background:url(javascript:alert(1))">styled</p>`,
	`<iframe src="https://evil.example/"></iframe>`,
	`<object data="x.swf"></object><embed src="x.swf">`,
	`<form action="https://evil.example/"><input name=a><button>go</button></form>`,
	`<div onclick="alert(1)">click</div>`,
	`<body onload=alert(1)>`,
	`<meta http-equiv="refresh" content="0;url=https://evil.example/">`,
	`<link rel=stylesheet href="https://evil.example/x.css">`,
	`<base href="https://evil.example/">`,
	`[click](javascript:alert(1))`,
	`[click](JAVASCRIPT:alert(1))`,
	`[click](data:text/html,<script>alert(1)</script>)`,
	`![x](javascript:alert(1))`,
	`![x](https://tracker.example/pixel.gif)`,
	`![x](//tracker.example/pixel.gif)`,
	`<img src="https://tracker.example/pixel.gif" alt="pixel">`,
	`<a href="https://example.org/" target="_blank" onmouseover="alert(1)">hover</a>`,
	`<img src=/media/1/960.jpg srcset="https://evil.example/x.jpg 1x">`,
	`<h2 id="main" class="x" style="color:red">clobber</h2>`,
	`<input type="hidden" id="csrf_token" name="csrf_token" value="x">`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>`,
	`<scr<script>ipt>alert(1)</scr</script>ipt>`,
	"&lt;script&gt;alert(1)&lt;/script&gt;",
	`<a href="vbscript:msgbox(1)">vb</a>`,
	`<video src=x onerror=alert(1)></video><audio src=x></audio>`,
	`<template><script>alert(1)</script></template>`,
}

var dangerous = []*regexp.Regexp{
	regexp.MustCompile(`(?i)<\s*script`),
	regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
	regexp.MustCompile(`(?i)javascript:`),
	regexp.MustCompile(`(?i)vbscript:`),
	regexp.MustCompile(`(?i)(href|src)="data:`),
	regexp.MustCompile(`(?i)<\s*(svg|math|style|iframe|object|embed|form|input|button|meta|link|base|video|audio|template|body)\b`),
	regexp.MustCompile(`(?i)\sstyle=`),
	regexp.MustCompile(`(?i)\s(src|srcset|href)="(https?:)?//(evil|tracker)`),
	regexp.MustCompile(`(?i)\sid="(main|csrf_token)"`),
}

func TestSanitiseHostileInputs(t *testing.T) {
	for _, in := range hostile {
		d, err := Markdown(in, Options{CloakURL: func(string) string { return "/contact/x" }})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		for _, re := range dangerous {
			if re.MatchString(string(d.HTML)) {
				t.Errorf("input %q\nleft %s in %q", in, re, d.HTML)
			}
			if re.MatchString(d.Clean) {
				t.Errorf("input %q\nleft %s in the PDF source %q", in, re, d.Clean)
			}
		}
	}
}

func TestMarkdownStructure(t *testing.T) {
	src := "# First part\n\nSome *text* with a [link](https://example.org/).\n\n## Detail\n\n- one\n- two\n\n# First part\n\n> quoted\n"
	d, err := Markdown(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := string(d.HTML)
	for _, want := range []string{`<h2 id="first-part">First part</h2>`, `<h3 id="detail">Detail</h3>`, `<h2 id="first-part-2">`,
		`<a href="https://example.org/" rel="nofollow">link</a>`, "<blockquote>", "<li>two</li>"} {
		if !strings.Contains(h, want) {
			t.Errorf("missing %q in %s", want, h)
		}
	}
	if strings.Contains(h, "<h1") {
		t.Errorf("body headings must start at h2: %s", h)
	}
	if len(d.Headings) != 3 || d.Headings[1] != (Heading{Level: 3, ID: "detail", Text: "Detail"}) {
		t.Errorf("headings = %+v", d.Headings)
	}
	if d.Words != 13 {
		t.Errorf("words = %d (%q)", d.Words, d.Text)
	}
}

var plainEmail = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

func TestCloakingLeavesNoAddress(t *testing.T) {
	src := "Write to press@gccp.example.org or [our desk](mailto:desk@gccp.example.org?subject=Hi), " +
		"<a href=\"mailto:raw@example.net\">raw@example.net</a>, `code@example.com`, " +
		"<autolink@example.org> and ![a photo by photo@example.org](/media/1/960.jpg \"by photo@example.org\")."
	var cloaked []string
	d, err := Markdown(src, Options{CloakURL: func(a string) string { cloaked = append(cloaked, a); return "/contact/TOKEN" }})
	if err != nil {
		t.Fatal(err)
	}
	h := string(d.HTML)
	if m := plainEmail.FindString(h); m != "" {
		t.Fatalf("plain address %q in %s", m, h)
	}
	if strings.Contains(h, "mailto:") {
		t.Fatalf("mailto link left in %s", h)
	}
	if !strings.Contains(h, `title="by photo at example.org"`) {
		t.Errorf("address in a title not rewritten: %s", h)
	}
	if n := strings.Count(h, `href="/contact/TOKEN"`); n != 4 {
		t.Errorf("%d cloaked links, want 4 (press, desk, raw, autolink): %s", n, h)
	}
	if !strings.Contains(h, `press<span class="at" aria-hidden="true"></span><span class="visually-hidden"> at </span>gccp.example.org`) {
		t.Errorf("visible form missing: %s", h)
	}
	want := map[string]bool{"press@gccp.example.org": true, "desk@gccp.example.org": true, "raw@example.net": true, "autolink@example.org": true}
	for _, a := range cloaked {
		if !want[a] {
			t.Errorf("cloaked unexpected %q", a)
		}
	}
	if ct := CloakText("Mail a@b.org now", nil); plainEmail.MatchString(string(ct)) {
		t.Errorf("CloakText left %s", ct)
	}
}

func TestImagesGetSizes(t *testing.T) {
	d, err := Markdown("![Map of the region](/media/7/960.jpg)", Options{Image: func(src string) (Image, bool) {
		if src != "/media/7/960.jpg" {
			return Image{}, false
		}
		return Image{Width: 960, Height: 540, Srcset: "/media/7/480.jpg 480w, /media/7/960.jpg 960w", Sizes: "100vw"}, true
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`width="960"`, `height="540"`, `srcset="/media/7/480.jpg 480w, /media/7/960.jpg 960w"`, `alt="Map of the region"`, `loading="lazy"`} {
		if !strings.Contains(string(d.HTML), want) {
			t.Errorf("missing %s in %s", want, d.HTML)
		}
	}
}

func FuzzMarkdown(f *testing.F) {
	for _, h := range hostile {
		f.Add(h)
	}
	f.Add("# T\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\nText[^1]\n\n[^1]: Note.")
	f.Fuzz(func(t *testing.T, src string) {
		d, err := Markdown(src, Options{CloakURL: func(string) string { return "/contact/x" }})
		if err != nil {
			return
		}
		if bad := unsafeHTML(string(d.HTML)); bad != "" {
			t.Fatalf("unsafe output (%s) %q for %q", bad, d.HTML, src)
		}
	})
}

// unsafeHTML parses h as a browser would and names the first thing in it
// that could run script: a script, iframe, object or embed element, an event
// handler attribute, or a javascript:, vbscript: or data: URL in a link or
// source attribute. Text that merely looks like markup is not a finding.
func unsafeHTML(h string) string {
	doc, err := html.Parse(strings.NewReader(h))
	if err != nil {
		return "unparseable: " + err.Error()
	}
	var found string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if found != "" {
			return
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "iframe", "object", "embed", "style", "base", "form", "meta", "link":
				found = "<" + n.Data + ">"
				return
			}
			for _, a := range n.Attr {
				k := strings.ToLower(a.Key)
				v := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
				if strings.HasPrefix(k, "on") {
					found = "attribute " + k
				}
				if (k == "href" || k == "src" || k == "action" || k == "formaction" || k == "xlink:href") &&
					(strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:")) {
					found = k + "=" + v
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}
