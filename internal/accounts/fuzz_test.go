package accounts

import (
	"strings"
	"testing"
)

// FuzzNormalizeEmail: accepted addresses are clean enough for a header.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"a@example.org", " A@Example.ORG ", "a@b", "\"x y\"@example.org", "a@example.org\r\nBcc: b@example.org",
		"<a@example.org>", "Name <a@example.org>", "a@@example.org", "\x00@x.org"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeEmail(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(got, "\r\n\x00<>, ") || got != strings.ToLower(got) || strings.Count(got, "@") != 1 {
			t.Fatalf("NormalizeEmail(%q) = %q", s, got)
		}
	})
}
