package web

import (
	"strings"
	"testing"
)

func TestDiffLines(t *testing.T) {
	a := "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine"
	b := "one\ntwo\nthree\nFOUR\nfive\nsix\nseven\neight\nnine\nten"
	var got []string
	for _, l := range diffLines(a, b, 1) {
		got = append(got, l.Op+":"+l.Text)
	}
	want := "skip:|same:three|del:four|add:FOUR|same:five|skip:|same:nine|add:ten"
	if strings.Join(got, "|") != want {
		t.Fatalf("diff\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
	if d := diffLines("", "new", 2); len(d) != 1 || d[0].Op != "add" || d[0].New != 1 {
		t.Fatalf("from empty: %+v", d)
	}
	if d := diffLines("same", "same", 2); len(d) != 1 || d[0].Op != "same" {
		t.Fatalf("no change: %+v", d)
	}
	// Long texts fall back to remove-then-add without exhausting memory.
	big := strings.Repeat("x\n", 3000)
	if d := diffLines("a\n"+big, "b\n"+strings.Repeat("y\n", 3000), 0); len(d) < 6000 {
		t.Fatalf("big diff has %d lines", len(d))
	}
}
