// Package render turns what editors write into what readers get: Markdown
// into sanitised HTML (heading anchors, a table of contents, e-mail cloaking,
// image sizes), plain text for search and reading time, and articles into
// PDF documents.
//
// The HTML pipeline has three steps, and their order is the point:
//  1. goldmark renders Markdown, letting raw HTML through (editors paste it);
//  2. bluemonday keeps only an explicit list of elements and attributes, so
//     whatever was pasted — script, event handlers, javascript: or data: URLs,
//     SVG, style, iframes — is gone;
//  3. a pass over the parsed, already safe tree adds what only the server may
//     add: heading ids, image width/height/srcset, and cloaked e-mail links.
package render

import (
	"bytes"
	"fmt"
	"html/template"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"coalition/internal/slug"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	ghtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// MaxSource is the largest Markdown body accepted (editors are told).
const MaxSource = 200_000

// WordsPerMinute is the reading speed behind reading-time estimates.
const WordsPerMinute = 220

// Image is what the page needs to lay out a local image before it loads.
type Image struct {
	Width, Height int
	Srcset        string // "…/480.jpg 480w, …/960.jpg 960w"
	Sizes         string
}

// Options are the server's hooks into the HTML pass.
type Options struct {
	// CloakURL returns the link that stands in for an e-mail address (the
	// web layer's /contact/<token>). Addresses are cloaked even without it
	// (shown as text, not linked), so none ever reaches the HTML as is.
	CloakURL func(addr string) string
	// Image returns the size and variants of a local image by its src.
	Image func(src string) (Image, bool)
}

// Heading is one entry of a document's table of contents.
type Heading struct {
	Level int // 2 or 3
	ID    string
	Text  string
}

// Document is a rendered body.
type Document struct {
	HTML     template.HTML // safe to put in a page
	Clean    string        // sanitised HTML before cloaking and image sizing: the PDF is drawn from this
	Headings []Heading     // h2 and h3, in order, for "In this issue"
	Text     string        // plain text (search, summaries, word count)
	Words    int
}

// ReadingMinutes estimates the reading time, at least one minute.
func (d Document) ReadingMinutes() int { return ReadingMinutes(d.Words) }

// ReadingMinutes converts a word count to minutes of reading, at least one.
func ReadingMinutes(words int) int {
	return max(1, (words+WordsPerMinute/2)/WordsPerMinute)
}

var md = goldmark.New(
	goldmark.WithExtensions(
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough,
		extension.Linkify,
		extension.Footnote,
	),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(headingShift{}, 100))),
	goldmark.WithRendererOptions(ghtml.WithUnsafe()),
)

// headingShift keeps the page's title the only h1: when a body uses "#"
// headings, every heading moves one level down ("# Section" becomes an h2);
// a body that starts at "##" is left as written.
type headingShift struct{}

// Transform implements parser.ASTTransformer.
func (headingShift) Transform(doc *gast.Document, _ text.Reader, _ parser.Context) {
	top := 7
	_ = gast.Walk(doc, func(n gast.Node, entering bool) (gast.WalkStatus, error) { //nolint:errcheck // the walker returns no error
		if h, ok := n.(*gast.Heading); ok && entering {
			top = min(top, h.Level)
		}
		return gast.WalkContinue, nil
	})
	if top >= 2 {
		return
	}
	_ = gast.Walk(doc, func(n gast.Node, entering bool) (gast.WalkStatus, error) { //nolint:errcheck // the walker returns no error
		if h, ok := n.(*gast.Heading); ok && entering {
			h.Level = min(h.Level+1, 6)
		}
		return gast.WalkContinue, nil
	})
}

