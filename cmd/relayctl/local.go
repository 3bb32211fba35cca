package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msgrelay/relay/relay"
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
