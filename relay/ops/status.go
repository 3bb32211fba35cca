package ops

import (
	"fmt"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/store"
)

// Report is the relay's state on /status: what can leave the relay, how,
// and what waits.
type Report struct {
	Time time.Time `json:"time"`
	// Ready is what /readyz answers: the store works and every product a
	// route or the Kakao channel serves has a live path.
	Ready bool `json:"ready"`
	// Problems say why the relay is not ready; Warnings are faults the
	// relay works around (a carrier down behind a live failover).
	Problems []string        `json:"problems"`
	Warnings []string        `json:"warnings"`
	Paths    []dispatch.Path `json:"paths"`
	Dispatch dispatch.Status `json:"dispatch"`
	// Customers are every configured customer, with their connections and
	// submits in flight on every ingress.
	Customers []CustomerRow `json:"customers"`
	Store     StoreStatus   `json:"store"`
	// Reports says what became of final reports nobody took.
	Reports ReportsStatus `json:"reports"`
	// Cluster is the node's membership of a cluster; nil for a relay
	// that runs alone.
	Cluster *cluster.Status `json:"cluster,omitempty"`
}

// ReportsStatus counts, by the door that was to take them (upstream, smpp,
// webhook), the reports dropped from the outbox unacknowledged 48 hours
// after their message's final result.
type ReportsStatus struct {
	Expired map[string]uint64 `json:"expired"`
}

// CustomerRow is one customer on the status page.
type CustomerRow struct {
	ID        string `json:"id"`
	Suspended bool   `json:"suspended"`
	// Conns and InFlight add up every ingress.
	Conns    int `json:"conns"`
	InFlight int `json:"in_flight"`
	// ByIngress splits them by ingress: "upstream" (bound connections,
	// submits read and not yet answered), "smpp" (bound SMPP server
	// connections, submits being stored) and "http" (HTTP API requests
	// and their messages being stored).
	ByIngress map[string]IngressLoad `json:"by_ingress"`
}

// IngressLoad is a customer's use of one ingress now.
type IngressLoad struct {
	Conns    int `json:"conns"`
	InFlight int `json:"in_flight"`
}

// Add counts a customer's use of an ingress.
func (c *CustomerRow) Add(ingress string, l IngressLoad) {
	if c.ByIngress == nil {
		c.ByIngress = map[string]IngressLoad{}
	}
	c.ByIngress[ingress] = l
	c.Conns += l.Conns
	c.InFlight += l.InFlight
}

// StoreStatus is the store's health and its open messages.
type StoreStatus struct {
	Healthy   bool   `json:"healthy"`
	Error     string `json:"error,omitempty"`
	FreeBytes uint64 `json:"data_dir_free_bytes"`
	// Open counts the open messages by state and age; AgeColumns name its
	// columns.
	Open       store.OpenSummary `json:"open"`
	AgeColumns []string          `json:"age_columns"`
}

// AgeColumns names the age columns of store.OpenSummary.
func AgeColumns() []string {
	var cols []string
	prev := "0"
	for _, b := range store.AgeBuckets {
		cols = append(cols, prev+"–"+short(b))
		prev = short(b)
	}
	return append(cols, "≥"+prev)
}

func short(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}

// Judge fills Ready, Problems and Warnings from the paths and the store.
func (r *Report) Judge() {
	r.Problems, r.Warnings = []string{}, []string{}
	if !r.Store.Healthy {
		r.Problems = append(r.Problems, "store: "+r.Store.Error)
	}
	for _, p := range r.Paths {
		switch {
		case len(p.Live) == 0:
			r.Problems = append(r.Problems, fmt.Sprintf("%s has no live path (down: %s)", p.Product, strings.Join(p.Down, ", ")))
		case len(p.Down) > 0:
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %s down, served by %s", p.Product,
				strings.Join(p.Down, ", "), strings.Join(p.Live, ", ")))
		}
	}
	for _, c := range r.Dispatch.Carriers {
		if c.Drained {
			r.Warnings = append(r.Warnings, fmt.Sprintf("carrier %s is drained by an operator", c.Name))
		}
	}
	if c := r.Cluster; c != nil && (!c.Connected || !c.StreamReady) {
		// Submits are still taken and sent; only receipts this node cannot
		// correlate wait, refused, until the stream answers.
		r.Warnings = append(r.Warnings, "cluster: no NATS quorum: receipts for other nodes' messages, and submits with a client_ref, are refused with a temporary error")
	}
	if c := r.Cluster; c != nil && len(c.StaleWatches) > 0 {
		r.Warnings = append(r.Warnings, "cluster: watch not current ("+strings.Join(c.StaleWatches, ", ")+"): changes made on other nodes reach this one late")
	}
	if c := r.Cluster; c != nil && c.NumberHeldBy != "" {
		r.Problems = append(r.Problems, fmt.Sprintf("cluster: node_number is node %s's: new messages are refused", c.NumberHeldBy))
	}
	r.Ready = len(r.Problems) == 0
}
