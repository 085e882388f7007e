package library

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// ExtractError is a failed extraction, with a reason fit for editors.
type ExtractError struct{ Reason string }

// Error implements error.
func (e *ExtractError) Error() string { return e.Reason }

func failed(format string, args ...any) error {
	return &ExtractError{Reason: fmt.Sprintf(format, args...)}
}

// Extractor pulls the text out of stored files. PDFs go through poppler's
// pdftotext in a child process under a CPU-time and address-space limit
// (ulimit) and a wall-clock timeout; DOCX, ODT, HTML and text are read in Go
// in a goroutine that recovers from panics, reads through hard size limits
// (a decompression bomb stops at the limit) and gives up at the timeout.
type Extractor struct {
	// PDFToText is the pdftotext program; empty when it is not installed.
	PDFToText string
	Timeout   time.Duration
	MemoryMB  int
	// MaxText caps the text kept from one file.
	MaxText int
	// MaxUnpacked caps how much XML one DOCX or ODT may expand to.
	MaxUnpacked int64
}

// NewExtractor finds pdftotext on PATH and sets the default limits.
func NewExtractor() *Extractor {
	p, err := exec.LookPath("pdftotext")
	if err != nil {
		p = ""
	}
	return &Extractor{PDFToText: p, Timeout: 60 * time.Second, MemoryMB: 1024, MaxText: 4 << 20, MaxUnpacked: 200 << 20}
}

// Extract returns the text of the file at path. An *ExtractError explains a
// file that cannot be read; empty text with no error means the file has none.
func (e *Extractor) Extract(ctx context.Context, path, format string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	if format == FormatPDF {
		return e.pdf(ctx, path)
	}
	type result struct {
		text string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				ch <- result{err: failed("The file could not be read (the reader stopped on malformed content).")}
			}
		}()
		var r result
		switch format {
		case FormatDOCX:
			r.text, r.err = e.zipXML(ctx, path, "word/document.xml", docxText)
		case FormatODT:
			r.text, r.err = e.zipXML(ctx, path, "content.xml", odtText)
		case FormatHTML:
			r.text, r.err = e.html(ctx, path)
		case FormatTXT:
			r.text, r.err = e.txt(path)
		default:
			r.err = failed("Files of this kind are not read.")
		}
		ch <- r
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return "", r.err
		}
		return clipText(strings.TrimSpace(r.text), e.MaxText), nil
	case <-ctx.Done():
		return "", failed("Reading the text took longer than %s and was stopped.", e.Timeout)
	}
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// pdf runs pdftotext under limits and classifies its failures.
func (e *Extractor) pdf(ctx context.Context, path string) (string, error) {
	if e.PDFToText == "" {
		return "", failed("pdftotext is not installed on the server (Debian: apt-get install poppler-utils), so PDF text cannot be read. Install it and choose “Extract again”.")
	}
	cpu := int(e.Timeout.Seconds()) + 1
	// The shell sets the limits, then becomes pdftotext (exec): the limits
	// bind only the child, and the server never runs the parser itself.
	script := "ulimit -v " + strconv.Itoa(e.MemoryMB*1024) + " && ulimit -t " + strconv.Itoa(cpu) + ` && exec "$0" "$@"`
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script, e.PDFToText, "-enc", "UTF-8", "-nopgbrk", path, "-")
	cmd.WaitDelay = 2 * time.Second
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8"}
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 8 << 10}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", fmt.Errorf("pdftotext: %w", err)
	}
	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return "", failed("Reading the PDF took longer than %s and was stopped.", e.Timeout)
		}
		return "", failed("pdftotext could not be started: %v", err)
	}
	text, rerr := io.ReadAll(io.LimitReader(out, int64(e.MaxText)+1))
	truncated := len(text) > e.MaxText
	if truncated {
		// Enough text: stop the reader instead of waiting for the rest.
		_ = cmd.Process.Kill() //nolint:errcheck // it may have finished
	}
	werr := cmd.Wait()
	switch {
	case truncated:
		return clipText(string(text), e.MaxText), nil
	case ctx.Err() != nil:
		return "", failed("Reading the PDF took longer than %s and was stopped.", e.Timeout)
	case rerr != nil:
		return "", fmt.Errorf("pdftotext output: %w", rerr)
	case werr != nil:
		msg := stderr.String()
		var ee *exec.ExitError
		if errors.As(werr, &ee) && ee.ExitCode() == -1 {
			return "", failed("Reading the PDF needed more than %d MB of memory or %d s of processor time and was stopped.", e.MemoryMB, cpu)
		}
		switch {
		case strings.Contains(msg, "memory") || strings.Contains(msg, "alloc") || strings.Contains(msg, "shared librar"):
			return "", failed("Reading the PDF needed more than %d MB of memory and was stopped.", e.MemoryMB)
		case strings.Contains(msg, "Incorrect password") || strings.Contains(msg, "ncrypt"):
			return "", failed("The PDF is protected by a password, so its text cannot be read.")
		case strings.Contains(msg, "Permission"):
			return "", failed("The PDF does not allow its text to be copied.")
		default:
			return "", failed("The PDF is damaged or is not really a PDF, so its text cannot be read.")
		}
	}
	return string(text), nil
}

