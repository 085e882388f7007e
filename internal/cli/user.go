package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"coalition/internal/accounts"
	"coalition/internal/app"
	"coalition/internal/config"
	"coalition/internal/errs"

	"golang.org/x/term"
)

func runUser(e *Env, args []string) error {
	if len(args) == 0 {
		return errors.New("want a subcommand: user add, user passwd or user list")
	}
	switch args[0] {
	case "add":
		return userAdd(e, args[1:])
	case "passwd":
		return userPasswd(e, args[1:])
	case "list":
		return userList(e, args[1:])
	}
	return fmt.Errorf("unknown subcommand %q: want add, passwd or list", args[0])
}

// openStore opens the database for a one-off command, quietly.
func openStore(e *Env, cfg config.Config) (*app.App, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("--data must not be empty")
	}
	cfg.BaseURL = "http://localhost"
	log := app.NewLogger(io.Discard, "text", "error")
	return app.Open(e.Ctx, cfg, log)
}

// readPassword reads one line from stdin; on a terminal it prompts twice
// without echo.
func readPassword(e *Env, prompt string) (string, error) {
	if f, ok := e.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.Stderr, prompt+": ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(e.Stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords are not the same")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(e.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on standard input (e.g. echo 'a long passphrase' | coalition user add …)")
	}
	return pw, nil
}

func describe(err error) error {
	if ie, ok := errs.AsInvalid(err); ok {
		return fmt.Errorf("%s: %s", ie.Field, ie.Msg)
	}
	return err
}

func userAdd(e *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(e, "user add")
	cfg.StoreFlags(fs)
	email := fs.String("email", "", "e-mail `address` of the new user")
	role := fs.String("role", "", "role: admin, editor or member")
	name := fs.String("name", "", "display `name`")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	r, err := accounts.ParseRole(*role)
	if err != nil {
		return errors.New("--role must be admin, editor or member")
	}
	if _, err := accounts.NormalizeEmail(*email); err != nil {
		return describe(err)
	}
	pw, err := readPassword(e, "Password")
	if err != nil {
		return err
	}
	if err := accounts.CheckPolicy(pw); err != nil {
		return describe(err)
	}
	a, err := openStore(e, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Accounts.Create(e.Ctx, accounts.NewUser{Email: *email, Name: *name, Role: r, Password: pw})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(e.Stdout, "Added %s (%s), id %d.\n", u.Email, u.Role, u.ID)
	return nil
}

func userPasswd(e *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(e, "user passwd")
	cfg.StoreFlags(fs)
	email := fs.String("email", "", "e-mail `address` of the user")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	pw, err := readPassword(e, "New password")
	if err != nil {
		return err
	}
	if err := accounts.CheckPolicy(pw); err != nil {
		return describe(err)
	}
	a, err := openStore(e, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Accounts.ByEmail(e.Ctx, *email)
	if errors.Is(err, errs.ErrNotFound) {
		return fmt.Errorf("no user with e-mail %s", *email)
	}
	if err != nil {
		return err
	}
	if err := a.Accounts.SetPassword(e.Ctx, u.ID, pw); err != nil {
		return describe(err)
	}
	fmt.Fprintf(e.Stdout, "Password changed for %s; their sessions have ended.\n", u.Email)
	return nil
}

func userList(e *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(e, "user list")
	cfg.StoreFlags(fs)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	a, err := openStore(e, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	users, err := a.Accounts.List(e.Ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tE-MAIL\tNAME\tROLE\tSTATUS\tLAST SIGN-IN")
	for _, u := range users {
		status := "active"
		switch {
		case u.Disabled:
			status = "disabled"
		case !u.HasPassword:
			status = "invited"
		}
		last := "never"
		if !u.LastLoginAt.IsZero() {
			last = u.LastLoginAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role, status, last)
	}
	return tw.Flush()
}
