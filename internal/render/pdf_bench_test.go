package render

import (
	"bytes"
	"strings"
	"testing"
)

// BenchmarkWritePDF times a long article with an image (go test -bench).
func BenchmarkWritePDF(b *testing.B) {
	img := testJPEG(&testing.T{}, 960, 540)
	var src strings.Builder
	for i := range 40 {
		src.WriteString("## Section\n\nCivilians in Côte d'Ivoire, São Tomé and Україна deserve the same protection under the law, and the coalition says so plainly.\n\n- one point\n- another point\n\n")
		if i%10 == 0 {
			src.WriteString("![x](/media/1/960.jpg)\n\n")
		}
	}
	doc, err := Markdown(src.String(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	in := PDFArticle{Title: "Bench", BodyHTML: doc.Clean, CoverPath: img, OrgName: "Org", URL: "https://x/a",
		ImageFile: func(string) (string, bool) { return img, true }}
	b.ResetTimer()
	for b.Loop() {
		var buf bytes.Buffer
		if err := WritePDF(&buf, in); err != nil {
			b.Fatal(err)
		}
	}
}
