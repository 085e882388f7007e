package i18n

import (
	"testing"
	"time"
)

func TestFormatting(t *testing.T) {
	d := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct{ lang, date, num string }{
		{"en", "1 March 2026", "1,234,567"},
		{"fr", "1er mars 2026", "1\u00a0234\u00a0567"},
		{"es", "1 de marzo de 2026", "1.234.567"},
	}
	for _, c := range cases {
		l := Lookup(c.lang)
		if got := l.Date(d); got != c.date {
			t.Errorf("%s date = %q, want %q", c.lang, got, c.date)
		}
		if got := l.Number(1234567); got != c.num {
			t.Errorf("%s number = %q, want %q", c.lang, got, c.num)
		}
	}
}

func TestTranslateFallsBackToKey(t *testing.T) {
	l := Default()
	if got := l.T("Member sign in"); got != "Member sign in" {
		t.Fatalf("T = %q", got)
	}
	if got := l.T("%d results", 12345); got != "12,345 results" {
		t.Fatalf("T with args = %q", got)
	}
	fr := Lookup("fr")
	fr.catalog["Member sign in"] = "Connexion membres"
	if got := fr.T("Member sign in"); got != "Connexion membres" {
		t.Fatalf("fr T = %q", got)
	}
	if Match("fr-CH, de;q=0.8").Lang != "en" {
		t.Fatal("languages without a complete catalogue must fall back to English")
	}
	if Get("xx") != Default() {
		t.Fatal("unknown language must be English")
	}
}
