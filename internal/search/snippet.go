package search

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Caps on indexed text.
const (
	maxTitle   = 1000
	maxSummary = 20000
	maxBody    = 4 << 20
)

// prepare cleans and caps an item's text and fills defaults.
func prepare(it Item) Item {
	it.Title = clip(Clean(it.Title), maxTitle)
	it.Summary = clip(Clean(it.Summary), maxSummary)
	it.Body = clip(Clean(it.Body), maxBody)
	if it.Access != AccessMembers {
		it.Access = AccessPublic
	}
	if it.Date.IsZero() {
		it.Date = time.Unix(0, 0)
	}
	it.Date = it.Date.UTC()
	return it
}

// clip cuts s to at most n bytes at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// stem is a light English suffix stripper used only to decide which words
// of a snippet to highlight (the index itself stems with the backend's
// stemmer).
func stem(w string) string {
	if len(w) < 4 {
		return w
	}
	switch w[len(w)-1] { // every suffix below ends in one of these
	case 's', 'n', 't', 'g', 'd', 'y':
	default:
		return w
	}
	for _, suf := range stemSuffixes {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			return w[:len(w)-len(suf)]
		}
	}
	return w
}

var stemSuffixes = []string{"ations", "ation", "ments", "ment", "ings", "ing", "ions", "ion", "ies", "ied", "edly", "ed", "es", "ly", "s"}

// matcher decides which words of a text match a query, to highlight them:
// words of single-word atoms (same folded form, same light stem, or the
// prefix), and whole phrases, word after word.
type matcher struct {
	words   []term   // single-word atoms
	phrases [][]term // multi-word atoms, word by word
	// The folded first letters of all terms, a cheap first test: ASCII in
	// a table, others in a map.
	firstASCII [utf8.RuneSelf]bool
	first      map[rune]bool
}

// mayMatch reports whether a word starting with the folded letter r can match.
func (m *matcher) mayMatch(r rune) bool {
	if r < utf8.RuneSelf {
		return m.firstASCII[r]
	}
	return m.first[r]
}

// term is one word of a query, with its light stem worked out once.
type term struct {
	word, stem string
	prefix     bool
}

func newTerm(w string, prefix bool) term { return term{word: w, stem: stem(w), prefix: prefix} }

// matches reports whether the folded word w (whose stem is ws) is t.
func (t term) matches(w, ws string) bool {
	if t.prefix {
		return strings.HasPrefix(w, t.word)
	}
	return w == t.word || ws == t.stem
}

func newMatcher(p *Parsed) *matcher {
	m := &matcher{first: map[rune]bool{}}
	for _, a := range p.Terms() {
		if len(a.Words) == 1 {
			m.words = append(m.words, newTerm(a.Words[0], a.Prefix))
		} else {
			ph := make([]term, len(a.Words))
			for k, w := range a.Words {
				ph[k] = newTerm(w, a.Prefix && k == len(a.Words)-1)
			}
			m.phrases = append(m.phrases, ph)
		}
		if r, _ := utf8.DecodeRuneInString(a.Words[0]); r < utf8.RuneSelf {
			m.firstASCII[r] = true
		} else {
			m.first[r] = true
		}
	}
	return m
}

// foldWord lower-cases an ASCII word cheaply and folds anything else.
func foldWord(w string) string {
	upper := false
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return Fold(w)
		}
		upper = upper || 'A' <= w[i] && w[i] <= 'Z'
	}
	if upper {
		return strings.ToLower(w)
	}
	return w
}

// firstRune is the folded first letter of a word.
func firstRune(w string) rune {
	r, size := utf8.DecodeRuneInString(w)
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	f, _ := utf8.DecodeRuneInString(Fold(w[:size]))
	return f
}

// asciiWord marks the ASCII letters and digits.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := 0; c < utf8.RuneSelf; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	return t
}()

// nextWord returns the next word of text at or after byte i.
func nextWord(text string, i int) (start, end int) {
	start = -1
	for j := i; j < len(text); {
		c := text[j]
		in, size := false, 1
		if c < utf8.RuneSelf {
			in = asciiWord[c]
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(text[j:])
			in = isWordRune(r) || unicode.Is(unicode.Mn, r)
		}
		if in {
			if start < 0 {
				start = j
			}
		} else if start >= 0 {
			return start, j
		}
		j += size
	}
	if start < 0 {
		return -1, -1
	}
	return start, len(text)
}

type hit struct {
	start, end int
	idx        int // word number
	ctx        int // byte offset where a snippet around it starts
}

// makeSnippet cuts a window of about n words from text around the densest
// cluster of matches, with matches between the markers.
func makeSnippet(text string, m *matcher, n int) string {
	if text == "" {
		return ""
	}
	if len(text) > 200000 {
		text = clip(text, 200000)
	}
	const lead = 4
	var hits []hit
	var recent [lead + 1]int // starts of the last words, for the lead-in
	idx := 0
	for i := 0; i < len(text); {
		s, e := nextWord(text, i)
		if s < 0 {
			break
		}
		recent[idx%(lead+1)] = s
		ctx := 0
		if idx >= lead {
			ctx = recent[(idx-lead)%(lead+1)]
		}
		if m.mayMatch(firstRune(text[s:e])) {
			w := foldWord(text[s:e])
			ws := stem(w)
			matched := false
			for _, t := range m.words {
				if t.matches(w, ws) {
					matched = true
					break
				}
			}
			if matched {
				hits = append(hits, hit{s, e, idx, ctx})
			} else {
				for _, ph := range m.phrases {
					if !ph[0].matches(w, ws) {
						continue
					}
					spans := []hit{{s, e, idx, ctx}}
					pos := e
					for k := 1; k < len(ph); k++ {
						ns, ne := nextWord(text, pos)
						if ns < 0 {
							spans = nil
							break
						}
						nw := foldWord(text[ns:ne])
						if !ph[k].matches(nw, stem(nw)) {
							spans = nil
							break
						}
						spans = append(spans, hit{ns, ne, idx + k, ctx})
						pos = ne
					}
					if spans != nil {
						hits = append(hits, spans...)
						break
					}
				}
			}
		}
		idx++
		i = e
	}
	start := 0
	if len(hits) > 0 {
		best, bestN := 0, 0
		for i, h := range hits {
			c := 0
			for _, h2 := range hits[i:] {
				if h2.idx >= h.idx+n-lead {
					break
				}
				c++
			}
			if c > bestN {
				best, bestN = i, c
			}
		}
		start = hits[best].ctx
	}
	marked := map[int]int{}
	for _, h := range hits {
		marked[h.start] = h.end
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	pos := start
	words := 0
	for words < n {
		s, e := nextWord(text, pos)
		if s < 0 {
			pos = len(text)
			break
		}
		if words == 0 {
			pos = s
		}
		b.WriteString(text[pos:s])
		if end, ok := marked[s]; ok {
			b.WriteString(markOpen + text[s:end] + markClose)
		} else {
			b.WriteString(text[s:e])
		}
		pos = e
		words++
	}
	if _, e := nextWord(text, pos); e > 0 {
		b.WriteString("…")
	}
	return b.String()
}
