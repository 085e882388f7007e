package config

import "testing"

// FuzzParseSMTP: any --smtp value is parsed or refused, never a panic, and a
// parsed one has a host and a valid port.
func FuzzParseSMTP(f *testing.F) {
	for _, s := range []string{"smtp://h:25", "smtps://u:p@h", "smtp://[::1]:2525", "smtp://h:0", "smtp://%zz", "://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseSMTP(s)
		if err == nil && (c.Host == "" || c.Port <= 0 || c.Port > 65535) {
			t.Fatalf("ParseSMTP(%q) = %+v", s, c)
		}
	})
}