var (
	localSrc   = regexp.MustCompile(`^/[^/\\]`)
	plainValue = regexp.MustCompile(`^[^<>]*$`)
	fnID       = regexp.MustCompile(`^fn(ref\d*)?:\d+$`)
	fnClass    = regexp.MustCompile(`^(footnotes|footnote-ref|footnote-backref)$`)
	fnRole     = regexp.MustCompile(`^doc-(noteref|backlink|endnotes)$`)
	alignValue = regexp.MustCompile(`^(left|center|right)$`)
	langValue  = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$`)
	dirValue   = regexp.MustCompile(`^(ltr|rtl|auto)$`)
)

// policy is the allow-list for article HTML: text structure, links, local
// images, tables and footnotes. Nothing else survives.
func policy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code",
		"em", "strong", "b", "i", "u", "s", "del", "ins", "sub", "sup", "small", "mark", "abbr", "cite", "q",
		"kbd", "samp", "var", "dl", "dt", "dd", "ul", "ol", "li", "figure", "figcaption",
		"table", "thead", "tbody", "tfoot", "tr", "caption", "details", "summary", "section", "div", "span")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("title").Matching(plainValue).OnElements("a", "abbr", "img")
	p.AllowAttrs("src").Matching(localSrc).OnElements("img")
	p.AllowAttrs("alt").Matching(plainValue).OnElements("img")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("td", "th")
	p.AllowAttrs("align").Matching(alignValue).OnElements("td", "th")
	p.AllowAttrs("id").Matching(fnID).OnElements("li", "sup")
	p.AllowAttrs("class").Matching(fnClass).OnElements("a", "section", "div", "hr", "ol")
	p.AllowAttrs("role").Matching(fnRole).OnElements("a", "section", "div")
	p.AllowAttrs("lang").Matching(langValue).Globally()
	p.AllowAttrs("dir").Matching(dirValue).Globally()
	p.AllowElements("td", "th")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnFullyQualifiedLinks(true)
	return p
}

var sanitizer = policy()

// Sanitize cleans an HTML fragment with the article policy (for callers that
// hold HTML rather than Markdown).
func Sanitize(s string) string { return sanitizer.Sanitize(s) }

// Markdown renders a body. It fails only on a body over MaxSource.
func Markdown(src string, o Options) (Document, error) {
	if len(src) > MaxSource {
		return Document{}, fmt.Errorf("body is %d bytes; the limit is %d", len(src), MaxSource)
	}
	src = strings.ToValidUTF8(strings.ReplaceAll(src, "\x00", ""), "\uFFFD")
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return Document{}, fmt.Errorf("render markdown: %w", err)
	}
	clean := sanitizer.SanitizeBytes(buf.Bytes())
	return finish(clean, o)
}

// finish parses sanitised HTML and adds ids, image sizes and cloaking.
func finish(clean []byte, o Options) (Document, error) {
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(bytes.NewReader(clean), root)
	if err != nil {
		return Document{}, fmt.Errorf("parse sanitised html: %w", err)
	}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	// The PDF works from the sanitised tree, with h1 already demoted.
	demoteH1(root)
	var cleanOut bytes.Buffer
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&cleanOut, c); err != nil {
			return Document{}, fmt.Errorf("render html: %w", err)
		}
	}
	w := &walker{o: o, ids: map[string]bool{}}
	for _, id := range reservedIDs {
		w.ids[id] = true
	}
	w.walk(root, false)
	var out bytes.Buffer
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&out, c); err != nil {
			return Document{}, fmt.Errorf("render html: %w", err)
		}
	}
	txt := PlainText(root)
	return Document{
		HTML:     template.HTML(out.String()), //nolint:gosec // sanitised above, then only server-made attributes added
		Clean:    cleanOut.String(),
		Headings: w.headings,
		Text:     txt,
		Words:    len(strings.Fields(txt)),
	}, nil
}

// reservedIDs are ids the page layout uses; headings never take them.
var reservedIDs = []string{"main", "content", "top", "get-involved-heading", "in-this-issue", "related", "article-tools", "email-form"}

func demoteH1(n *html.Node) {
	if n.Type == html.ElementNode && n.DataAtom == atom.H1 {
		n.DataAtom, n.Data = atom.H2, "h2"
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		demoteH1(c)
	}
}

type walker struct {
	o        Options
	ids      map[string]bool
	headings []Heading
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val, true
		}
	}
	return "", false
}

func setAttr(n *html.Node, key, val string) {
	for i, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, html.Attribute{Key: key, Val: val})
}

func headingLevel(a atom.Atom) int {
	switch a {
	case atom.H2:
		return 2
	case atom.H3:
		return 3
	case atom.H4:
		return 4
	case atom.H5:
		return 5
	case atom.H6:
		return 6
	}
	return 0
}

// walk visits n's subtree; inLink says whether n sits inside an <a>.
func (w *walker) walk(n *html.Node, inLink bool) {
	if n.Type == html.ElementNode {
		for i, a := range n.Attr {
			if a.Key == "title" || a.Key == "alt" {
				n.Attr[i].Val = emailRe.ReplaceAllStringFunc(a.Val, func(m string) string { return strings.Replace(m, "@", " at ", 1) })
			}
		}
		switch {
		case headingLevel(n.DataAtom) > 0:
			w.heading(n)
		case n.DataAtom == atom.Img:
			if w.image(n) {
				return
			}
		case n.DataAtom == atom.A:
			w.link(n)
			inLink = true
		case n.DataAtom == atom.Code || n.DataAtom == atom.Pre:
			inLink = true // addresses in code are shown cloaked, not linked
		}
	}
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == html.TextNode {
			w.text(c, inLink)
		} else {
			w.walk(c, inLink)
			if c.Type == html.ElementNode && c.DataAtom == atom.A && c.FirstChild == nil {
				n.RemoveChild(c) // an empty link (pasted HTML nested in a link) helps nobody
			}
		}
		c = next
	}
}

func (w *walker) heading(n *html.Node) {
	label := strings.Join(strings.Fields(PlainText(n)), " ")
	base := slug.Make(label, 60)
	if base == "" {
		base = "section"
	}
	id := base
	for i := 2; w.ids[id]; i++ {
		id = base + "-" + strconv.Itoa(i)
	}
	w.ids[id] = true
	setAttr(n, "id", id)
	if lv := headingLevel(n.DataAtom); lv <= 3 && label != "" {
		w.headings = append(w.headings, Heading{Level: lv, ID: id, Text: label})
	}
}

// image sizes a local image, or replaces an image the policy left without a
// source (a remote one: no page loads anything from another site) with its
// alternative text. It reports whether n was replaced.
func (w *walker) image(n *html.Node) bool {
	src, ok := attr(n, "src")
	if !ok || src == "" {
		alt, _ := attr(n, "alt")
		if alt != "" {
			n.Parent.InsertBefore(&html.Node{Type: html.TextNode, Data: "[" + alt + "]"}, n)
		}
		n.Parent.RemoveChild(n)
		return true
	}
	if _, ok := attr(n, "alt"); !ok {
		setAttr(n, "alt", "")
	}
	if w.o.Image != nil {
		if im, ok := w.o.Image(src); ok {
			setAttr(n, "width", strconv.Itoa(im.Width))
			setAttr(n, "height", strconv.Itoa(im.Height))
			if im.Srcset != "" {
				setAttr(n, "srcset", im.Srcset)
				setAttr(n, "sizes", im.Sizes)
			}
		}
	}
	setAttr(n, "loading", "lazy")
	setAttr(n, "decoding", "async")
	return false
}

// link cloaks mailto: links.
func (w *walker) link(n *html.Node) {
	href, _ := attr(n, "href")
	if !strings.HasPrefix(strings.ToLower(href), "mailto:") {
		return
	}
	addr, _, _ := strings.Cut(href[len("mailto:"):], "?")
	if w.o.CloakURL != nil && emailRe.MatchString(addr) {
		setAttr(n, "href", w.o.CloakURL(addr))
		setAttr(n, "class", "email")
		setAttr(n, "rel", "nofollow")
		return
	}
	// No way to cloak it: keep the text, drop the link.
	var kept []html.Attribute
	for _, a := range n.Attr {
		if a.Key != "href" {
			kept = append(kept, a)
		}
	}
	n.Attr = kept
}

// emailRe finds e-mail addresses in text.
var emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+`)

