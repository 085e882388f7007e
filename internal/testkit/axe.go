package testkit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeViolation is one accessibility rule broken on a page, as axe-core reports it.
type AxeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

var axeSource struct {
	sync.Once
	src string
	err error
}

// axePath finds axe.min.js: $COALITION_AXE, or .ci/tools/node_modules (npm
// ci --prefix .ci/tools, which .ci/run does) above the working directory.
func axePath() (string, error) {
	if p := os.Getenv("COALITION_AXE"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, ".ci", "tools", "node_modules", "axe-core", "axe.min.js")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("axe-core not found: run npm ci --prefix .ci/tools")
		}
		dir = parent
	}
}

// Axe runs axe-core in the browser tab against the current page, checking
// the WCAG 2.0, 2.1 and 2.2 A and AA rules, and returns the violations.
func Axe(t testing.TB, ctx context.Context) []AxeViolation {
	t.Helper()
	axeSource.Do(func() {
		p, err := axePath()
		if err != nil {
			axeSource.err = err
			return
		}
		b, err := os.ReadFile(p)
		axeSource.src, axeSource.err = string(b), err
	})
	if axeSource.err != nil {
		Missing(t, "axe-core ("+axeSource.err.Error()+")")
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource.src+";true")); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	js := `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
		.then(r => JSON.stringify(r.violations))`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	var v []AxeViolation
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("axe-core result: %v", err)
	}
	return v
}

// CheckAccessible fails the test for every WCAG 2.2 AA violation axe-core
// finds on the current page.
func CheckAccessible(t testing.TB, ctx context.Context, page string) {
	t.Helper()
	for _, v := range Axe(t, ctx) {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target)+" "+trim(n.HTML, 120))
		}
		t.Errorf("%s: accessibility (%s, %s): %s\n\t%s", page, v.ID, v.Impact, v.Help, strings.Join(where, "\n\t"))
	}
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
