// Command relayctl operates a running relay through its admin API, sends
// test messages through its upstream port, and does the offline chores of
// onboarding (hashing a customer secret, checking a configuration).
//
// Exit codes: 0 success, 1 the operation was refused or failed (a send
// whose message ended undelivered included), 2 a usage error.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// globals are the flags every command takes.
type globals struct {
	admin  string // admin API address
	token  string
	output string // table or json
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "relayctl",
		Short: "Operate a running relay",
		Long: `relayctl operates a running relay through its admin API (customers, senders,
messages, exports, payments, statements, opt-out lists, carriers, status),
sends test messages through its upstream port, and hashes secrets and
checks configurations offline.

Long flags work with one dash or two (-customer, --customer).
Exit codes: 0 success, 1 refused or failed, 2 usage error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.admin, "admin", envOr("RELAY_ADMIN", "127.0.0.1:7602"), "admin API address, host:port or a URL (default $RELAY_ADMIN)")
	pf.StringVar(&g.token, "token", os.Getenv("RELAY_ADMIN_TOKEN"), "admin token (default $RELAY_ADMIN_TOKEN)")
	pf.StringVarP(&g.output, "output", "o", "table", "output: table or json")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		sendCmd(), statementCmd(g), checkConfigCmd(), hashSecretCmd(), newTokenCmd(), newAPIKeyCmd(),
		customerCmd(g), sendersCmd(g), apiKeysCmd(g), suspendCmd(g), resumeCmd(g),
		messagesCmd(g), messageCmd(g), exportCmd(g), paymentsCmd(g),
		templatesCmd(g),
		customersCmd(g), optoutCmd(g), carriersCmd(g), statusCmd(g), reloadCmd(g),
	)
	return root
}

// noArgs refuses arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command or argument %q for %q", args[0], cmd.CommandPath())
	}
	return nil
}

// exactArgs wants n arguments, named in the command's Use.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s: want %d argument(s), got %d (usage: %s)", cmd.CommandPath(), n, len(args), cmd.UseLine())
		}
		return nil
	}
}

// rangeArgs wants from lo to hi arguments, named in the command's Use.
func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usagef("%s: want %d to %d arguments, got %d (usage: %s)", cmd.CommandPath(), lo, hi, len(args), cmd.UseLine())
		}
		return nil
	}
}

// minArgs wants at least n arguments, named in the command's Use.
func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef("%s: want at least %d arguments, got %d (usage: %s)", cmd.CommandPath(), n, len(args), cmd.UseLine())
		}
		return nil
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// twoDashes rewrites a long flag written with one dash (-customer, as the
// Go flag package and README.md write them) to two, for the command the
// arguments name; one-letter flags (-o) stay as they are.
func twoDashes(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd.DisableFlagParsing {
		return args
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if len(name) > 1 && lookupFlag(cmd, name) != nil {
				out[i] = "-" + a
			}
		}
	}
	return out
}

func lookupFlag(cmd *cobra.Command, name string) *pflag.Flag {
	if f := cmd.Flags().Lookup(name); f != nil {
		return f
	}
	return cmd.InheritedFlags().Lookup(name)
}

func run(args []string) int {
	root := newRoot()
	root.SetArgs(twoDashes(root, args))
	err := root.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "relayctl:", err)
	var u usageError
	if errors.As(err, &u) || strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") {
		return 2
	}
	return 1
}

func main() { os.Exit(run(os.Args[1:])) }
