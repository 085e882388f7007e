package donations_test

import (
	"testing"

	"coalition/internal/donations"
	"coalition/internal/errs"
)

// FuzzParseAmount: whatever a donor types, ParseAmount never panics, refuses
// with a message for the form, and what it accepts is positive and comes
// back unchanged through FormatAmount.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"25", "25.50", "1,000", "1 000,5", "€12", "0.001", "-3", "1e9", "９", "12.345.678,9", "٣", ""} {
		f.Add(s, "EUR")
		f.Add(s, "JPY")
	}
	f.Fuzz(func(t *testing.T, raw, code string) {
		c, ok := donations.LookupCurrency(code)
		if !ok {
			c, _ = donations.LookupCurrency("USD")
		}
		v, err := donations.ParseAmount("amount", raw, c)
		if err != nil {
			if _, ok := errs.AsInvalid(err); !ok {
				t.Fatalf("%q: error is not a form message: %v", raw, err)
			}
			return
		}
		if v <= 0 {
			t.Fatalf("%q accepted as %d", raw, v)
		}
		back, err := donations.ParseAmount("amount", donations.FormatAmount(v, c), c)
		if err != nil || back != v {
			t.Fatalf("%q → %d → %q → %d %v", raw, v, donations.FormatAmount(v, c), back, err)
		}
	})
}
