package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/customer"
)

func checkConfigCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check-config FILE",
		Short: "Validate a relayd configuration file and read every secret it names",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := relay.LoadConfig(args[0])
			if err != nil {
				return err
			}
			if err := cfg.CheckSecrets(); err != nil {
				return err
			}
			for _, w := range cfg.Warnings() {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			fmt.Println("valid")
			return nil
		},
	}
}

func hashSecretCmd() *cobra.Command {
	var iterations int
	cmd := &cobra.Command{
		Use:   "hash-secret",
		Short: "Hash a customer secret for secret_hash (reads the secret from stdin)",
		Long: `Hash a customer's upstream secret for the secret_hash key of its [[customer]]
table. The secret is read from standard input (one line), never from the command line, where it would stay in the
shell's history and the process list.

  relayctl hash-secret < secret.txt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			secret, err := readSecret()
			if err != nil {
				return err
			}
			if secret == "" {
				return usagef("hash-secret: the secret is empty")
			}
			h, err := customer.HashSecret(secret, iterations)
			if err != nil {
				return err
			}
			fmt.Printf("secret_hash = %q\n", h)
			return nil
		},
	}
	cmd.Flags().IntVar(&iterations, "iterations", customer.DefaultIterations, "PBKDF2 iterations")
	return cmd
}

func readSecret() (string, error) {
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("hash-secret: reading the secret from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func newTokenCmd() *cobra.Command {
	var name, cust string
	cmd := &cobra.Command{
		Use:   "new-token",
		Short: "Make an admin token: printed once, with the [[admin.token]] table that configures its hash",
		Long: `Make an admin token in the rly_ format (22 random base62 characters and a
CRC32 checksum). The token is printed this once; the relay keeps only its
SHA-256, in the [[admin.token]] table printed with it.

  relayctl new-token --name "acme ops" --customer acme`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			tok := admin.NewToken()
			fmt.Fprintf(w, "# The token, shown this once; give it to its holder:\n#   %s\n", tok)
			fmt.Fprintf(w, "# Add this to the relay's configuration:\n[[admin.token]]\nname = %q\n", name)
			if cust != "" {
				fmt.Fprintf(w, "customer = %q\n", cust)
			}
			_, err := fmt.Fprintf(w, "hash = %q\n", admin.HashToken(tok))
			return err
		},
	}
	cmd.Flags().StringVar(&name, "name", "operator", "the token's name, as the audit log shows it")
	cmd.Flags().StringVar(&cust, "customer", "", "the customer it acts for (empty: an operator token)")
	return cmd
}
