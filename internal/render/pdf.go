package render

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// PDFVersion changes whenever the PDF layout changes, so that cached PDFs
// made by an older layout are not served.
const PDFVersion = "3"

// PDFArticle is what goes into an article's PDF.
type PDFArticle struct {
	Title       string
	Summary     string
	Author      string
	Date        string // formatted for the reader's locale
	Category    string
	ReadingTime string // "5 min read"
	URL         string // the article's absolute address, printed in the footer
	BaseURL     string // makes relative links absolute
	CoverPath   string // local file of the cover image, or ""
	CoverAlt    string
	BodyHTML    string // Document.Clean
	// ImageFile returns the local file of an image in the body (by src).
	ImageFile  func(src string) (string, bool)
	OrgName    string
	OrgAddress []string
	Paper      string    // "A4" (default) or "Letter"
	Lang       string    // document language, e.g. "en"
	Created    time.Time // stamped into the file (the article's last change), so the same input gives the same bytes
	PageLabel  string    // "Page %d of %s" in the reader's language
}

// Fonts: the Go fonts cover Latin with diacritics, Greek and Cyrillic (WGL4).
var fontData = map[string][]byte{
	"":   goregular.TTF,
	"B":  gobold.TTF,
	"I":  goitalic.TTF,
	"BI": gobolditalic.TTF,
	"M":  gomono.TTF,
}

// Layout in millimetres and points.
const (
	marginX    = 20.0
	marginTop  = 18.0
	marginBot  = 22.0
	bodySize   = 10.5
	bodyLine   = 5.4
	paraGap    = 2.6
	listIndent = 6.5
)

type pdfWriter struct {
	f      *fpdf.Fpdf
	in     PDFArticle
	loaded map[string]bool
	bold   int
	italic int
	mono   int
	size   float64
	link   string
	pre    bool
	gray   bool
	// atLineStart drops spaces that would start a line.
	atLineStart bool
	images      int
	cur         string // the font and colour last set, to skip repeats
	contentW    float64
	pageH       float64
}

// WritePDF writes an article as a PDF with embedded fonts. The text is real
// text (it can be selected, searched and extracted with pdftotext).
func WritePDF(w io.Writer, in PDFArticle) (err error) {
	// fpdf panics on a few inputs it cannot handle; an article must never
	// take the server down with it.
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("make pdf: %v", v)
		}
	}()
	for _, s := range []*string{&in.Title, &in.Summary, &in.Author, &in.Date, &in.Category, &in.ReadingTime, &in.OrgName} {
		*s = pdfSafe(*s)
	}
	for i := range in.OrgAddress {
		in.OrgAddress[i] = pdfSafe(in.OrgAddress[i])
	}
	size := "A4"
	if strings.EqualFold(in.Paper, "letter") {
		size = "Letter"
	}
	f := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: size})
	p := &pdfWriter{f: f, in: in, loaded: map[string]bool{}, size: bodySize}
	pw, ph := f.GetPageSize()
	p.contentW, p.pageH = pw-2*marginX, ph
	f.SetMargins(marginX, marginTop, marginX)
	f.SetAutoPageBreak(true, marginBot)
	f.SetCellMargin(0)
	if in.Created.IsZero() {
		in.Created = time.Unix(0, 0)
	}
	f.SetCreationDate(in.Created)
	f.SetModificationDate(in.Created)
	f.SetCatalogSort(true)
	f.SetTitle(in.Title, true)
	f.SetAuthor(in.Author, true)
	f.SetSubject(in.Summary, true)
	f.SetCreator(in.OrgName, true)
	f.SetProducer("Coalition", true)
	if in.Lang != "" {
		f.SetLang(in.Lang)
	}
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(p.footer)
	f.SetHeaderFunc(p.header)
	f.AddPage()
	p.front()
	if err := p.body(); err != nil {
		return err
	}
	if err := f.Error(); err != nil {
		return fmt.Errorf("make pdf: %w", err)
	}
	if err := f.Output(w); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	return nil
}

