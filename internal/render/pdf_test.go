package render

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pdfToText runs poppler's pdftotext on a PDF.
func pdfToText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("COALITION_REQUIRE_ALL") == "1" {
			t.Fatal("pdftotext is required (poppler-utils)")
		}
		t.Skip("SKIPPED: pdftotext (poppler-utils) is not installed")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "a.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "pdftotext", "-enc", "UTF-8", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return string(out)
}

func norm(s string) string { return strings.Join(strings.Fields(s), " ") }

func testJPEG(t *testing.T, w, h int) string {
	t.Helper()
	im := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			im.Set(x, y, color.RGBA{uint8(40 + x%150), 90, uint8(120 + y%100), 255})
		}
	}
	p := filepath.Join(t.TempDir(), "img.jpg")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := jpeg.Encode(f, im, nil); err != nil {
		t.Fatal(err)
	}
	return p
}

const roundTripBody = `Civilians in Côte d'Ivoire, São Tomé and Україна deserve the same protection.

## What we ask

1. Open the crossings for aid convoys.
2. Protect hospitals and schools.

- Independent monitoring
- Access for journalists

> Protection is not charity; it is an obligation under international law.

Read the [full statement](/articles/full-statement) or the [UN charter](https://www.un.org/en/about-us/un-charter).

![A map](/media/1/960.jpg)

Кожна людина має право на життя, свободу та особисту недоторканність.`

func TestPDFRoundTrip(t *testing.T) {
	img := testJPEG(t, 960, 400)
	doc, err := Markdown(roundTripBody, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	in := PDFArticle{
		Title: "Statement on Côte d'Ivoire, São Tomé and Україна", Summary: "Three places, one obligation.",
		Author: "Amara Diallo", Date: "29 November 2026", Category: "Statements", ReadingTime: "1 min read",
		URL: "https://gccp.example.org/articles/statement", BaseURL: "https://gccp.example.org",
		CoverPath: img, CoverAlt: "Cover", BodyHTML: doc.Clean,
		ImageFile: func(src string) (string, bool) { return img, src == "/media/1/960.jpg" },
		OrgName:   "Global Coalition for Civilian Protection", OrgAddress: []string{"14 Quai des Bergues", "1201 Geneva"},
		Lang: "en", Created: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC),
	}
	if err := WritePDF(&buf, in); err != nil {
		t.Fatal(err)
	}
	pdf := buf.Bytes()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:20])
	}
	if !bytes.Contains(pdf, []byte("/FontFile2")) {
		t.Error("fonts are not embedded")
	}
	if !bytes.Contains(pdf, []byte("/MediaBox [0 0 595.28 841.89]")) {
		t.Error("default paper is not A4")
	}
	text := norm(pdfToText(t, pdf))
	for _, want := range []string{
		"Statement on Côte d'Ivoire, São Tomé and Україна",
		"Civilians in Côte d'Ivoire, São Tomé and Україна deserve the same protection.",
		"What we ask",
		"1. Open the crossings for aid convoys.",
		"• Independent monitoring",
		"Protection is not charity; it is an obligation under international law.",
		"Read the full statement or the UN charter.",
		"Кожна людина має право на життя, свободу та особисту недоторканність.",
		"Amara Diallo · 29 November 2026 · 1 min read",
		"Global Coalition for Civilian Protection · 14 Quai des Bergues, 1201 Geneva",
		"https://gccp.example.org/articles/statement",
		"Page 1 of 2",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext lacks %q\nin: %s", want, text)
		}
	}
	// Every paragraph of the body comes back as it went in.
	for _, line := range strings.Split(doc.Text, "\n") {
		if line = norm(line); line != "" && line != "A map" && !strings.Contains(text, line) {
			t.Errorf("body line %q not extracted", line)
		}
	}
	// Links stay links, made absolute.
	for _, link := range []string{"https://gccp.example.org/articles/full-statement", "https://www.un.org/en/about-us/un-charter"} {
		if !bytes.Contains(pdf, []byte(link)) {
			t.Errorf("link %s missing", link)
		}
	}
	// Same input, same bytes: the cache can rely on it.
	var again bytes.Buffer
	if err := WritePDF(&again, in); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), pdf) {
		t.Error("PDF output is not deterministic")
	}
	in.Paper = "letter"
	var letter bytes.Buffer
	if err := WritePDF(&letter, in); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(letter.Bytes(), []byte("/MediaBox [0 0 612.00 792.00]")) {
		t.Error("letter paper not applied")
	}
}

func TestPDFLongArticleAndOddInput(t *testing.T) {
	var b strings.Builder
	for i := range 60 {
		b.WriteString("## Section ")
		b.WriteString(strings.Repeat("I", i%5+1))
		b.WriteString("\n\nA paragraph of ordinary words about civilian protection, long enough to wrap across the line and test the flow of text on the page.\n\n")
		if i%7 == 0 {
			b.WriteString("| Country | Status |\n|---|---|\n| Sudan | Crisis |\n| Україна | Conflict |\n\n```\ncode block line\n```\n\n")
		}
	}
	b.WriteString("Footnote here[^1].\n\n[^1]: The note.\n\n<div><p>Pasted <b>HTML</b> with emoji 🙂 and 中文.</p></div>")
	doc, err := Markdown(b.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WritePDF(&buf, PDFArticle{Title: "Long", BodyHTML: doc.Clean, OrgName: "Org", URL: "https://x.example/a"}); err != nil {
		t.Fatal(err)
	}
	text := pdfToText(t, buf.Bytes())
	if !strings.Contains(text, "Page 1 of") || strings.Count(text, "A paragraph of ordinary words") != 60 {
		t.Errorf("long article: %d paragraphs extracted", strings.Count(text, "A paragraph of ordinary words"))
	}
	if !strings.Contains(text, "Україна") || !strings.Contains(text, "The note.") {
		t.Error("table or footnote text missing")
	}
}
