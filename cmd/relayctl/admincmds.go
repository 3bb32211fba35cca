package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/payment"
)

func customerCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "customer ID",
		Short: "Show a customer: products, senders, sender keys, suspension",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			var c admin.CustomerView
			if err := a.get("/api/v1/customers/"+pathEsc(args[0]), nil, &c); err != nil {
				return err
			}
			return emit(a.out, g.output, c, []string{"ID", "NAME", "SUSPENDED", "PRODUCTS", "SENDERS", "SENDER KEYS"},
				func(add func(...any)) { add(c.ID, c.Name, suspendedText(c), c.Products, c.Senders, c.SenderKeys) })
		},
	}
}

func sendersCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "senders", Short: "List, add or remove a customer's sender numbers", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	list := func(a *api, cust string) error {
		var c admin.CustomerView
		if err := a.get("/api/v1/customers/"+pathEsc(cust), nil, &c); err != nil {
			return err
		}
		return emit(a.out, g.output, c.Senders, []string{"SENDER"}, func(add func(...any)) {
			for _, s := range c.Senders {
				add(s)
			}
		})
	}
	cmd.AddCommand(&cobra.Command{
		Use: "ls CUSTOMER", Short: "List the sender numbers", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			return list(a, args[0])
		},
	}, sendersAddCmd(g, list), &cobra.Command{
		Use: "rm CUSTOMER NUMBER", Short: "Remove a sender number (operators; audited)", Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			if _, _, err := a.call(http.MethodDelete, "/api/v1/customers/"+pathEsc(args[0])+"/senders/"+pathEsc(args[1]), nil, nil); err != nil {
				return err
			}
			return list(a, args[0])
		},
	})
	return cmd
}

// sendersAddCmd registers a number with the reference of its proof
// document (통신서비스 이용증명원), which the admin API requires.
func sendersAddCmd(g *globals, list func(*api, string) error) *cobra.Command {
	var proof string
	cmd := &cobra.Command{
		Use: "add CUSTOMER NUMBER --proof REF", Short: "Register a sender number with its proof document's reference (operators; audited)", Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			if _, _, err := a.call(http.MethodPost, "/api/v1/customers/"+pathEsc(args[0])+"/senders", nil,
				map[string]string{"number": args[1], "proof": proof}); err != nil {
				return err
			}
			return list(a, args[0])
		},
	}
	cmd.Flags().StringVar(&proof, "proof", "", "reference of the number's proof document (통신서비스 이용증명원)")
	return cmd
}

func suspendCmd(g *globals) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use: "suspend CUSTOMER", Short: "Refuse a customer's submits until resumed (operators; audited)", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return usagef("suspend: --reason is required")
			}
			return customerChange(g, args[0], "suspend", map[string]string{"reason": reason})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, shown in refusals and the audit log")
	return cmd
}

func resumeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "resume CUSTOMER", Short: "Take a suspended customer's submits again (operators; audited)", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return customerChange(g, args[0], "resume", map[string]string{})
		},
	}
}

func customerChange(g *globals, cust, verb string, body any) error {
	a, err := g.api()
	if err != nil {
		return err
	}
	if _, _, err := a.call(http.MethodPost, "/api/v1/customers/"+pathEsc(cust)+"/"+verb, nil, body); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "%s: %s done\n", cust, verb)
	return nil
}

// messagePage is the API's answer to a search.
type messagePage struct {
	Messages []admin.MessageView `json:"messages"`
	Count    int                 `json:"count"`
	Next     string              `json:"next,omitempty"`
	Prev     string              `json:"prev,omitempty"`
	Total    *int                `json:"total,omitempty"`
}