// setFont picks the font for the current style, loading it on first use
// (each font is parsed only if the article needs it).
func (p *pdfWriter) setFont() {
	style := ""
	switch {
	case p.mono > 0:
		style = "M"
	case p.bold > 0 && p.italic > 0:
		style = "BI"
	case p.bold > 0:
		style = "B"
	case p.italic > 0:
		style = "I"
	}
	family := "go"
	if style == "M" {
		family, style = "gomono", ""
	}
	key := family + style
	if !p.loaded[key] {
		data := fontData[style]
		if family == "gomono" {
			data = fontData["M"]
		}
		p.f.AddUTF8FontFromBytes(family, style, data)
		p.loaded[key] = true
	}
	size := p.size
	if p.mono > 0 && !p.pre {
		size *= 0.92
	}
	colour := 0
	switch {
	case p.link != "":
		colour = 1
	case p.gray:
		colour = 2
	}
	state := fmt.Sprintf("%s|%s|%.2f|%d|%d", family, style, size, colour, p.f.PageNo())
	if state == p.cur {
		return
	}
	p.cur = state
	p.f.SetFont(family, style, size)
	switch colour {
	case 1:
		p.f.SetTextColor(11, 79, 113)
	case 2:
		p.f.SetTextColor(85, 90, 98)
	default:
		p.f.SetTextColor(27, 31, 36)
	}
}

func (p *pdfWriter) header() {
	if p.f.PageNo() == 1 {
		return
	}
	saved := *p
	p.bold, p.italic, p.mono, p.link, p.size, p.gray = 0, 0, 0, "", 8, true
	p.setFont()
	p.f.SetY(9)
	p.f.CellFormat(p.contentW, 4, clipRunes(p.in.Title, 110), "", 0, "L", false, 0, "")
	p.f.SetY(marginTop)
	p.restore(saved)
}

func (p *pdfWriter) restore(saved pdfWriter) {
	p.bold, p.italic, p.mono, p.link, p.size, p.gray = saved.bold, saved.italic, saved.mono, saved.link, saved.size, saved.gray
	p.setFont()
}

