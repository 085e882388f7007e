package search

import (
	"database/sql"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	_ "modernc.org/sqlite" // FTS5 for checking compiled queries
)

func TestParse(t *testing.T) {
	cases := []struct{ in, want string }{
		{`syria`, `syria`},
		{`Côte d’Ivoire`, `cote "d ivoire"`},
		{`"Côte d'Ivoire"`, `"cote d ivoire"`},
		{`"responsibility to protect"`, `"responsibility to protect"`},
		{`syria OR ukraine civilians`, `syria OR ukraine civilians`},
		{`civilians -syria`, `civilians -syria`},
		{`civilians NOT syria`, `civilians -syria`},
		{`prot*`, `prot*`},
		{`a*`, `a`},
		{`"unbalanced quote`, `"unbalanced quote"`},
		{`OR`, ``},
		{`OR syria OR`, `syria`},
		{`a OR OR b`, `a OR b`},
		{`NEAR(syria ukraine, 3)`, `near syria ukraine 3`},
		{`title:syria`, `"title syria"`},
		{`'; DROP TABLE search_items; --`, `drop table "search items"`},
		{"\x00syria\xff", `syria`},
		{`-syria`, `-syria`},
		{`"" * - " "`, ``},
		{`syria AND ukraine`, `syria ukraine`},
		{`«Côte»`, `cote`},
	}
	for _, c := range cases {
		if got := Parse(c.in).String(); got != c.want {
			t.Errorf("Parse(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if p := Parse(`-syria`); !p.Empty() || len(p.Notes) == 0 {
		t.Errorf("only exclusions: want a note, got %+v", p)
	}
	long := Parse(strings.Repeat("junk ", 2000))
	if len(long.Notes) == 0 || len(long.Must) > MaxAtoms {
		t.Errorf("10 kB of junk: %d clauses, notes %v", len(long.Must), long.Notes)
	}
}

func TestCompileFTS5(t *testing.T) {
	got := compileFTS5(Parse(`"human rights" OR law prot* -war`))
	want := `(("human rights" OR "law") AND ("prot"*)) NOT "war"`
	if got != want {
		t.Fatalf("compileFTS5 = %s, want %s", got, want)
	}
}

// checkParsed verifies the parser's promises: only folded letters and
// digits in words, bounded size.
func checkParsed(t *testing.T, in string, p *Parsed) {
	atoms := len(p.Not)
	for _, c := range p.Must {
		if len(c) == 0 {
			t.Fatalf("%q: empty clause", in)
		}
		atoms += len(c)
	}
	if atoms > MaxAtoms {
		t.Fatalf("%q: %d atoms", in, atoms)
	}
	each := func(a Atom) {
		if len(a.Words) == 0 || len(a.Words) > MaxPhraseWords {
			t.Fatalf("%q: atom with %d words", in, len(a.Words))
		}
		for _, w := range a.Words {
			if w == "" || !utf8.ValidString(w) {
				t.Fatalf("%q: bad word %q", in, w)
			}
			for _, r := range w {
				if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					t.Fatalf("%q: word %q has %q", in, w, r)
				}
			}
		}
	}
	for _, c := range p.Must {
		for _, a := range c {
			each(a)
		}
	}
	for _, a := range p.Not {
		each(a)
	}
}

// FuzzParse feeds anything to the parser and runs what it compiles to
// against a real FTS5 table: the backend must accept every query.
//
//	go test -run XXX -fuzz FuzzParse -fuzztime 2m -fuzzminimizetime 2s ./internal/search
//
// (the default minimisation time, a minute per new input, looks like a stall).
func FuzzParse(f *testing.F) {
	for _, s := range []string{`syria`, `"responsibility to protect"`, `a OR b -c d*`, `"unbalanced`, `NEAR(a b)`, `title:x`,
		`'; DROP TABLE x; --`, "\x00\xff\xfe", `-`, `*`, `OR`, `NOT`, `((("`, `Côte d’Ivoire`, strings.Repeat("ab ", 500),
		`"a" "b"* -"c d"`, `^a`, `a:b:c`, `"" OR ""`, `-"x"*`, `١٢٣ 中文 العربية`} {
		f.Add(s)
	}
	d, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	defer d.Close()
	d.SetMaxOpenConns(1)
	if _, err := d.Exec(`CREATE VIRTUAL TABLE t USING fts5(title, summary, body, tokenize = 'porter unicode61 remove_diacritics 2');
		INSERT INTO t VALUES ('Côte d’Ivoire', 'protection of civilians', 'a b c d 123 中文');`); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p := Parse(in)
		checkParsed(t, in, p)
		if p.Empty() {
			return
		}
		q := compileFTS5(p)
		rows, err := d.Query("SELECT rowid FROM t WHERE t MATCH $1", q)
		if err != nil {
			t.Fatalf("%q compiled to %q: %v", in, q, err)
		}
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close() // before any Fatal: the single connection must go back to the pool
		if err != nil {
			t.Fatalf("%q compiled to %q: %v", in, q, err)
		}
		pg, args := compilePG(p, 1)
		if strings.Count(pg, "$") != len(args) {
			t.Fatalf("%q: placeholders and arguments differ: %s %v", in, pg, args)
		}
		_ = makeSnippet("Côte d’Ivoire protection of civilians "+in, newMatcher(p), 10)
	})
}

func TestSnippet(t *testing.T) {
	p := Parse(`protect cote`)
	s := makeSnippet("Long ago. The protection of civilians in Côte d’Ivoire <b>matters</b>.", newMatcher(p), 32)
	if !strings.Contains(s, markOpen+"protection"+markClose) || !strings.Contains(s, markOpen+"Côte"+markClose) {
		t.Fatalf("snippet %q", s)
	}
	ph := makeSnippet("We went to town. The responsibility to protect, and the Responsibility  to   Protect again.", newMatcher(Parse(`"responsibility to protect" migra*`)), 32)
	if strings.Count(ph, markOpen) != 6 || strings.Contains(ph, markOpen+"to"+markClose+" town") {
		t.Fatalf("phrase highlight %q", ph)
	}
	if pre := makeSnippet("Migrants and migration.", newMatcher(Parse(`migra*`)), 32); strings.Count(pre, markOpen) != 2 {
		t.Fatalf("prefix highlight %q", pre)
	}
	h := string(highlight(s))
	if !strings.Contains(h, "&lt;b&gt;") || !strings.Contains(h, "<mark>Côte</mark>") {
		t.Fatalf("highlight %q", h)
	}
}
