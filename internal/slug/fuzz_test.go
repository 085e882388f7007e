package slug

import (
	"strings"
	"testing"
)

// FuzzMake: any title gives an empty slug or a valid one within the limit.
func FuzzMake(f *testing.F) {
	for _, s := range []string{"Côte d'Ivoire", "Україна", "--", "a\x00b", "\xff\xfe", "日本語のタイトル"} {
		f.Add(s, 40)
	}
	f.Add(strings.Repeat("0", 121), 164) // found by the fuzzer: longer than any valid slug
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 1 || max > 200 {
			max = 80
		}
		got := Make(s, max)
		if got != "" && (!Valid(got) || len(got) > max) {
			t.Fatalf("Make(%q, %d) = %q", s, max, got)
		}
	})
}