func (p *pdfWriter) footer() {
	saved := *p
	f := p.f
	p.bold, p.italic, p.mono, p.link, p.size, p.gray = 0, 0, 0, "", 7.5, true
	p.setFont()
	f.SetDrawColor(190, 195, 200)
	f.SetLineWidth(0.2)
	y := p.pageH - marginBot + 6
	f.Line(marginX, y, marginX+p.contentW, y)
	f.SetXY(marginX, y+1.5)
	org := p.in.OrgName
	if len(p.in.OrgAddress) > 0 {
		org += " · " + strings.Join(p.in.OrgAddress, ", ")
	}
	label := p.in.PageLabel
	if label == "" {
		label = "Page %d of %s"
	}
	pageText := fmt.Sprintf(label, f.PageNo(), "{nb}")
	pageW := 26.0
	f.CellFormat(p.contentW-pageW, 3.6, clipRunes(org, 140), "", 0, "L", false, 0, "")
	f.CellFormat(pageW, 3.6, pageText, "", 1, "R", false, 0, "")
	f.SetX(marginX)
	f.CellFormat(p.contentW, 3.6, p.in.URL, "", 0, "L", false, 0, p.in.URL)
	p.restore(saved)
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// front writes the title block and the cover image.
func (p *pdfWriter) front() {
	f := p.f
	if p.in.Category != "" {
		p.size, p.bold, p.gray = 9, 1, true
		p.setFont()
		f.CellFormat(p.contentW, 5, strings.ToUpper(p.in.Category), "", 1, "L", false, 0, "")
		p.bold, p.gray = 0, false
	}
	p.size, p.bold = 20, 1
	p.setFont()
	f.MultiCell(p.contentW, 8.6, p.in.Title, "", "L", false)
	p.bold = 0
	f.Bookmark(p.in.Title, 0, -1)
	var meta []string
	for _, m := range []string{p.in.Author, p.in.Date, p.in.ReadingTime} {
		if m != "" {
			meta = append(meta, m)
		}
	}
	if len(meta) > 0 {
		f.Ln(1.5)
		p.size, p.gray = 9.5, true
		p.setFont()
		f.MultiCell(p.contentW, 4.8, strings.Join(meta, " · "), "", "L", false)
		p.gray = false
	}
	if p.in.Summary != "" {
		f.Ln(3)
		p.size, p.italic = 12, 1
		p.setFont()
		f.MultiCell(p.contentW, 6, p.in.Summary, "", "L", false)
		p.italic = 0
	}
	if p.in.CoverPath != "" {
		f.Ln(4)
		p.image(p.in.CoverPath)
	}
	f.Ln(3)
	f.SetDrawColor(213, 218, 224)
	f.SetLineWidth(0.3)
	f.Line(marginX, f.GetY(), marginX+p.contentW, f.GetY())
	f.Ln(4)
	p.size = bodySize
	p.setFont()
}

// image places a picture at full column width at most, keeping its shape
// and moving to a new page when it does not fit.
func (p *pdfWriter) image(path string) {
	f := p.f
	p.images++
	info := f.RegisterImageOptions(path, fpdf.ImageOptions{ReadDpi: false})
	if info == nil || f.Err() {
		f.ClearError()
		return
	}
	w, h := info.Width(), info.Height() // in mm at 72 dpi; scale to the column
	if w <= 0 || h <= 0 {
		return
	}
	// Pixels at 96 dpi, but never wider than the column.
	dw := min(p.contentW, w*72/96)
	dh := h * dw / w
	maxH := p.pageH - marginTop - marginBot - 10
	if dh > maxH {
		dw, dh = dw*maxH/dh, maxH
	}
	if f.GetY()+dh > p.pageH-marginBot {
		f.AddPage()
	}
	x := marginX + (p.contentW-dw)/2
	f.ImageOptions(path, x, f.GetY(), dw, dh, false, fpdf.ImageOptions{}, 0, "")
	f.SetY(f.GetY() + dh + 2)
}

func (p *pdfWriter) body() error {
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(p.in.BodyHTML), root)
	if err != nil {
		return fmt.Errorf("parse body for pdf: %w", err)
	}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	p.blocks(root, 0)
	return nil
}

// blocks lays out the children of n as blocks; loose inline content is
// gathered into paragraphs.
func (p *pdfWriter) blocks(n *html.Node, depth int) {
	var run []*html.Node
	flush := func() {
		if len(run) > 0 && !allSpace(run) {
			p.paragraph(run)
		}
		run = run[:0]
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && isBlock(c.DataAtom) {
			flush()
			p.block(c, depth)
			continue
		}
		run = append(run, c)
	}
	flush()
}

func allSpace(ns []*html.Node) bool {
	for _, n := range ns {
		if n.Type != html.TextNode || strings.TrimSpace(n.Data) != "" {
			return false
		}
	}
	return true
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Ul, atom.Ol, atom.Li, atom.Blockquote, atom.Pre,
		atom.Hr, atom.Table, atom.Div, atom.Section, atom.Figure, atom.Figcaption, atom.Dl, atom.Dt, atom.Dd, atom.Details, atom.Summary, atom.Aside:
		return true
	}
	return false
}

func (p *pdfWriter) newLine() {
	if !p.atLineStart {
		p.f.Ln(p.lineH())
	}
	p.atLineStart = true
}

func (p *pdfWriter) lineH() float64 { return bodyLine * p.size / bodySize }

