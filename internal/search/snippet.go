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
	for _, suf := range []string{"ations", "ation", "ments", "ment", "ings", "ing", "ions", "ion", "ies", "ied", "edly", "ed", "es", "ly", "s"} {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			return w[:len(w)-len(suf)]
		}
	}
	return w
}

// matcher decides which words of a text match a query, to highlight them:
// words of single-word atoms (same folded form, same light stem, or the
// prefix), and whole phrases, word after word.
type matcher struct {
	words   []Atom        // single-word atoms
	phrases []Atom        // multi-word atoms
	first   map[rune]bool // folded first letters of all terms: a cheap first test
}

func newMatcher(p *Parsed) *matcher {
	m := &matcher{first: map[rune]bool{}}
	for _, a := range p.Terms() {
		if len(a.Words) == 1 {
			m.words = append(m.words, a)
		} else {
			m.phrases = append(m.phrases, a)
		}
		r, _ := utf8.DecodeRuneInString(a.Words[0])
		m.first[r] = true
	}
	return m
}

func wordMatch(w, term string, prefix bool) bool {
	if prefix {
		return strings.HasPrefix(w, term)
	}
	return w == term || stem(w) == stem(term)
}

// foldWord lower-cases an ASCII word cheaply and folds anything else.
func foldWord(w string) string {
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return Fold(w)
		}
	}
	return strings.ToLower(w)
}

// firstRune is the folded first letter of a word.
func firstRune(w string) rune {
	r, size := utf8.DecodeRuneInString(w)
	if r < utf8.RuneSelf {
		return unicode.ToLower(r)
	}
	f, _ := utf8.DecodeRuneInString(Fold(w[:size]))
	return f
}

// nextWord returns the next word of text at or after byte i.
func nextWord(text string, i int) (start, end int) {
	start = -1
	for j, r := range text[i:] {
		if isWordRune(r) || unicode.Is(unicode.Mn, r) {
			if start < 0 {
				start = i + j
			}
			continue
		}
		if start >= 0 {
			return start, i + j
		}
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
		if m.first[firstRune(text[s:e])] {
			w := foldWord(text[s:e])
			matched := false
			for _, a := range m.words {
				if wordMatch(w, a.Words[0], a.Prefix) {
					matched = true
					break
				}
			}
			if matched {
				hits = append(hits, hit{s, e, idx, ctx})
			} else {
				for _, a := range m.phrases {
					if !wordMatch(w, a.Words[0], false) {
						continue
					}
					spans := []hit{{s, e, idx, ctx}}
					pos := e
					for k := 1; k < len(a.Words); k++ {
						ns, ne := nextWord(text, pos)
						if ns < 0 || !wordMatch(foldWord(text[ns:ne]), a.Words[k], a.Prefix && k == len(a.Words)-1) {
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
