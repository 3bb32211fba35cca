package main

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"
)

func reloadCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "reload",
		Short: "Reload the relay's configuration file without a restart (operators; audited)",
		Long: `reload makes the relay read its configuration file again, as SIGHUP does.
Today a reload applies the [[customer]] tables (customers added, removed or
changed) and keeps every connection; a file that fails the check, or that
changes any other key, is refused whole and the running configuration
stays. What an operator changed at run time (senders, suspensions) wins
over the file. Exit 1 when refused.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			b, _, err := a.call(http.MethodPost, "/api/v1/reload", nil, struct{}{})
			if err != nil {
				return err
			}
			var r struct {
				Changes []string `json:"changes"`
			}
			if err := jsonOrTable(a, g, b, &r); err != nil || g.output == "json" {
				return err
			}
			if len(r.Changes) == 0 {
				fmt.Fprintln(a.out, "reloaded: nothing changed")
			}
			for _, c := range r.Changes {
				fmt.Fprintln(a.out, "reloaded:", c)
			}
			return nil
		},
	}
}