func (p *pdfWriter) paragraph(ns []*html.Node) {
	f := p.f
	lm, _, _, _ := f.GetMargins()
	f.SetX(lm)
	p.atLineStart = true
	// A lone image is a figure.
	if img := loneImage(ns); img != nil {
		if src, _ := attr(img, "src"); src != "" && p.in.ImageFile != nil {
			if path, ok := p.in.ImageFile(src); ok {
				p.image(path)
				f.Ln(paraGap)
				return
			}
		}
	}
	for _, n := range ns {
		p.inline(n)
	}
	p.newLine()
	f.Ln(paraGap)
}

func loneImage(ns []*html.Node) *html.Node {
	var img *html.Node
	for _, n := range ns {
		switch {
		case n.Type == html.TextNode && strings.TrimSpace(n.Data) == "":
		case n.Type == html.ElementNode && n.DataAtom == atom.Img && img == nil:
			img = n
		default:
			return nil
		}
	}
	return img
}

func (p *pdfWriter) block(n *html.Node, depth int) {
	f := p.f
	switch n.DataAtom {
	case atom.P, atom.Dt, atom.Dd, atom.Figcaption, atom.Summary:
		var kids []*html.Node
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			kids = append(kids, c)
		}
		if n.DataAtom == atom.Dt || n.DataAtom == atom.Summary {
			p.bold++
			defer func() { p.bold-- }()
		}
		if n.DataAtom == atom.Figcaption {
			p.italic++
			p.gray = true
			defer func() { p.italic--; p.gray = false }()
		}
		p.setFont()
		p.paragraph(kids)
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		level := headingLevel(n.DataAtom)
		if n.DataAtom == atom.H1 {
			level = 2
		}
		sizes := map[int]float64{2: 15, 3: 12.5, 4: 11, 5: 10.5, 6: 10.5}
		// Keep a heading with the lines after it.
		if f.GetY() > p.pageH-marginBot-28 {
			f.AddPage()
		} else {
			f.Ln(2.5)
		}
		oldSize := p.size
		p.size = sizes[level]
		p.bold++
		p.setFont()
		text := pdfSafe(strings.Join(strings.Fields(PlainText(n)), " "))
		if level <= 3 {
			f.Bookmark(text, level-1, -1)
		}
		f.SetX(marginX)
		f.MultiCell(p.contentW, p.lineH()*1.05, text, "", "L", false)
		p.bold--
		p.size = oldSize
		p.setFont()
		f.Ln(1.2)
		p.atLineStart = true
	case atom.Ul, atom.Ol:
		p.list(n, depth)
		if depth == 0 {
			f.Ln(paraGap * 0.6)
		}
	case atom.Blockquote:
		lm, _, rm, _ := f.GetMargins()
		startY, startPage := f.GetY(), f.PageNo()
		f.SetLeftMargin(lm + 7)
		f.SetX(lm + 7)
		p.italic++
		p.gray = true
		p.setFont()
		p.blocks(n, depth)
		p.italic--
		p.gray = false
		p.setFont()
		endY := f.GetY() - paraGap
		if f.PageNo() == startPage && endY > startY {
			f.SetDrawColor(11, 79, 113)
			f.SetLineWidth(0.8)
			f.Line(lm+2, startY, lm+2, endY)
		}
		f.SetLeftMargin(lm)
		f.SetRightMargin(rm)
		f.SetX(lm)
	case atom.Pre:
		p.mono++
		p.pre = true
		old := p.size
		p.size = 9
		p.setFont()
		f.SetFillColor(243, 245, 247)
		lm, _, _, _ := f.GetMargins()
		text := pdfSafe(strings.TrimRight(PlainTextPre(n), "\n"))
		f.SetX(lm)
		f.MultiCell(marginX+p.contentW-lm, 4.6, text, "", "L", true)
		p.mono--
		p.pre = false
		p.size = old
		p.setFont()
		f.Ln(paraGap)
		p.atLineStart = true
	case atom.Hr:
		f.Ln(1)
		f.SetDrawColor(190, 195, 200)
		f.SetLineWidth(0.3)
		f.Line(marginX+p.contentW*0.3, f.GetY(), marginX+p.contentW*0.7, f.GetY())
		f.Ln(paraGap + 1)
	case atom.Table:
		p.table(n)
	case atom.Li:
		p.blocks(n, depth)
	default: // div, section, figure, aside, dl, details
		if cls, _ := attr(n, "class"); cls == "footnotes" {
			old := p.size
			p.size = 9
			p.setFont()
			p.blocks(n, depth)
			p.size = old
			p.setFont()
			return
		}
		p.blocks(n, depth)
	}
}