type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// zipXML opens the XML part member of a ZIP-based document and feeds it to
// walk through a reader that stops at MaxUnpacked bytes.
func (e *Extractor) zipXML(ctx context.Context, path, member string, walk func(context.Context, *xml.Decoder, *strings.Builder, int) error) (string, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return "", failed("The file is a damaged ZIP archive, so its text cannot be read.")
	}
	defer zr.Close()
	if len(zr.File) > 20000 {
		return "", failed("The file holds %d parts, far more than any real document: no text extracted.", len(zr.File))
	}
	var part *zip.File
	for _, f := range zr.File {
		if f.Name == member {
			part = f
		}
		if f.Flags&0x1 != 0 {
			return "", failed("The document is encrypted, so its text cannot be read.")
		}
	}
	if part == nil {
		return "", failed("The file has no text part (%s), so no text was extracted.", member)
	}
	if part.UncompressedSize64 > uint64(e.MaxUnpacked) {
		return "", failed("The document would expand to %d MB when unpacked (the limit is %d MB): no text extracted.", part.UncompressedSize64>>20, e.MaxUnpacked>>20)
	}
	rc, err := part.Open()
	if err != nil {
		return "", failed("The document's text part cannot be opened: %v.", err)
	}
	defer rc.Close()
	lr := &limitReader{r: rc, n: e.MaxUnpacked}
	dec := xml.NewDecoder(lr)
	dec.Strict = false
	var b strings.Builder
	err = walk(ctx, dec, &b, e.MaxText)
	if lr.hit {
		return "", failed("The document expands to more than %d MB when unpacked (a decompression bomb?): no text extracted.", e.MaxUnpacked>>20)
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, errEnough) {
		var ee *ExtractError
		if errors.As(err, &ee) {
			return "", err
		}
		if b.Len() == 0 {
			return "", failed("The document's text is malformed, so it cannot be read.")
		}
	}
	return b.String(), nil
}

var errEnough = errors.New("enough text")

// limitReader is io.LimitReader that remembers hitting the limit.
type limitReader struct {
	r   io.Reader
	n   int64
	hit bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		l.hit = true
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// walkXML collects character data inside elements for which keep returns
// true, with breaks at paragraph ends.
func walkXML(ctx context.Context, dec *xml.Decoder, b *strings.Builder, max int, textEl, breakEl func(xml.Name) bool, inline func(xml.Name) string) error {
	depth := 0
	for n := 0; ; n++ {
		if n%2000 == 0 && ctx.Err() != nil {
			return failed("Reading the text took too long and was stopped.")
		}
		tok, err := dec.RawToken()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if textEl(t.Name) {
				depth++
			}
			if s := inline(t.Name); s != "" {
				b.WriteString(s)
			}
		case xml.EndElement:
			if textEl(t.Name) && depth > 0 {
				depth--
			}
			if breakEl(t.Name) {
				b.WriteString("\n")
			}
		case xml.CharData:
			if depth > 0 {
				b.Write(t)
			}
		}
		if b.Len() > max {
			return errEnough
		}
	}
}

func docxText(ctx context.Context, dec *xml.Decoder, b *strings.Builder, max int) error {
	return walkXML(ctx, dec, b, max,
		func(n xml.Name) bool { return n.Local == "t" },
		func(n xml.Name) bool { return n.Local == "p" },
		func(n xml.Name) string {
			switch n.Local {
			case "tab":
				return "\t"
			case "br", "cr":
				return "\n"
			}
			return ""
		})
}

func odtText(ctx context.Context, dec *xml.Decoder, b *strings.Builder, max int) error {
	return walkXML(ctx, dec, b, max,
		func(n xml.Name) bool { return n.Local == "p" || n.Local == "h" },
		func(n xml.Name) bool { return n.Local == "p" || n.Local == "h" },
		func(n xml.Name) string {
			switch n.Local {
			case "s":
				return " "
			case "tab":
				return "\t"
			case "line-break":
				return "\n"
			}
			return ""
		})
}

// html reads the visible text of a page: no scripts, styles or templates.
func (e *Extractor) html(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	z := html.NewTokenizer(io.LimitReader(f, 64<<20))
	z.SetMaxBuf(4 << 20)
	var b strings.Builder
	skip := 0
	block := map[string]bool{"p": true, "div": true, "br": true, "li": true, "tr": true, "h1": true, "h2": true, "h3": true, "h4": true,
		"h5": true, "h6": true, "section": true, "article": true, "blockquote": true, "pre": true, "td": true, "th": true, "title": true}
	for n := 0; ; n++ {
		if n%2000 == 0 && ctx.Err() != nil {
			return "", failed("Reading the page took too long and was stopped.")
		}
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) || b.Len() > 0 {
				return b.String(), nil
			}
			return "", failed("The HTML could not be read.")
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "template", "noscript", "svg", "head":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			}
			if block[tag] {
				b.WriteString("\n")
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		}
		if b.Len() > e.MaxText {
			return b.String(), nil
		}
	}
}

// txt decodes plain text: UTF-8, UTF-16 with a byte-order mark, or
// (failing those) Windows-1252.
func (e *Extractor) txt(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, int64(e.MaxText)*2))
	if err != nil {
		return "", fmt.Errorf("read: %w", err)
	}
	switch {
	case bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}):
		raw = raw[3:]
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}), bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
		out, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder().Bytes(raw)
		if err != nil {
			return "", failed("The UTF-16 text could not be decoded.")
		}
		return string(out), nil
	}
	if utf8.Valid(raw) {
		return string(raw), nil
	}
	if cut := clipText(string(raw), len(raw)-1); len(raw) >= e.MaxText*2 && utf8.ValidString(cut) {
		return cut, nil // a long UTF-8 file cut inside a character
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(raw)
	if err != nil {
		return "", failed("The text's character encoding could not be recognised.")
	}
	return string(out), nil
}
