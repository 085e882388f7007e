package web

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzSafeNext: whatever ?next= holds, sign-in only ever redirects to a path
// on this site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/admin?x=1", "//evil.example", "/\\evil", "https://evil.example", "javascript:alert(1)",
		"/%2F%2Fevil", "/\r\nLocation: x", "/a/../../b", "\x00", "/ok#frag"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") || strings.ContainsAny(got, "\r\n") {
			t.Fatalf("safeNext(%q) = %q", next, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
	})
}