func (p *pdfWriter) list(n *html.Node, depth int) {
	f := p.f
	lm, _, _, _ := f.GetMargins()
	indent := lm + listIndent
	num := 1
	if s, ok := attr(n, "start"); ok {
		if v, err := strconv.Atoi(s); err == nil && v >= 0 && v < 1_000_000 {
			num = v
		}
	}
	for li := n.FirstChild; li != nil; li = li.NextSibling {
		if li.Type != html.ElementNode || li.DataAtom != atom.Li {
			continue
		}
		marker := "•"
		if n.DataAtom == atom.Ol {
			marker = strconv.Itoa(num) + "."
		} else if depth%2 == 1 {
			marker = "–"
		}
		num++
		if f.GetY() > p.pageH-marginBot-p.lineH() {
			f.AddPage()
		}
		f.SetLeftMargin(indent)
		f.SetX(indent - listIndent)
		p.setFont()
		f.CellFormat(listIndent-1, p.lineH(), marker, "", 0, "R", false, 0, "")
		f.SetX(indent)
		p.atLineStart = true
		// Inline content of a tight item, then nested blocks.
		var run []*html.Node
		first := true
		flush := func() {
			if len(run) > 0 && !allSpace(run) {
				if !first {
					f.SetX(indent)
				}
				for _, c := range run {
					p.inline(c)
				}
				p.newLine()
				first = false
			}
			run = run[:0]
		}
		for c := li.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && isBlock(c.DataAtom) {
				flush()
				if c.DataAtom == atom.P {
					if !first {
						f.Ln(1)
						f.SetX(indent)
					}
					for k := c.FirstChild; k != nil; k = k.NextSibling {
						p.inline(k)
					}
					p.newLine()
					first = false
					continue
				}
				if c.DataAtom == atom.Ul || c.DataAtom == atom.Ol {
					if first {
						p.newLine()
						first = false
					}
					p.list(c, depth+1)
					continue
				}
				p.block(c, depth+1)
				first = false
				continue
			}
			run = append(run, c)
		}
		flush()
		if first {
			p.newLine()
		}
		f.SetLeftMargin(lm)
		f.Ln(0.8)
	}
	f.SetLeftMargin(lm)
	f.SetX(lm)
}

// table draws a simple grid: equal columns, wrapped cells, header in bold.
func (p *pdfWriter) table(n *html.Node) {
	f := p.f
	var rows [][]*html.Node
	var walk func(*html.Node)
	walk = func(m *html.Node) {
		for c := m.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if c.DataAtom == atom.Tr {
				var cells []*html.Node
				for td := c.FirstChild; td != nil; td = td.NextSibling {
					if td.Type == html.ElementNode && (td.DataAtom == atom.Td || td.DataAtom == atom.Th) {
						cells = append(cells, td)
					}
				}
				rows = append(rows, cells)
				continue
			}
			walk(c)
		}
	}
	walk(n)
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	if cols == 0 {
		return
	}
	old := p.size
	p.size = 9
	lh := 4.4
	colW := p.contentW / float64(cols)
	f.SetDrawColor(190, 195, 200)
	f.SetLineWidth(0.2)
	for _, r := range rows {
		head := len(r) > 0 && r[0].DataAtom == atom.Th
		if head {
			p.bold++
		}
		p.setFont()
		texts := make([]string, cols)
		lines := 1
		for i, c := range r {
			texts[i] = pdfSafe(strings.Join(strings.Fields(PlainText(c)), " "))
			lines = max(lines, len(f.SplitText(texts[i], colW-2)))
		}
		h := float64(lines)*lh + 1.5
		if f.GetY()+h > p.pageH-marginBot {
			f.AddPage()
		}
		y := f.GetY()
		for i := 0; i < cols; i++ {
			x := marginX + float64(i)*colW
			f.Rect(x, y, colW, h, "D")
			f.SetXY(x+1, y+0.75)
			f.MultiCell(colW-2, lh, texts[i], "", "L", false)
		}
		f.SetXY(marginX, y+h)
		if head {
			p.bold--
		}
	}
	p.size = old
	p.setFont()
	f.Ln(paraGap + 1)
	p.atLineStart = true
}

