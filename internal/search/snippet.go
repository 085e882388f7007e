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

type span struct{ start, end int }

// makeSnippet cuts a window of about n words from text around the densest
// cluster of query words, with matches between the markers. Used where the
// backend has no highlighter that agrees with our accent folding.
func makeSnippet(text string, p *Parsed, n int) string {
	if text == "" {
		return ""
	}
	if len(text) > 200000 {
		text = clip(text, 200000)
	}
	exact := map[string]bool{}
	stems := map[string]bool{}
	var prefixes []string
	for _, a := range p.Terms() {
		for i, w := range a.Words {
			if a.Prefix && i == len(a.Words)-1 {
				prefixes = append(prefixes, w)
				continue
			}
			exact[w] = true
			stems[stem(w)] = true
		}
	}
	var words []span
	var hits []int
	start := -1
	inWord := func(r rune) bool { return isWordRune(r) || unicode.Is(unicode.Mn, r) }
	check := func(sp span) {
		f := Fold(text[sp.start:sp.end])
		ok := exact[f] || stems[stem(f)]
		for _, pre := range prefixes {
			ok = ok || strings.HasPrefix(f, pre)
		}
		if ok {
			hits = append(hits, len(words))
		}
		words = append(words, sp)
	}
	for i, r := range text {
		if inWord(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			check(span{start, i})
			start = -1
		}
	}
	if start >= 0 {
		check(span{start, len(text)})
	}
	if len(words) == 0 {
		return ""
	}
	first := 0
	if len(hits) > 0 {
		best, bestN := hits[0], 0
		for i, h := range hits {
			c := 0
			for _, h2 := range hits[i:] {
				if h2 >= h+n-4 {
					break
				}
				c++
			}
			if c > bestN {
				best, bestN = h, c
			}
		}
		first = max(0, best-4)
	}
	last := min(len(words), first+n)
	isHit := map[int]bool{}
	for _, h := range hits {
		isHit[h] = true
	}
	var b strings.Builder
	if first > 0 {
		b.WriteString("…")
	}
	pos := words[first].start
	for i := first; i < last; i++ {
		b.WriteString(text[pos:words[i].start])
		if isHit[i] {
			b.WriteString(markOpen + text[words[i].start:words[i].end] + markClose)
		} else {
			b.WriteString(text[words[i].start:words[i].end])
		}
		pos = words[i].end
	}
	if last < len(words) {
		b.WriteString("…")
	}
	return b.String()
}
