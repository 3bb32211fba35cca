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
It applies customers, admin tokens, prices ([settle]), sender keys,
templates, routes, carriers (added, removed or changed) and door limits,
keeping every upstream connection, SMPP bind and unchanged carrier bind;
a changed carrier binds again and its old binds drain, a removed one
drains and unbinds. A file that fails the check, or that changes any
other key (listeners, data_dir, [dispatch], [kakao], ...), is refused
whole and the running configuration stays. What was changed at run time
(senders, suspensions, templates, opt-outs, drains) wins over the file.
Prints what changed; exit 1 when refused. Audited either way.`,
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
