package library

import (
	"bytes"
	"fmt"

	"codeberg.org/go-pdf/fpdf"
)

// MakePDF renders a simple text PDF (a title and paragraphs, Latin-1
// characters) — the demo content and the tests use it to have real PDFs
// without shipping binary files. A non-empty password encrypts it.
func MakePDF(title string, paragraphs []string, password string) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle(title, true)
	pdf.SetCreator("Coalition", true)
	if password != "" {
		pdf.SetProtection(fpdf.CnProtectPrint, password, password+"-owner")
	}
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 16)
	pdf.MultiCell(0, 8, tr(title), "", "L", false)
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "", 11)
	for _, p := range paragraphs {
		pdf.MultiCell(0, 5.5, tr(p), "", "L", false)
		pdf.Ln(3)
	}
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("make PDF: %w", err)
	}
	return b.Bytes(), nil
}