// text replaces every e-mail address in a text node with the cloaked form:
// inside a link, only the visible parts; elsewhere, a cloaked link.
func (w *walker) text(n *html.Node, inLink bool) {
	locs := emailRe.FindAllStringIndex(n.Data, -1)
	if len(locs) == 0 {
		return
	}
	parent, s, last := n.Parent, n.Data, 0
	for _, l := range locs {
		if l[0] > last {
			parent.InsertBefore(&html.Node{Type: html.TextNode, Data: s[last:l[0]]}, n)
		}
		addr := s[l[0]:l[1]]
		if inLink || w.o.CloakURL == nil {
			for _, c := range cloakedText(addr) {
				parent.InsertBefore(c, n)
			}
		} else {
			a := &html.Node{Type: html.ElementNode, Data: "a", DataAtom: atom.A, Attr: []html.Attribute{
				{Key: "class", Val: "email"}, {Key: "rel", Val: "nofollow"}, {Key: "href", Val: w.o.CloakURL(addr)}}}
			for _, c := range cloakedText(addr) {
				a.AppendChild(c)
			}
			parent.InsertBefore(a, n)
		}
		last = l[1]
	}
	if last < len(s) {
		parent.InsertBefore(&html.Node{Type: html.TextNode, Data: s[last:]}, n)
	}
	parent.RemoveChild(n)
}

