package config_test

import (
	"strings"
	"testing"

	"coalition/internal/config"
)

// TestDonationFlags checks the donation flags' validation messages.
func TestDonationFlags(t *testing.T) {
	for _, c := range []struct {
		set  func(*config.Config)
		want string
	}{
		{func(c *config.Config) { c.StripeKey = "sk_test_1" }, "--stripe-webhook-secret is required"},
		{func(c *config.Config) { c.StripeAPIURL = "localhost:12111" }, "--stripe-api-url"},
		{func(c *config.Config) { c.StripeCheckoutOrigin = "http://pay.example.org" }, "--stripe-checkout-origin"},
		{func(c *config.Config) { c.Currencies = "USD;EUR" }, "--currencies"},
		{func(c *config.Config) { c.DonationMin, c.DonationMax = 50, 10 }, "--donation-min"},
		{func(c *config.Config) {
			c.StripeKey, c.StripeWebhookSecret, c.StripeAPIURL = "sk_test_1", "whsec_1", "http://127.0.0.1:12111"
		}, ""},
	} {
		cfg := config.Default()
		c.set(&cfg)
		err := cfg.Validate()
		if c.want == "" {
			if err != nil {
				t.Errorf("valid donation config refused: %v", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error naming %s", err, c.want)
		}
	}
	if d := config.Default(); d.Currencies != "USD,EUR" || d.DonationMin != 1 {
		t.Errorf("defaults: %q %d", d.Currencies, d.DonationMin)
	}
}
