package library_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/library"
	"coalition/internal/places"
	"coalition/internal/search"
	"coalition/internal/testkit"
)

func newLib(t *testing.T, d *db.DB) (*library.Service, string) {
	t.Helper()
	ctx := context.Background()
	p, err := places.New(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Create(ctx, places.KindTheme, "Protection of civilians", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Create(ctx, places.KindCrisis, "Syria", ""); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l, err := library.New(d, p, search.New(d), dir, 2<<20, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return l, dir
}

func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// DOCX builds a minimal Word document holding paragraphs.
func DOCX(t testing.TB, paras ...string) []byte {
	var x strings.Builder
	x.WriteString(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	for _, p := range paras {
		x.WriteString(`<w:p><w:r><w:t>` + p + `</w:t></w:r></w:p>`)
	}
	x.WriteString(`</w:body></w:document>`)
	return zipOf(t, map[string]string{"[Content_Types].xml": `<Types/>`, "word/document.xml": x.String()})
}

// ODT builds a minimal OpenDocument text.
func ODT(t testing.TB, paras ...string) []byte {
	var x strings.Builder
	x.WriteString(`<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>`)
	for _, p := range paras {
		x.WriteString(`<text:p>` + p + `</text:p>`)
	}
	x.WriteString(`</office:text></office:body></office:document-content>`)
	return zipOf(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": x.String()})
}

func input(title string) library.Input {
	return library.Input{Title: title, Date: "2013-09-24", Type: "statement", Language: "en", Source: "Coalition", Countries: []string{"SYR"},
		Themes: []string{"protection-of-civilians"}, Crises: []string{"syria"}}
}

func extractAll(t *testing.T, l *library.Service) {
	t.Helper()
	for i := 0; i < 50; i++ {
		did, err := l.ExtractNext(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !did {
			return
		}
	}
	t.Fatal("extraction never ran out of work")
}

func TestFormatsAndExtraction(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l, _ := newLib(t, d)
		pdf, err := library.MakePDF("Statement on Syria", []string{"The coalition condemns the siege of Aleppo and calls for humanitarian access."}, "")
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{
			"statement.pdf": pdf,
			"report.docx":   DOCX(t, "Zebrafinch report on Rakhine", "Second paragraph"),
			"letter.odt":    ODT(t, "Quokka letter to the Council"),
			"speech.txt":    []byte("Speech about the Ocelot situation in Côte d’Ivoire\n"),
			"briefing.html": []byte(`<!doctype html><html><head><title>Narwhal brief</title><style>.x{}</style><script>var secretjs = 1;</script></head><body><p>Narwhal <b>brief</b> body</p></body></html>`),
			"latin1.txt":    []byte("Caf\xe9 pangolin\n"),
		}
		ids := map[string]int64{}
		for name, b := range files {
			doc, err := l.Create(ctx, input(""), &library.File{Name: name, Body: bytes.NewReader(b)}, 0)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if doc.ExtractState != library.StatePending || doc.Title == "" {
				t.Fatalf("%s: state %s title %q", name, doc.ExtractState, doc.Title)
			}
			ids[name] = doc.ID
		}
		extractAll(t, l)
		want := map[string]string{"statement.pdf": "siege of Aleppo", "report.docx": "Zebrafinch", "letter.odt": "Quokka", "speech.txt": "Ocelot",
			"briefing.html": "Narwhal brief body", "latin1.txt": "Café pangolin"}
		for name, w := range want {
			doc, err := l.Get(ctx, ids[name])
			if err != nil {
				t.Fatal(err)
			}
			text, _ := l.Text(ctx, doc.ID)
			if doc.ExtractState != library.StateDone || !strings.Contains(strings.Join(strings.Fields(text), " "), w) {
				t.Errorf("%s: state %s (%s), text %q", name, doc.ExtractState, doc.ExtractError, text)
			}
		}
		if text, _ := l.Text(ctx, ids["briefing.html"]); strings.Contains(text, "secretjs") {
			t.Errorf("script text extracted from HTML: %q", text)
		}
		for q, name := range map[string]string{"aleppo": "statement.pdf", "zebrafinch": "report.docx", "quokka": "letter.odt", "cote ocelot": "speech.txt"} {
			r, err := l.Index().Search(ctx, search.Query{Text: q})
			if err != nil || len(r.Hits) != 1 || r.Hits[0].ID != ids[name] {
				t.Errorf("search %q: %+v %v", q, r.Hits, err)
			}
		}
		doc, _ := l.Get(ctx, ids["statement.pdf"])
		if len(doc.Countries()) != 1 || doc.CountryCodes()[0] != "SYR" || len(doc.Themes()) != 1 || len(doc.Crises()) != 1 {
			t.Fatalf("tags: %+v", doc.Tags)
		}
	})
}

func TestBadFiles(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l, dir := newLib(t, d)
		l.Extractor().MaxUnpacked = 1 << 20
		refused := []struct {
			name string
			body []byte
			want string
		}{
			{"empty.pdf", nil, "is empty"},
			{"page.pdf", []byte("<!doctype html><html><body>not a pdf</body></html>"), "looks like an HTML page"},
			{"program.exe", []byte("MZ\x90\x00"), "only PDF"},
			{"noext", []byte("hello"), "only PDF"},
			{"fake.docx", []byte("just text pretending"), "not one"},
			{"zip.docx", zipOf(t, map[string]string{"readme.txt": "hi"}), "not one"},
			{"binary.txt", []byte("abc\x00\x01\x02def"), "not one"},
			{"huge.txt", bytes.Repeat([]byte("a"), 3<<20), "larger than the limit"},
			{"odt.odt", DOCX(t, "x"), "not one"},
		}
		for _, c := range refused {
			_, err := l.Create(ctx, input(""), &library.File{Name: c.name, Body: bytes.NewReader(c.body)}, 0)
			ie, ok := errs.AsInvalid(err)
			if !ok || !strings.Contains(ie.Msg, c.want) {
				t.Errorf("%s: want a refusal with %q, got %v", c.name, c.want, err)
			}
		}
		var n int
		if err := d.R.QueryRow("SELECT COUNT(*) FROM documents").Scan(&n); err != nil || n != 0 {
			t.Fatalf("refused files left %d rows (%v)", n, err)
		}

		encrypted, err := library.MakePDF("Secret", []string{"Hidden words"}, "hunter2")
		if err != nil {
			t.Fatal(err)
		}
		bomb := DOCX(t, strings.Repeat("boom ", 1<<20)) // 5 MB of XML, a few kB zipped
		failing := []struct {
			name string
			body []byte
			want string
		}{
			{"garbage.pdf", []byte("%PDF-1.4\n" + strings.Repeat("garbage ", 100)), "damaged"},
			{"encrypted.pdf", encrypted, "password"},
			{"bomb.docx", bomb, "expand"},
			{"broken.docx", append(DOCX(t, "x")[:40], bytes.Repeat([]byte{0}, 200)...), ""},
			{"blank.txt", []byte("   \n\n  "), ""},
		}
		ids := map[string]int64{}
		for _, c := range failing {
			doc, err := l.Create(ctx, input(""), &library.File{Name: c.name, Body: bytes.NewReader(c.body)}, 0)
			if err != nil {
				if c.name == "broken.docx" {
					continue // refused at upload as a damaged ZIP: also fine
				}
				t.Fatalf("%s: %v", c.name, err)
			}
			ids[c.name] = doc.ID
		}
		extractAll(t, l)
		for _, c := range failing {
			id, ok := ids[c.name]
			if !ok {
				continue
			}
			doc, _ := l.Get(ctx, id)
			switch c.name {
			case "blank.txt":
				if doc.ExtractState != library.StateEmpty {
					t.Errorf("%s: state %s", c.name, doc.ExtractState)
				}
			default:
				if doc.ExtractState != library.StateFailed || !strings.Contains(doc.ExtractError, c.want) {
					t.Errorf("%s: state %s reason %q, want failed with %q", c.name, doc.ExtractState, doc.ExtractError, c.want)
				}
			}
		}
		// Failed documents stay findable by their details.
		if r, err := l.Index().Search(ctx, search.Query{Text: "encrypted"}); err != nil || r.Total != 1 {
			t.Fatalf("failed document not searchable by title: %d %v", r.Total, err)
		}
		if ents, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(ents) != 0 {
			t.Fatalf("temporary files left behind: %d", len(ents))
		}

		// Deleting removes the file; a shared file stays until the last goes.
		a, err := l.Create(ctx, input("A"), &library.File{Name: "same.txt", Body: strings.NewReader("shared content")}, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := l.Create(ctx, input("B"), &library.File{Name: "same.txt", Body: strings.NewReader("shared content")}, 0)
		if err != nil {
			t.Fatal(err)
		}
		path := l.Files().Path(a.Checksum)
		if err := l.Delete(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("shared file removed with the first document: %v", err)
		}
		if err := l.Delete(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("file outlived its documents: %v", err)
		}
		if _, err := l.Get(ctx, a.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("deleted document: %v", err)
		}

		// Bad details are refused before anything is stored.
		bad := input("x")
		bad.Countries = []string{"EU"}
		if _, err := l.Create(ctx, bad, &library.File{Name: "x.txt", Body: strings.NewReader("x")}, 0); err == nil || !strings.Contains(err.Error(), "EU") {
			t.Fatalf("EU as a country: %v", err)
		}
		bad = input("x")
		bad.Date = "yesterday"
		if _, err := l.Create(ctx, bad, nil, 0); err == nil {
			t.Fatal("a bad date was accepted")
		}
		link := input("Linked report")
		link.LinkURL = "https://example.org/report.pdf"
		doc, err := l.Create(ctx, link, nil, 0)
		if err != nil || doc.ExtractState != library.StateNone || doc.FileURL() != "" {
			t.Fatalf("link document: %+v %v", doc, err)
		}
		link.LinkURL = "javascript:alert(1)"
		if _, err := l.Create(ctx, link, nil, 0); err == nil {
			t.Fatal("javascript: link accepted")
		}
	})
}

func TestImport(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l, _ := newLib(t, d)
		dir := t.TempDir()
		write := func(name string, b []byte) {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("2013/SYR.txt", []byte("Syria speech about the responsibility to protect"))
		write("2013/UKR.txt", []byte("Ukraine speech"))
		write("eu.txt", []byte("European Union speech"))
		write("bad.pdf", []byte("<html>not a pdf</html>"))
		write("cyber.txt", []byte("Cyber speech"))
		csv := "path,title,date,type,countries,themes,crises,language,source,summary,access\n" +
			"2013/SYR.txt,Syria at the General Debate,2013-09-24,speech,SYR,Protection of civilians,syria,en,Syria,A speech.,public\n" +
			"2013/UKR.txt,,2013,Speech,UKR;POL,,,en,Ukraine,,members\n" +
			"eu.txt,EU,2013,speech,EU,,,en,European Union,,\n" +
			"missing.txt,Missing,2013,speech,,,,,,,\n" +
			"bad.pdf,Bad,2013,speech,,,,,,,\n" +
			"2013/SYR.txt,Bad date,24/09/2013,speech,,,,,,,\n" +
			"cyber.txt,Unknown theme,2014,speech,,Cyber,,,,,\n" +
			"https://example.org/r.pdf,A linked report,2014-01-01,report,FRA,,,fr,,,\n" +
			"./2013/SYR.txt,Twice,2013,speech,,,,,,,\n"
		write("meta.csv", []byte(csv))
		var progress []int
		rep, err := l.Import(ctx, library.ImportOptions{CSV: filepath.Join(dir, "meta.csv"), Progress: func(done, total int) { progress = append(progress, done) }})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rows != 9 || rep.Added != 3 || len(rep.Failed) != 6 || len(progress) != 9 {
			t.Fatalf("first import: %+v (progress %v)", rep, progress)
		}
		reasons := map[int]string{}
		for _, f := range rep.Failed {
			reasons[f.Line] = f.Reason
		}
		for line, want := range map[int]string{4: "EU", 5: "not found", 6: "not one", 7: "line 2", 8: "unknown theme", 10: "line 2"} {
			if !strings.Contains(reasons[line], want) {
				t.Errorf("line %d: reason %q, want %q", line, reasons[line], want)
			}
		}
		rep, err = l.Import(ctx, library.ImportOptions{CSV: filepath.Join(dir, "meta.csv")})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Added != 0 || rep.Unchanged != 3 || len(rep.Failed) != 6 {
			t.Fatalf("second import duplicated: %+v", rep)
		}
		// A changed row updates; --create-tags creates the unknown theme.
		write("meta.csv", []byte(strings.Replace(csv, "Syria at the General Debate", "Syria at the 68th General Debate", 1)))
		rep, err = l.Import(ctx, library.ImportOptions{CSV: filepath.Join(dir, "meta.csv"), CreateTags: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Updated != 1 || rep.Added != 1 || len(rep.Created) != 1 || len(rep.Failed) != 5 {
			t.Fatalf("third import: %+v", rep)
		}
		var n int
		if err := d.R.QueryRow("SELECT COUNT(*) FROM documents").Scan(&n); err != nil || n != 4 {
			t.Fatalf("documents: %d %v", n, err)
		}
		r, err := l.Index().Search(ctx, search.Query{Text: `"responsibility to protect"`})
		if err != nil || len(r.Hits) != 1 || r.Hits[0].Title != "Syria at the 68th General Debate" {
			t.Fatalf("imported text not searchable: %+v %v", r.Hits, err)
		}
		if r, _ := l.Index().Search(ctx, search.Query{Text: "ukraine"}); r.Total != 0 {
			t.Fatal("members-only import visible to the public")
		}
		if _, err := l.Import(ctx, library.ImportOptions{CSV: filepath.Join(dir, "nope.csv")}); err == nil {
			t.Fatal("missing CSV accepted")
		}
		write("badhead.csv", []byte("file,name\nx,y\n"))
		if _, err := l.Import(ctx, library.ImportOptions{CSV: filepath.Join(dir, "badhead.csv")}); err == nil || !strings.Contains(err.Error(), "unknown column") {
			t.Fatalf("bad header: %v", err)
		}
	})
}

// TestExtractionLimitsAndRestart: a file that takes too long is stopped
// with a plain reason, and a claim left by a crashed worker is taken up
// again after the claim timeout.
func TestExtractionLimitsAndRestart(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l, _ := newLib(t, d)
		pdf, err := library.MakePDF("Slow", []string{"Some words."}, "")
		if err != nil {
			t.Fatal(err)
		}
		ex := l.Extractor()
		ex.Timeout = time.Nanosecond
		for name, body := range map[string][]byte{"slow.pdf": pdf, "slow.docx": DOCX(t, strings.Repeat("word ", 200000))} {
			doc, err := l.Create(ctx, input(""), &library.File{Name: name, Body: bytes.NewReader(body)}, 0)
			if err != nil {
				t.Fatal(err)
			}
			extractAll(t, l)
			got, _ := l.Get(ctx, doc.ID)
			if got.ExtractState != library.StateFailed || !strings.Contains(got.ExtractError, "longer than") && !strings.Contains(got.ExtractError, "too long") {
				t.Errorf("%s: state %s reason %q", name, got.ExtractState, got.ExtractError)
			}
		}
		ex.Timeout = time.Minute
		ex.MemoryMB = 3
		doc, err := l.Create(ctx, input("Hungry"), &library.File{Name: "hungry.pdf", Body: bytes.NewReader(pdf)}, 0)
		if err != nil {
			t.Fatal(err)
		}
		extractAll(t, l)
		if got, _ := l.Get(ctx, doc.ID); got.ExtractState != library.StateFailed || !strings.Contains(got.ExtractError, "memory") {
			t.Fatalf("memory limit: %s %q", got.ExtractState, got.ExtractError)
		}
		ex.MemoryMB = 1024
		ex.PDFToText = ""
		doc, err = l.Create(ctx, input("No poppler"), &library.File{Name: "np.pdf", Body: bytes.NewReader(pdf)}, 0)
		if err != nil {
			t.Fatal(err)
		}
		extractAll(t, l)
		if got, _ := l.Get(ctx, doc.ID); got.ExtractState != library.StateFailed || !strings.Contains(got.ExtractError, "pdftotext is not installed") {
			t.Fatalf("missing pdftotext: %s %q", got.ExtractState, got.ExtractError)
		}

		// A worker died mid-extraction an hour ago: the claim is stale.
		doc, err = l.Create(ctx, input("Crashed"), &library.File{Name: "crash.txt", Body: strings.NewReader("recovered words")}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.W.Exec("UPDATE documents SET extract_state = 'running', extract_attempts = 1, extract_claimed_at = $1 WHERE id = $2",
			time.Now().UTC().Add(-time.Hour), doc.ID); err != nil {
			t.Fatal(err)
		}
		extractAll(t, l)
		if got, _ := l.Get(ctx, doc.ID); got.ExtractState != library.StateDone {
			t.Fatalf("stale claim not retried: %s", got.ExtractState)
		}
		// A fresh claim belongs to a live worker and is left alone.
		if _, err := d.W.Exec("UPDATE documents SET extract_state = 'running', extract_claimed_at = $1 WHERE id = $2", time.Now().UTC(), doc.ID); err != nil {
			t.Fatal(err)
		}
		if did, err := l.ExtractNext(ctx); err != nil || did {
			t.Fatalf("a live claim was taken: %v %v", did, err)
		}
		// Retry queues it again.
		if err := l.Retry(ctx, doc.ID); err != nil {
			t.Fatal(err)
		}
		extractAll(t, l)
		if got, _ := l.Get(ctx, doc.ID); got.ExtractState != library.StateDone {
			t.Fatalf("after retry: %s", got.ExtractState)
		}
	})
}
