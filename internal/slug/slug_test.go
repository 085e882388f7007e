package slug

import "testing"

func TestMake(t *testing.T) {
	cases := map[string]string{
		"Côte d'Ivoire: 2026 update": "cote-d-ivoire-2026-update",
		"  São Tomé & Príncipe  ":    "sao-tome-principe",
		"Україна":                    "україна",
		"R2P -- ten years on!":       "r2p-ten-years-on",
		"":                           "",
		"!!!":                        "",
	}
	for in, want := range cases {
		if got := Make(in, 80); got != want {
			t.Errorf("Make(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Make("a very long title that goes on and on", 20); got != "a-very-long-title" {
		t.Errorf("cut = %q", got)
	}
}

func TestValid(t *testing.T) {
	for _, s := range []string{"news", "r2p-2026", "україна"} {
		if !Valid(s) {
			t.Errorf("Valid(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-a", "a-", "a--b", "A", "a b", "a/b", "../x"} {
		if Valid(s) {
			t.Errorf("Valid(%q) = true", s)
		}
	}
}
