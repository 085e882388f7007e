package donations

import (
	"fmt"
	"strconv"
	"strings"

	"coalition/internal/errs"
)

// Currency is a currency the site can take gifts in.
type Currency struct {
	Code     string // ISO 4217, upper case: "USD"
	Symbol   string // shown before the amount: "$"
	Exponent int    // digits after the decimal point: 2 for USD, 0 for JPY
}

// knownCurrencies are the currencies --currencies may name: ones Stripe
// Checkout takes and whose minor units are simple. Three-decimal currencies
// are left out (Stripe wants their amounts rounded to tens).
var knownCurrencies = map[string]Currency{
	"USD": {"USD", "$", 2}, "EUR": {"EUR", "€", 2}, "GBP": {"GBP", "£", 2}, "CHF": {"CHF", "CHF ", 2},
	"CAD": {"CAD", "CA$", 2}, "AUD": {"AUD", "A$", 2}, "NZD": {"NZD", "NZ$", 2}, "SEK": {"SEK", "SEK ", 2},
	"NOK": {"NOK", "NOK ", 2}, "DKK": {"DKK", "DKK ", 2}, "PLN": {"PLN", "PLN ", 2}, "CZK": {"CZK", "CZK ", 2},
	"JPY": {"JPY", "¥", 0}, "KRW": {"KRW", "₩", 0}, "ZAR": {"ZAR", "R ", 2}, "BRL": {"BRL", "R$", 2},
	"MXN": {"MXN", "MX$", 2}, "INR": {"INR", "₹", 2}, "KES": {"KES", "KES ", 2}, "NGN": {"NGN", "NGN ", 2},
	"SGD": {"SGD", "S$", 2}, "HKD": {"HKD", "HK$", 2},
}

// LookupCurrency returns a known currency by its code (any case).
func LookupCurrency(code string) (Currency, bool) {
	c, ok := knownCurrencies[strings.ToUpper(strings.TrimSpace(code))]
	return c, ok
}

// ParseCurrencies parses a comma-separated list such as "USD,EUR" for
// --currencies; unknown or repeated codes are an error.
func ParseCurrencies(list string) ([]Currency, error) {
	var out []Currency
	seen := map[string]bool{}
	for _, p := range strings.Split(list, ",") {
		p = strings.ToUpper(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		c, ok := knownCurrencies[p]
		if !ok {
			return nil, fmt.Errorf("unknown currency %q", p)
		}
		if seen[p] {
			return nil, fmt.Errorf("currency %s listed twice", p)
		}
		seen[p] = true
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no currency given")
	}
	return out, nil
}

func pow10(n int) int64 {
	v := int64(1)
	for range n {
		v *= 10
	}
	return v
}

// ParseAmount reads an amount typed by a person ("25", "25.50", "1,000",
// "1 000,5") in the currency's major unit and returns it in minor units.
// It never uses floating point. The error is an errs.Invalid for field.
func ParseAmount(field, raw string, c Currency) (int64, error) {
	s := strings.TrimSpace(raw)
	s = strings.TrimPrefix(s, strings.TrimSpace(c.Symbol))
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), c.Code))
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "'", "").Replace(s)
	if s == "" {
		return 0, errs.Invalid(field, "Enter an amount.")
	}
	if strings.HasPrefix(s, "-") {
		return 0, errs.Invalid(field, "Enter an amount above zero.")
	}
	// Separators: with both "." and ",", the last one is the decimal point
	// and the other groups thousands. With one kind only, it groups
	// thousands when it appears more than once, or once followed by exactly
	// three digits after a proper leading group ("1,000", "12.500");
	// otherwise it is the decimal point ("10,50", "0.001").
	intPart, frac := s, ""
	dot, comma := strings.Count(s, "."), strings.Count(s, ",")
	bad := errs.Invalid(field, "Enter the amount in figures, like 25 or 25.50.")
	switch {
	case dot > 0 && comma > 0:
		i := strings.LastIndexAny(s, ".,")
		intPart, frac = s[:i], s[i+1:]
		if strings.ContainsRune(intPart, rune(s[i])) || !grouped(intPart) {
			return 0, bad
		}
	case dot+comma > 1:
		if !grouped(s) {
			return 0, bad
		}
	case dot+comma == 1:
		i := strings.IndexAny(s, ".,")
		if len(s)-i-1 == 3 && grouped(s) {
			break
		}
		intPart, frac = s[:i], s[i+1:]
	}
	intPart = strings.NewReplacer(",", "", ".", "").Replace(intPart)
	if intPart == "" {
		intPart = "0"
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return 0, errs.Invalid(field, "Enter the amount in figures, like 25 or 25.50.")
		}
	}
	if len(frac) > c.Exponent {
		if c.Exponent == 0 {
			return 0, errs.Invalid(field, fmt.Sprintf("Amounts in %s have no decimal places.", c.Code))
		}
		return 0, errs.Invalid(field, fmt.Sprintf("Use at most %d decimal places.", c.Exponent))
	}
	if len(intPart) > 12 {
		return 0, errs.Invalid(field, "That amount is too large.")
	}
	major, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, errs.Invalid(field, "Enter the amount in figures, like 25 or 25.50.")
	}
	var minor int64
	if frac != "" {
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil {
			return 0, errs.Invalid(field, "Enter the amount in figures, like 25 or 25.50.")
		}
		minor = f * pow10(c.Exponent-len(frac))
	}
	v := major*pow10(c.Exponent) + minor
	if v <= 0 {
		return 0, errs.Invalid(field, "Enter an amount above zero.")
	}
	return v, nil
}

// grouped reports whether s is digits in thousands groups: "1,000",
// "12.345.678" (one separator kind; the first group 1–3 digits without a
// leading zero, the others exactly 3).
func grouped(s string) bool {
	i := strings.IndexAny(s, ".,")
	if i < 0 {
		return true
	}
	parts := strings.Split(s, string(s[i]))
	if len(parts[0]) < 1 || len(parts[0]) > 3 || parts[0][0] == '0' {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) != 3 {
			return false
		}
	}
	return true
}

// FormatAmount writes minor units as a plain decimal in the major unit
// ("25.50", "1000"), as a form field or CSV cell wants it.
func FormatAmount(minor int64, c Currency) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	p := pow10(c.Exponent)
	s := strconv.FormatInt(minor/p, 10)
	if c.Exponent > 0 {
		s += "." + fmt.Sprintf("%0*d", c.Exponent, minor%p)
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Display writes an amount for reading: "$1,250.00", "€25.00", "¥5,000".
func Display(minor int64, code string) string {
	c, ok := LookupCurrency(code)
	if !ok {
		c = Currency{Code: code, Symbol: code + " ", Exponent: 2}
	}
	neg := minor < 0
	if neg {
		minor = -minor
	}
	p := pow10(c.Exponent)
	whole := strconv.FormatInt(minor/p, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	s := c.Symbol + b.String()
	if c.Exponent > 0 {
		s += "." + fmt.Sprintf("%0*d", c.Exponent, minor%p)
	}
	if neg {
		s = "−" + s
	}
	return s
}