// cloakedText is an address as people see it and harvesters do not: the
// local part, an empty span the stylesheet fills with "@" (a hidden " at "
// for screen readers and text-only clients), and the domain — the same
// markup as the web layer's cloak template function.
func cloakedText(addr string) []*html.Node {
	local, domain, _ := strings.Cut(addr, "@")
	return []*html.Node{
		{Type: html.TextNode, Data: local},
		{Type: html.ElementNode, Data: "span", DataAtom: atom.Span, Attr: []html.Attribute{{Key: "class", Val: "at"}, {Key: "aria-hidden", Val: "true"}}},
		elemWithText("span", atom.Span, " at ", html.Attribute{Key: "class", Val: "visually-hidden"}),
		{Type: html.TextNode, Data: domain},
	}
}

func elemWithText(tag string, a atom.Atom, txt string, attrs ...html.Attribute) *html.Node {
	n := &html.Node{Type: html.ElementNode, Data: tag, DataAtom: a, Attr: attrs}
	n.AppendChild(&html.Node{Type: html.TextNode, Data: txt})
	return n
}

// CloakText writes plain text (a summary, say) as HTML with every e-mail
// address cloaked, for templates.
func CloakText(s string, cloakURL func(string) string) template.HTML {
	var b strings.Builder
	last := 0
	for _, l := range emailRe.FindAllStringIndex(s, -1) {
		b.WriteString(template.HTMLEscapeString(s[last:l[0]]))
		addr := s[l[0]:l[1]]
		local, domain, _ := strings.Cut(addr, "@")
		inner := template.HTMLEscapeString(local) + `<span class="at" aria-hidden="true"></span><span class="visually-hidden"> at </span>` + template.HTMLEscapeString(domain)
		if cloakURL != nil {
			b.WriteString(`<a class="email" rel="nofollow" href="` + template.HTMLEscapeString(cloakURL(addr)) + `">` + inner + `</a>`)
		} else {
			b.WriteString(inner)
		}
		last = l[1]
	}
	b.WriteString(template.HTMLEscapeString(s[last:]))
	return template.HTML(b.String()) //nolint:gosec // every part escaped
}

// UnlinkEmails rewrites addresses in plain text as "name at domain" (for
// meta descriptions and other attributes, where no markup is possible).
func UnlinkEmails(s string) string {
	return emailRe.ReplaceAllStringFunc(s, func(m string) string { return strings.Replace(m, "@", " at ", 1) })
}

// ContainsEmail reports whether s holds something shaped like an address.
func ContainsEmail(s string) bool { return emailRe.MatchString(s) }

var blockAtoms = map[atom.Atom]bool{atom.P: true, atom.Li: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true,
	atom.H5: true, atom.H6: true, atom.Blockquote: true, atom.Pre: true, atom.Tr: true, atom.Td: true, atom.Th: true,
	atom.Div: true, atom.Section: true, atom.Figure: true, atom.Figcaption: true, atom.Dt: true, atom.Dd: true, atom.Br: true,
	atom.Ul: true, atom.Ol: true, atom.Table: true, atom.Caption: true, atom.Summary: true, atom.Details: true}

// PlainText returns the readable text of a tree: blocks on their own lines,
// hidden helper text (the cloak's " at ") included so addresses still read.
func PlainText(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			if n.DataAtom == atom.Img {
				if alt, _ := attr(n, "alt"); alt != "" {
					b.WriteString(alt)
				}
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
		if n.Type == html.ElementNode && blockAtoms[n.DataAtom] {
			b.WriteByte('\n')
		}
	}
	rec(n)
	lines := strings.Split(b.String(), "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Excerpt shortens plain text to about n characters at a word boundary.
func Excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, ",;:.-– ") + "…"
}

// TOCEntry is a top-level entry of a contents list with the entries under it.
type TOCEntry struct {
	Heading
	Sub []Heading
}

// TOC nests a document's headings for a contents list: each h2 with the
// h3s that follow it (an h3 before any h2 stands on its own).
func TOC(hs []Heading) []TOCEntry {
	var out []TOCEntry
	for _, h := range hs {
		if h.Level > 2 && len(out) > 0 {
			out[len(out)-1].Sub = append(out[len(out)-1].Sub, h)
			continue
		}
		out = append(out, TOCEntry{Heading: h})
	}
	return out
}
