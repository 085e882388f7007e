package cli

import (
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"

	"coalition/internal/accounts"
	"coalition/internal/config"
)

func runToken(e *Env, args []string) error {
	if len(args) == 0 {
		return errors.New("want a subcommand: token create, token list or token revoke")
	}
	switch args[0] {
	case "create":
		return tokenCreate(e, args[1:])
	case "list":
		return tokenList(e, args[1:])
	case "revoke":
		return tokenRevoke(e, args[1:])
	}
	return fmt.Errorf("unknown subcommand %q: want create, list or revoke", args[0])
}

func tokenCreate(e *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(e, "token create")
	cfg.StoreFlags(fs)
	role := fs.String("role", "admin", "role of the token: admin or editor")
	name := fs.String("name", "", "a `name` to recognise the token by (e.g. the script that uses it)")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	r, err := accounts.ParseRole(*role)
	if err != nil || r == accounts.RoleMember {
		return errors.New("--role must be admin or editor")
	}
	a, err := openStore(e, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	_, secret, err := a.Accounts.CreateAPIToken(e.Ctx, *name, r)
	if err != nil {
		return describe(err)
	}
	// The token alone on stdout, so that scripts can capture it.
	fmt.Fprintln(e.Stdout, secret)
	fmt.Fprintln(e.Stderr, "Keep this token secret; it is shown only once. Use it as: Authorization: Bearer <token>")
	return nil
}

func tokenList(e *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(e, "token list")
	cfg.StoreFlags(fs)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	a, err := openStore(e, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	ts, err := a.Accounts.APITokens(e.Ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tLAST USED\tREVOKED")
	for _, t := range ts {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, t.CreatedAt.Format("2006-01-02"), day(t.LastUsedAt), day(t.RevokedAt))
	}
	return tw.Flush()
}

func day(t interface {
	IsZero() bool
	Format(string) string
}) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("2006-01-02")
}

func tokenRevoke(e *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(e, "token revoke")
	cfg.StoreFlags(fs)
	id := fs.String("id", "", "`id` of the token (see token list)")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	n, err := strconv.ParseInt(*id, 10, 64)
	if err != nil || n <= 0 {
		return errors.New("--id is required: the number shown by token list")
	}
	a, err := openStore(e, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Accounts.RevokeAPIToken(e.Ctx, n); err != nil {
		return fmt.Errorf("token %d: %w", n, err)
	}
	fmt.Fprintf(e.Stdout, "Revoked token %d.\n", n)
	return nil
}
