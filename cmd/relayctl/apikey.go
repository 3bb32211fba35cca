package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/tokenfmt"
)

func newAPIKeyCmd() *cobra.Command {
	var cust string
	cmd := &cobra.Command{
		Use:   "new-api-key",
		Short: "Make an HTTP API key for a customer: printed once, with the api_keys entry that configures its hash",
		Long: `Make an HTTP API key in the rly_ format (22 random base62 characters and a
CRC32 checksum). The key is printed this once; the relay keeps only its
SHA-256, the api_keys entry printed with it, which goes in the customer's
[[customer]] table (a customer may have two keys while it rotates), or is
put in force while the relay runs with relayctl api-keys add CUSTOMER HASH.

  relayctl new-api-key --customer shop`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cust == "" {
				return usagef("new-api-key: --customer is required")
			}
			w := cmd.OutOrStdout()
			key := tokenfmt.New()
			fmt.Fprintf(w, "# The API key of customer %s, shown this once; give it to the customer:\n#   %s\n", cust, key)
			fmt.Fprintf(w, "# Add its hash to the api_keys of [[customer]] id = %q:\n", cust)
			_, err := fmt.Fprintf(w, "api_keys = [%q]\n", customer.HashAPIKey(key))
			return err
		},
	}
	cmd.Flags().StringVar(&cust, "customer", "", "the customer the key sends for")
	return cmd
}