// PlainTextPre returns the text of a <pre> with its line breaks.
func PlainTextPre(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return b.String()
}

// inline writes inline content with the current style.
func (p *pdfWriter) inline(n *html.Node) {
	f := p.f
	switch n.Type {
	case html.TextNode:
		t := collapseSpace(pdfSafe(n.Data))
		if p.atLineStart {
			t = strings.TrimLeft(t, " ")
		}
		if t == "" {
			return
		}
		p.setFont()
		if p.link != "" {
			f.WriteLinkString(p.lineH(), t, p.link)
		} else {
			f.Write(p.lineH(), t)
		}
		p.atLineStart = false
		return
	case html.ElementNode:
	default:
		return
	}
	undo := func() {}
	switch n.DataAtom {
	case atom.Strong, atom.B:
		p.bold++
		undo = func() { p.bold-- }
	case atom.Em, atom.I, atom.Cite, atom.Q, atom.Var:
		p.italic++
		undo = func() { p.italic-- }
	case atom.Code, atom.Kbd, atom.Samp:
		p.mono++
		undo = func() { p.mono-- }
	case atom.Br:
		f.Ln(p.lineH())
		p.atLineStart = true
		return
	case atom.Img:
		if alt, _ := attr(n, "alt"); alt != "" {
			p.inline(&html.Node{Type: html.TextNode, Data: "[" + alt + "]"})
		}
		return
	case atom.Sup:
		if id, _ := attr(n, "id"); strings.HasPrefix(id, "fnref") {
			p.setFont()
			f.SubWrite(p.lineH(), PlainText(n), p.size*0.7, 3, 0, "")
			p.atLineStart = false
			return
		}
	case atom.A:
		if cls, _ := attr(n, "class"); cls == "footnote-backref" {
			return // "↩" back-links mean nothing on paper
		}
		href, _ := attr(n, "href")
		if abs := p.absolute(href); abs != "" && p.link == "" {
			p.link = abs
			undo = func() { p.link = "" }
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		p.inline(c)
	}
	undo()
	p.setFont()
}

// absolute turns a link into one that works from a PDF on someone's disk.
func (p *pdfWriter) absolute(href string) string {
	if href == "" || strings.HasPrefix(href, "#") {
		return ""
	}
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	if u.Scheme != "" {
		return href
	}
	base, err := url.Parse(p.in.BaseURL)
	if err != nil || p.in.BaseURL == "" {
		return ""
	}
	return base.ResolveReference(u).String()
}

// pdfSafe drops what the PDF fonts cannot carry: characters outside the
// Basic Multilingual Plane (emoji) and control characters.
func pdfSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r > 0xFFFF || r < 32 && r != '\n' && r != '\t' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)
}

var spaceRun = strings.NewReplacer("\n", " ", "\t", " ", "\r", " ")

func collapseSpace(s string) string {
	s = spaceRun.Replace(s)
	var b bytes.Buffer
	prev := false
	for _, r := range s {
		if r == ' ' {
			if prev {
				continue
			}
			prev = true
		} else {
			prev = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
