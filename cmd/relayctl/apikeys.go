package main

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/tokenfmt"
)

// apiKeysCmd lists, adds and revokes a customer's HTTP API keys at run
// time, through the admin API: on every node of a cluster.
func apiKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "api-keys", Short: "List, add or revoke a customer's HTTP API keys while the relay runs", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	list := func(a *api, cust string) error {
		var v admin.APIKeysView
		if err := a.get("/api/v1/customers/"+pathEsc(cust)+"/api-keys", nil, &v); err != nil {
			return err
		}
		return emit(a.out, g.output, v, []string{"ID", "HASH"}, func(add func(...any)) {
			for _, k := range v.APIKeys {
				add(k.ID, k.Hash)
			}
		})
	}
	withAPI := func(f func(a *api, args []string) error) func(*cobra.Command, []string) error {
		return func(_ *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			return f(a, args)
		}
	}
	cmd.AddCommand(&cobra.Command{
		Use: "ls CUSTOMER", Short: "List the keys in force: ids and hashes", Args: exactArgs(1),
		RunE: withAPI(func(a *api, args []string) error { return list(a, args[0]) }),
	}, &cobra.Command{
		Use:   "add CUSTOMER [HASH]",
		Short: "Put a key in force by its hash; without HASH, make a key, put it in force and print it once (operators; audited)",
		Long: `Put an HTTP API key in force for a customer, from the next request, on
every node of a cluster. HASH is the api_keys entry relayctl new-api-key
prints (sha256:<hex>). Without HASH a key is made here, its hash is added,
and the key is printed this once: the relay keeps only the hash. A
customer has at most 2 keys in force; revoke one first to rotate.

  relayctl api-keys add shop
  relayctl api-keys add shop sha256:78db6e98...`,
		Args: rangeArgs(1, 2),
		RunE: withAPI(func(a *api, args []string) error {
			hash, key := "", ""
			if len(args) == 2 {
				hash = args[1]
			} else {
				key = tokenfmt.New()
				hash = customer.HashAPIKey(key)
			}
			if _, _, err := a.call(http.MethodPost, "/api/v1/customers/"+pathEsc(args[0])+"/api-keys", nil,
				map[string]string{"hash": hash}); err != nil {
				return err
			}
			if key != "" {
				fmt.Fprintf(a.out, "# The new API key of customer %s, shown this once; give it to the customer:\n#   %s\n", args[0], key)
			}
			return list(a, args[0])
		}),
	}, &cobra.Command{
		Use: "revoke CUSTOMER HASH-OR-ID", Short: "Take a key out of force, named by its hash or its 12-digit id (operators; audited)", Args: exactArgs(2),
		RunE: withAPI(func(a *api, args []string) error {
			if _, _, err := a.call(http.MethodDelete, "/api/v1/customers/"+pathEsc(args[0])+"/api-keys/"+pathEsc(args[1]), nil, nil); err != nil {
				return err
			}
			return list(a, args[0])
		}),
	})
	return cmd
}
