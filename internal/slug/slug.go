// Package slug makes readable URL segments from titles and names.
package slug

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Make returns a lower-case, ASCII, hyphen-separated slug of s ("Côte
// d'Ivoire: 2026 update" → "cote-d-ivoire-2026-update"), at most max bytes
// (cut at a hyphen when possible). Letters without an ASCII form (Cyrillic,
// Arabic, Chinese) are kept as they are, so such titles still get a slug.
func Make(s string, max int) string {
	var b strings.Builder
	dash, lastASCII := false, false
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			if !lastASCII {
				b.WriteRune(r) // keep "ї" whole; only Latin letters lose accents
			}
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
			dash, lastASCII = false, true
		case r >= 128 && unicode.IsLetter(r):
			b.WriteRune(unicode.ToLower(r))
			dash, lastASCII = false, false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
			lastASCII = false
		}
	}
	out := strings.Trim(norm.NFC.String(b.String()), "-")
	if max <= 0 || max > maxLen {
		max = maxLen // a longer slug would not be Valid
	}
	if len(out) > max {
		cut := out[:max]
		for !utf8Valid(cut) {
			cut = cut[:len(cut)-1]
		}
		if i := strings.LastIndexByte(cut, '-'); i > max/2 {
			cut = cut[:i]
		}
		out = strings.Trim(cut, "-")
	}
	return out
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// maxLen is the longest valid slug, in bytes.
const maxLen = 120

// Valid reports whether s is an acceptable slug typed by an editor: 1–120
// bytes of lower-case letters, digits and single hyphens.
func Valid(s string) bool {
	if s == "" || len(s) > maxLen || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for _, r := range s {
		if !(r == '-' || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.IsLetter(r) && !unicode.IsUpper(r)) {
			return false
		}
	}
	return true
}
