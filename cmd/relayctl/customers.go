package main

import (
	"github.com/spf13/cobra"

	"github.com/msgrelay/relay/relay/admin"
)

func customersCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "customers", Short: "List every customer (operators)", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			var cs []admin.CustomerView
			if err := a.get("/api/v1/customers", nil, &cs); err != nil {
				return err
			}
			return emit(a.out, g.output, cs, []string{"ID", "NAME", "SUSPENDED", "PRODUCTS", "SENDERS", "SENDER KEYS"},
				func(add func(...any)) {
					for _, c := range cs {
						add(c.ID, c.Name, suspendedText(c), c.Products, c.Senders, c.SenderKeys)
					}
				})
		},
	}
}

func suspendedText(c admin.CustomerView) string {
	if c.Suspended {
		return "yes: " + c.SuspendReason
	}
	return "no"
}
