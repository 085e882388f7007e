package web

import "strings"

// DiffLine is one line of a readable comparison of two texts.
type DiffLine struct {
	Op   string // "same", "add", "del", "skip" (unchanged lines left out)
	Text string
	Old  int // line number in the older text (0 for added lines)
	New  int // line number in the newer text (0 for removed lines)
}

// diffLines compares two texts line by line: the common start and end are
// matched first (most edits touch a few paragraphs), then the middle by the
// longest common subsequence. Runs of more than 2×context unchanged lines
// are folded into one "skip" line.
func diffLines(a, b string, context int) []DiffLine {
	x := strings.Split(strings.ReplaceAll(a, "\r\n", "\n"), "\n")
	y := strings.Split(strings.ReplaceAll(b, "\r\n", "\n"), "\n")
	if a == "" {
		x = nil
	}
	if b == "" {
		y = nil
	}
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	var out []DiffLine
	for i := 0; i < pre; i++ {
		out = append(out, DiffLine{Op: "same", Text: x[i], Old: i + 1, New: i + 1})
	}
	mx, my := x[pre:len(x)-suf], y[pre:len(y)-suf]
	out = append(out, lcsDiff(mx, my, pre)...)
	for i := 0; i < suf; i++ {
		ox, oy := len(x)-suf+i, len(y)-suf+i
		out = append(out, DiffLine{Op: "same", Text: x[ox], Old: ox + 1, New: oy + 1})
	}
	return fold(out, context)
}

// lcsDiff diffs two slices whose lines start at offset+1 in both texts. Past
// a size where the table would be too large, it shows the whole middle as
// removed then added — still correct, only less precise.
func lcsDiff(x, y []string, offset int) []DiffLine {
	var out []DiffLine
	if len(x)*len(y) > 4_000_000 {
		for i, l := range x {
			out = append(out, DiffLine{Op: "del", Text: l, Old: offset + i + 1})
		}
		for j, l := range y {
			out = append(out, DiffLine{Op: "add", Text: l, New: offset + j + 1})
		}
		return out
	}
	n, m := len(x), len(y)
	t := make([][]int32, n+1)
	for i := range t {
		t[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			out = append(out, DiffLine{Op: "same", Text: x[i], Old: offset + i + 1, New: offset + j + 1})
			i++
			j++
		case i < n && (j == m || t[i+1][j] >= t[i][j+1]):
			// Removed lines come before the lines that replace them.
			out = append(out, DiffLine{Op: "del", Text: x[i], Old: offset + i + 1})
			i++
		default:
			out = append(out, DiffLine{Op: "add", Text: y[j], New: offset + j + 1})
			j++
		}
	}
	return out
}

func fold(ls []DiffLine, context int) []DiffLine {
	var out []DiffLine
	for i := 0; i < len(ls); {
		if ls[i].Op != "same" {
			out = append(out, ls[i])
			i++
			continue
		}
		j := i
		for j < len(ls) && ls[j].Op == "same" {
			j++
		}
		run := ls[i:j]
		lead, trail := context, context
		if i == 0 {
			lead = 0
		}
		if j == len(ls) {
			trail = 0
		}
		if len(run) > lead+trail+1 {
			out = append(out, run[:lead]...)
			out = append(out, DiffLine{Op: "skip", Text: "", Old: len(run) - lead - trail})
			out = append(out, run[len(run)-trail:]...)
		} else {
			out = append(out, run...)
		}
		i = j
	}
	return out
}
