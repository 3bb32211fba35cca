package main

import (
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/spf13/cobra"
)

// optOutList is the API's answer for a customer's opt-out list.
type optOutList struct {
	Customer string   `json:"customer"`
	Count    int      `json:"count"`
	Numbers  []string `json:"numbers"` // masked for operators
}

func optoutCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "optout",
		Short: "List, add, import or remove numbers on a customer's ad opt-out list (080 수신거부)",
		Long: `A customer's opt-out list holds the numbers that asked it to stop its
advertisements; the relay refuses an advertisement to one (OPTED_OUT).
Operators see the numbers masked. Every change is audited.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	path := func(cust string) string { return "/api/v1/customers/" + pathEsc(cust) + "/optout" }
	changed := func(a *api, b []byte, verb string) error {
		var r struct {
			Customer string `json:"customer"`
			Changed  int    `json:"changed"`
		}
		if err := jsonOrTable(a, g, b, &r); err != nil || g.output == "json" {
			return err
		}
		fmt.Fprintf(a.out, "%s: %d numbers %s\n", r.Customer, r.Changed, verb)
		return nil
	}
	cmd.AddCommand(&cobra.Command{
		Use: "ls CUSTOMER", Short: "List the numbers", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			var l optOutList
			if err := a.get(path(args[0]), nil, &l); err != nil {
				return err
			}
			return emit(a.out, g.output, l, []string{"NUMBER"}, func(add func(...any)) {
				for _, n := range l.Numbers {
					add(n)
				}
			})
		},
	}, &cobra.Command{
		Use: "add CUSTOMER NUMBER...", Short: "Add numbers", Args: minArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			b, _, err := a.call(http.MethodPost, path(args[0]), nil, map[string][]string{"numbers": args[1:]})
			if err != nil {
				return err
			}
			return changed(a, b, "added")
		},
	}, &cobra.Command{
		Use: "import CUSTOMER FILE.csv", Short: "Add the numbers in the first column of a CSV file (- for stdin)", Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			var rd io.Reader = os.Stdin
			if args[1] != "-" {
				f, err := os.Open(args[1])
				if err != nil {
					return err
				}
				defer f.Close()
				rd = f
			}
			b, _, err := a.send(http.MethodPost, path(args[0])+"/import", nil, "text/csv", rd)
			if err != nil {
				return err
			}
			return changed(a, b, "added")
		},
	}, &cobra.Command{
		Use: "rm CUSTOMER NUMBER", Short: "Remove a number", Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			b, _, err := a.call(http.MethodDelete, path(args[0])+"/"+pathEsc(args[1]), nil, nil)
			if err != nil {
				return err
			}
			return changed(a, b, "removed")
		},
	})
	return cmd
}
