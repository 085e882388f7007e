// Command coalition runs the Coalition website and its tools. See
// `coalition help` and the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"coalition/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(&cli.Env{Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Ctx: ctx})
	stop()
	os.Exit(code)
}
