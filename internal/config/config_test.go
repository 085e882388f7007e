package config

import (
	"flag"
	"strings"
	"testing"
)

func TestParseAndValidate(t *testing.T) {
	c := Default()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.ServerFlags(fs)
	env := map[string]string{"COALITION_DATABASE_URL": "postgres://u@h/db", "COALITION_ADDR": "0.0.0.0:9000", "COALITION_MAX_UPLOAD_MB": "20"}
	if err := Parse(fs, []string{"--addr", "127.0.0.1:9001"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9001" || c.DatabaseURL != "postgres://u@h/db" || c.MaxUploadMB != 20 {
		t.Fatalf("flags beat environment, environment fills the rest: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "http://127.0.0.1:9001" || !strings.HasPrefix(c.MailFrom, "noreply@") {
		t.Fatalf("derived: %q %q", c.BaseURL, c.MailFrom)
	}

	bad := map[string]func(*Config){
		"--addr":         func(c *Config) { c.Addr = "nope" },
		"--log-format":   func(c *Config) { c.LogFormat = "xml" },
		"--database-url": func(c *Config) { c.DatabaseURL = "mysql://x" },
		"--smtp":         func(c *Config) { c.SMTPURL = "http://x" },
		"--base-url":     func(c *Config) { c.BaseURL = "ftp://x" },
		"--max-upload":   func(c *Config) { c.MaxUploadMB = 0 },
	}
	for name, mutate := range bad {
		c := Default()
		mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), strings.TrimSuffix(name, "-mb")) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseSMTP(t *testing.T) {
	s, err := ParseSMTP("smtps://user:p%40ss@mail.example.org")
	if err != nil || !s.ImplicitTLS || s.Port != 465 || s.Username != "user" || s.Password != "p@ss" {
		t.Fatalf("%+v %v", s, err)
	}
	s, err = ParseSMTP("smtp://127.0.0.1:2525")
	if err != nil || s.ImplicitTLS || s.Port != 2525 {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{"smtp://", "smtp://h:99999", "imap://h"} {
		if _, err := ParseSMTP(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
