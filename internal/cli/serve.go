package cli

import (
	"fmt"
	"net"

	"coalition/internal/app"
	"coalition/internal/config"
	"coalition/internal/demo"
)

func runServe(e *Env, args []string) error {
	return serve(e, "serve", args, false)
}

func runDemo(e *Env, args []string) error {
	return serve(e, "demo", args, true)
}

func serve(e *Env, name string, args []string, withDemo bool) error {
	cfg := config.Default()
	fs := newFlags(e, name)
	cfg.ServerFlags(fs)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := app.NewLogger(e.Stderr, cfg.LogFormat, cfg.LogLevel)
	// Listen before anything else so that a busy port is the first error,
	// and so that --addr with port 0 reports the real address.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	if _, port, _ := net.SplitHostPort(cfg.Addr); port == "0" {
		cfg.BaseURL = ""
		cfg.Addr = ln.Addr().String()
		if err := cfg.Validate(); err != nil {
			return err
		}
	}
	ctx := e.Ctx
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if withDemo {
		loaded, err := demo.Load(ctx, a)
		if err != nil {
			return fmt.Errorf("load demo content: %w", err)
		}
		if loaded {
			log.Info("demo content loaded")
		}
		fmt.Fprintf(e.Stdout, "Coalition demo is running at %s\n", cfg.BaseURL)
		fmt.Fprintf(e.Stdout, "Sign in at %s/login as %s with password %s\n", cfg.BaseURL, demo.AdminEmail, demo.AdminPassword)
		fmt.Fprintf(e.Stdout, "(also %s, an editor, and %s, a member organisation's admin, with the same password)\n", demo.EditorEmail, demo.MemberEmail)
		if cfg.SMTPURL == "" {
			fmt.Fprintf(e.Stdout, "No --smtp given: e-mail is kept in the outbox at %s/admin/outbox\n", cfg.BaseURL)
		}
		fmt.Fprintln(e.Stdout, "Press Ctrl+C to stop.")
	} else {
		fmt.Fprintf(e.Stdout, "Coalition is running at %s\n", cfg.BaseURL)
	}
	return a.Serve(ctx, ln)
}
