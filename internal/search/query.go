package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits on what the parser keeps of a query. Anything beyond them is
// dropped with a note, never an error.
const (
	MaxQueryBytes  = 1000 // longer input is cut (at a character boundary)
	MaxAtoms       = 24   // words and phrases kept, positive and negative together
	MaxPhraseWords = 16   // words kept in one phrase
	minPrefixRunes = 2    // "a*" would match half the index: shorter prefixes become plain words
)

// Atom is one word or "exact phrase" of a query, as folded words (lower
// case, accents removed, letters and digits only). Prefix marks the last
// word as a prefix (word*).
type Atom struct {
	Words  []string
	Prefix bool
}

// String renders the atom back in query syntax.
func (a Atom) String() string {
	s := strings.Join(a.Words, " ")
	if len(a.Words) > 1 {
		s = `"` + s + `"`
	}
	if a.Prefix {
		s += "*"
	}
	return s
}

// Clause is a set of alternatives: at least one must match (a OR b).
type Clause []Atom

// Parsed is the safe form of a user's query: every clause must match and no
// excluded atom may. It holds only folded words, so compiling it for a
// backend cannot produce syntax the backend rejects.
type Parsed struct {
	Must  []Clause
	Not   []Atom
	Notes []string // friendly remarks about what was ignored
}

// Empty reports whether nothing positive is left to search for.
func (p *Parsed) Empty() bool { return len(p.Must) == 0 }

// String renders the parsed query back in query syntax (for tests and the
// "searched for" line).
func (p *Parsed) String() string {
	var parts []string
	for _, c := range p.Must {
		alts := make([]string, len(c))
		for i, a := range c {
			alts[i] = a.String()
		}
		parts = append(parts, strings.Join(alts, " OR "))
	}
	for _, a := range p.Not {
		parts = append(parts, "-"+a.String())
	}
	return strings.Join(parts, " ")
}

// Terms returns every positive word (for highlighting).
func (p *Parsed) Terms() []Atom {
	var out []Atom
	for _, c := range p.Must {
		out = append(out, c...)
	}
	return out
}

// Fold lower-cases s and removes accents (canonical decomposition, combining
// marks dropped): "Côte" → "cote". It is what both backends' tokenisers do to
// indexed text, so query words folded here meet indexed words.
func Fold(s string) string {
	s = norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// isWordRune reports whether r belongs to a word (letters and digits; every
// other character separates words, as in both backends' tokenisers).
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// Words splits text into folded words.
func Words(s string) []string {
	return strings.FieldsFunc(Fold(s), func(r rune) bool { return !isWordRune(r) })
}

// token is one lexical unit of the raw query.
type token struct {
	text    string // the raw characters (for words and phrases)
	phrase  bool   // came from "…"
	neg     bool   // preceded by - (or NOT)
	prefix  bool   // followed by *
	or      bool   // the OR operator
	notWord bool   // the NOT operator
}

// Parse turns any input into a safe query. It never fails: unbalanced
// quotes close at the end, lone operators are ignored, FTS syntax and SQL
// are just words, invalid UTF-8 and control characters are separators.
func Parse(raw string) *Parsed {
	p := &Parsed{}
	if !utf8.ValidString(raw) {
		raw = strings.ToValidUTF8(raw, " ")
	}
	if len(raw) > MaxQueryBytes {
		cut := MaxQueryBytes
		for cut > 0 && !utf8.RuneStart(raw[cut]) {
			cut--
		}
		raw = raw[:cut]
		p.Notes = append(p.Notes, "Your search was very long: only its beginning was used.")
	}
	toks := lex(raw)
	atoms := 0
	var cur Clause
	pendingOr := false
	pendingNot := false
	flush := func() {
		if len(cur) > 0 {
			p.Must = append(p.Must, cur)
			cur = nil
		}
	}
	for _, t := range toks {
		if t.or {
			if len(cur) > 0 {
				pendingOr = true
			}
			continue
		}
		if t.notWord {
			pendingNot = true
			continue
		}
		words := Words(t.text)
		if len(words) == 0 {
			pendingNot = false
			continue
		}
		if atoms >= MaxAtoms {
			if len(p.Notes) == 0 || p.Notes[len(p.Notes)-1] != tooMany {
				p.Notes = append(p.Notes, tooMany)
			}
			break
		}
		if len(words) > MaxPhraseWords {
			words = words[:MaxPhraseWords]
			t.prefix = false
		}
		a := Atom{Words: words, Prefix: t.prefix}
		if a.Prefix && utf8.RuneCountInString(words[len(words)-1]) < minPrefixRunes {
			a.Prefix = false
		}
		atoms++
		if t.neg || pendingNot {
			pendingNot = false
			pendingOr = false
			flush()
			p.Not = append(p.Not, a)
			continue
		}
		if pendingOr && len(cur) > 0 {
			cur = append(cur, a)
			pendingOr = false
			continue
		}
		flush()
		cur = Clause{a}
	}
	flush()
	if len(p.Must) == 0 && len(p.Not) > 0 {
		p.Notes = append(p.Notes, "A search needs at least one word to look for, not only words to leave out (-word).")
	}
	return p
}

const tooMany = "Your search had many words: only the first ones were used."

// lex splits the raw query into words, phrases and operators.
func lex(s string) []token {
	var out []token
	rs := []rune(s)
	i := 0
	space := func(r rune) bool { return unicode.IsSpace(r) || r == 0 || unicode.IsControl(r) || r == '(' || r == ')' }
	for i < len(rs) {
		r := rs[i]
		if space(r) {
			i++
			continue
		}
		neg := false
		if (r == '-' || r == '!') && i+1 < len(rs) && !space(rs[i+1]) {
			neg = true
			i++
			r = rs[i]
		}
		if r == '"' || r == '“' || r == '”' || r == '„' || r == '«' || r == '»' {
			j := i + 1
			for j < len(rs) && !isQuote(rs[j]) {
				j++
			}
			t := token{text: string(rs[i+1 : min(j, len(rs))]), phrase: true, neg: neg}
			j++ // past the closing quote (or the end)
			if j < len(rs) && rs[j] == '*' {
				t.prefix = true
				j++
			}
			out = append(out, t)
			i = j
			continue
		}
		j := i
		for j < len(rs) && !space(rs[j]) && !isQuote(rs[j]) {
			j++
		}
		word := string(rs[i:j])
		i = j
		switch {
		case word == "OR" || word == "|" || word == "||":
			if !neg {
				out = append(out, token{or: true})
				continue
			}
		case word == "NOT" && !neg:
			out = append(out, token{notWord: true})
			continue
		case word == "AND" || word == "&&" || word == "&":
			continue
		}
		t := token{text: word, neg: neg}
		trimmed := strings.TrimRightFunc(word, func(r rune) bool { return !isWordRune(r) && r != '*' })
		if strings.HasSuffix(trimmed, "*") {
			t.prefix = true
			t.text = strings.TrimRight(trimmed, "*")
		}
		out = append(out, t)
	}
	return out
}

func isQuote(r rune) bool {
	return r == '"' || r == '“' || r == '”' || r == '„' || r == '«' || r == '»'
}