func messagesCmd(g *globals) *cobra.Command {
	f := map[string]*string{}
	var limit int
	cmd := &cobra.Command{
		Use:   "messages",
		Short: "Search a customer's messages, newest first, a page at a time",
		Long: `Search a customer's messages accepted in [from, to) (default: the last 30 days),
newest first. Every filter applies before the page is cut. The last line
gives the --before value of the next (older) page.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if *f["customer"] == "" {
				return usagef("messages: --customer is required")
			}
			a, err := g.api()
			if err != nil {
				return err
			}
			q := url.Values{}
			for k, v := range f {
				if *v != "" {
					q.Set(k, *v)
				}
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			var p messagePage
			if err := a.get("/api/v1/messages", q, &p); err != nil {
				return err
			}
			if err := emit(a.out, g.output, p, []string{"ID", "ACCEPTED", "PRODUCT", "STATE", "RECIPIENT", "SENDER", "RESULT"},
				func(add func(...any)) {
					for _, m := range p.Messages {
						add(m.ID, m.AcceptedAt, m.Product, m.State, m.Recipient, m.Sender, resultText(m.Result))
					}
				}); err != nil {
				return err
			}
			if g.output == "table" {
				switch {
				case p.Next != "":
					fmt.Fprintf(a.out, "more: --before %s\n", p.Next)
				case p.Total != nil:
					fmt.Fprintf(a.out, "%d in all\n", *p.Total)
				}
			}
			return nil
		},
	}
	for _, k := range []struct{ name, help string }{
		{"customer", "customer id (required)"},
		{"from", "accepted at or after (RFC 3339, or YYYY-MM-DD in KST)"},
		{"to", "accepted before (RFC 3339, or YYYY-MM-DD in KST)"},
		{"state", "state: accepted, queued, sent, delivered, failed, expired, ..."},
		{"product", "product, sent or billed: sms, lms, alimtalk, ..."},
		{"sender", "sender number"},
		{"recipient", "recipient number"},
		{"client_ref", "the customer's client reference"},
		{"before", "the page of messages older than this id (from a previous page)"},
		{"after", "the page of messages newer than this id"},
	} {
		f[k.name] = cmd.Flags().String(k.name, "", k.help)
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "messages per page (default: the server's)")
	return cmd
}

func resultText(r *admin.Result) string {
	if r == nil {
		return ""
	}
	s := r.Source + " " + r.Code
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	return s
}

func messageCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "message ID", Short: "Show one message with its legs and result", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			b, _, err := a.call(http.MethodGet, "/api/v1/messages/"+pathEsc(args[0]), nil, nil)
			if err != nil {
				return err
			}
			if g.output == "json" {
				_, err := a.out.Write(b)
				return err
			}
			var m admin.MessageView
			if err := json.Unmarshal(b, &m); err != nil {
				return err
			}
			return emit(a.out, "table", m, []string{"FIELD", "VALUE"}, func(add func(...any)) {
				add("id", m.ID)
				add("customer", m.Customer)
				add("client_ref", m.ClientRef)
				add("product", m.Product)
				add("billed", m.Billed)
				add("ingress", m.Ingress)
				add("state", m.State)
				add("leg", legName(m.Leg))
				add("sender", m.Sender)
				add("recipient", m.Recipient)
				add("attempts", m.Attempts)
				add("result", resultText(m.Result))
				add("accepted", m.AcceptedAt)
				add("sent", m.SentAt)
				add("final", m.FinalAt)
				if m.Text != "" {
					add("text", m.Text)
				}
			})
		},
	}
}

func legName(l uint8) string {
	if l == 1 {
		return "fallback (SMS/LMS after Kakao)"
	}
	return "first"
}

func exportCmd(g *globals) *cobra.Command {
	var cust, from, to string
	cmd := &cobra.Command{
		Use: "export", Short: "Write a customer's messages in a time range as CSV to stdout", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cust == "" || from == "" || to == "" {
				return usagef("export: --customer, --from and --to are required")
			}
			a, err := g.api()
			if err != nil {
				return err
			}
			b, _, err := a.call(http.MethodGet, "/api/v1/customers/"+pathEsc(cust)+"/export", url.Values{"from": {from}, "to": {to}}, nil)
			if err != nil {
				return err
			}
			_, err = os.Stdout.Write(b)
			return err
		},
	}
	cmd.Flags().StringVar(&cust, "customer", "", "customer id")
	cmd.Flags().StringVar(&from, "from", "", "from (RFC 3339, or YYYY-MM-DD in KST)")
	cmd.Flags().StringVar(&to, "to", "", "to, exclusive")
	return cmd
}

func paymentsCmd(g *globals) *cobra.Command {
	var cust string
	cmd := &cobra.Command{
		Use: "payments [MID]", Short: "List payment AlimTalk subscriptions, or show one merchant id's", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			var subs []payment.Subscription
			if len(args) == 1 {
				var s payment.Subscription
				if err := a.get("/api/v1/payments/"+pathEsc(args[0]), nil, &s); err != nil {
					return err
				}
				subs = append(subs, s)
			} else {
				var l struct {
					Subscriptions []payment.Subscription `json:"subscriptions"`
				}
				q := url.Values{}
				if cust != "" {
					q.Set("customer", cust)
				}
				if err := a.get("/api/v1/payments", q, &l); err != nil {
					return err
				}
				subs = l.Subscriptions
			}
			return emit(a.out, g.output, subs, []string{"MID", "CUSTOMER", "SENDER KEY", "MERCHANT EVENTS", "BUYER EVENTS", "TEMPLATES"},
				func(add func(...any)) {
					for _, s := range subs {
						add(s.MID, s.Customer, s.SenderKey, fmt.Sprint(s.Merchant.Events), fmt.Sprint(s.Buyer.Events), len(s.Templates))
					}
				})
		},
	}
	cmd.Flags().StringVar(&cust, "customer", "", "only this customer's subscriptions")
	return cmd
}
