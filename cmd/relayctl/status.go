package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/msgrelay/relay/relay/ops"
)

// errNotReady makes `status` exit 1 when the relay is not ready.
var errNotReady = errors.New("the relay is not ready")

func statusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "The relay's readiness, paths, carriers, Kakao, queues, customers and open messages",
		Long: `status shows what the ops port's /status shows. It exits 1 when the relay is
not ready (some product a route or Kakao serves has no live path, or the
store failed), after printing why. Each customer's UPSTREAM, SMPP and HTTP
columns are its connections (HTTP: requests) / submits in flight there.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			b, _, err := a.call("GET", "/api/v1/status", nil, nil)
			if err != nil {
				return err
			}
			var rep ops.Report
			if err := jsonOrTable(a, g, b, &rep); err != nil {
				return err
			}
			if g.output == "table" {
				if err := writeStatus(a.out, &rep); err != nil {
					return err
				}
			}
			if !rep.Ready {
				return errNotReady
			}
			return nil
		},
	}
}

func writeStatus(w io.Writer, rep *ops.Report) error {
	if rep.Ready {
		fmt.Fprintln(w, "ready")
	} else {
		fmt.Fprintln(w, "NOT READY")
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(w, "  problem:", p)
	}
	for _, p := range rep.Warnings {
		fmt.Fprintln(w, "  warning:", p)
	}
	section := func(title string) { fmt.Fprintf(w, "\n%s\n", title) }
	section("PATHS")
	if err := emit(w, "table", nil, []string{"PRODUCT", "LIVE", "DOWN"}, func(add func(...any)) {
		for _, p := range rep.Paths {
			add(p.Product, p.Live, p.Down)
		}
	}); err != nil {
		return err
	}
	section("CARRIERS")
	if err := emit(w, "table", nil, []string{"CARRIER", "BIND", "STATE", "WINDOW", "TPS LIMIT", "RATE/S", "QUEUE", "LAST ERROR"}, func(add func(...any)) {
		for _, c := range rep.Dispatch.Carriers {
			for _, b := range c.Binds {
				state := "up"
				if !b.Up {
					state = "down: " + b.Reason
				}
				if c.Drained {
					state += " (drained)"
				}
				tps := "none"
				if b.TPS > 0 {
					tps = fmt.Sprint(b.TPS)
				}
				add(c.Name, b.Name, state, fmt.Sprintf("%d/%d", b.WindowUsed, b.Window), tps, b.Rate, c.Queue, b.LastError)
			}
		}
	}); err != nil {
		return err
	}
	if k := rep.Dispatch.Kakao; k != nil {
		section("KAKAO")
		if err := emit(w, "table", nil, []string{"TOKEN", "TOKEN ERROR", "IN FLIGHT", "QUEUE", "AWAITING RESULT"}, func(add func(...any)) {
			add(k.Token, k.TokenError, k.InFlight, k.Queue, k.Awaiting)
		}); err != nil {
			return err
		}
	}
	section("CUSTOMERS")
	if err := emit(w, "table", nil, []string{"CUSTOMER", "CONNECTIONS", "IN FLIGHT", "UPSTREAM", "SMPP", "HTTP", "SUSPENDED"}, func(add func(...any)) {
		for _, c := range rep.Customers {
			by := func(in string) string { l := c.ByIngress[in]; return fmt.Sprintf("%d/%d", l.Conns, l.InFlight) }
			add(c.ID, c.Conns, c.InFlight, by("upstream"), by("smpp"), by("http"), map[bool]string{true: "yes", false: "no"}[c.Suspended])
		}
	}); err != nil {
		return err
	}
	section("STORE")
	health := "healthy"
	if !rep.Store.Healthy {
		health = rep.Store.Error
	}
	fmt.Fprintf(w, "%s; data_dir free %d MiB; waiting for a carrier %d (unroutable %d)\n", health,
		rep.Store.FreeBytes>>20, rep.Dispatch.Queue, rep.Dispatch.Unroutable)
	total := fmt.Sprintf("%d open", rep.Store.Open.Total)
	if rep.Store.Open.Truncated {
		total += "+"
	}
	return emit(w, "table", nil, append([]string{"OPEN BY STATE (" + total + ")"}, rep.Store.AgeColumns...), func(add func(...any)) {
		for state, row := range rep.Store.Open.ByState {
			cells := []any{state}
			for _, n := range row {
				cells = append(cells, n)
			}
			add(cells...)
		}
	})
}
