package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/relay/ops"
)

func carriersCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "carriers",
		Short: "List carriers, drain one out of routing, resume it",
		Long: `A drained carrier takes no new message: what waits for it is routed again
(to another carrier of its rule, or it waits), the submits in its windows
finish, and its binds stay up for the receipts of what it took. It stays
drained until resumed, across restarts and reloads (the drain is kept in
the data directory). Drain and resume are audited.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use: "ls", Short: "Each carrier's state, binds, windows, rates and queue", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			var rep ops.Report
			if err := a.get("/api/v1/status", nil, &rep); err != nil {
				return err
			}
			cs := rep.Dispatch.Carriers
			return emit(a.out, g.output, cs, []string{"CARRIER", "STATE", "BINDS UP", "WINDOW", "TPS LIMIT", "RATE/S", "QUEUE", "LAST ERROR"},
				func(add func(...any)) {
					for _, c := range cs {
						up, used, window, tps, rate, lastErr := carrierTotals(c)
						add(c.Name, carrierState(c), fmt.Sprintf("%d/%d", up, len(c.Binds)), fmt.Sprintf("%d/%d", used, window),
							tps, rate, c.Queue, lastErr)
					}
				})
		},
	}, carrierChangeCmd(g, "drain", "Take a carrier out of routing and wait (up to 30s) for its windows to empty"),
		carrierChangeCmd(g, "resume", "Put a drained carrier back into routing"))
	return cmd
}

func carrierState(c dispatch.CarrierStatus) string {
	switch {
	case c.Drained:
		return "drained"
	case c.Live:
		return "up"
	}
	return "down"
}

// carrierTotals sums a carrier's binds; the last error is the first one a
// bind reports.
func carrierTotals(c dispatch.CarrierStatus) (up, used, window int, tps string, rate int, lastErr string) {
	var limit float64
	for _, b := range c.Binds {
		if b.Up {
			up++
		}
		used, window, rate = used+b.WindowUsed, window+b.Window, rate+b.Rate
		limit += b.TPS
		if lastErr == "" {
			lastErr = b.LastError
		}
	}
	tps = "none"
	if limit > 0 {
		tps = strings.TrimSuffix(fmt.Sprintf("%.1f", limit), ".0")
	}
	return
}

func carrierChangeCmd(g *globals, verb, short string) *cobra.Command {
	return &cobra.Command{
		Use: verb + " CARRIER", Short: short + " (operators; audited)", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			b, _, err := a.call(http.MethodPost, "/api/v1/carriers/"+pathEsc(args[0])+"/"+verb, nil, struct{}{})
			if err != nil {
				return err
			}
			var r struct {
				Carrier  string `json:"carrier"`
				Drained  bool   `json:"drained"`
				InFlight int    `json:"in_flight"`
			}
			if err := jsonOrTable(a, g, b, &r); err != nil || g.output == "json" {
				return err
			}
			switch {
			case !r.Drained:
				fmt.Fprintf(a.out, "%s: back in routing\n", r.Carrier)
			case r.InFlight > 0:
				fmt.Fprintf(a.out, "%s: out of routing; %d submits still in its windows\n", r.Carrier, r.InFlight)
			default:
				fmt.Fprintf(a.out, "%s: out of routing; windows empty\n", r.Carrier)
			}
			return nil
		},
	}
}
