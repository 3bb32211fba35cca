package relay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// In a cluster each node bills the messages it delivered, in its own
// store, and writes its monthly counters to the billing bucket
// (cluster.Billing). A statement, on any node, sums every node's counters:
// this node's from its store, the others' as they last reported them. A
// month's statement is issued only once every node that reported counters
// of the month has reported its final ones; issued statements are kept in
// the bucket, so every node answers with the same versions and no version
// is issued twice.

// shareBilling starts writing this node's counters to the billing bucket.
// Without [cluster] it does nothing.
func (d *Daemon) shareBilling() error {
	if d.cluster == nil {
		return nil
	}
	d.billing = d.cluster.OpenBilling(d.nodeCounts)
	return nil
}

// nodeCounts is this node's counters of a month: customer → product →
// delivered.
func (d *Daemon) nodeCounts(month string) (map[string]map[string]uint64, error) {
	out := map[string]map[string]uint64{}
	for _, c := range d.reg.All() {
		counts, err := d.st.MonthCounts(c.ID, month)
		if err != nil {
			return nil, err
		}
		if len(counts) == 0 {
			continue
		}
		m := make(map[string]uint64, len(counts))
		for p, n := range counts {
			m[p.String()] = n
		}
		out[c.ID] = m
	}
	return out, nil
}

// MonthCounts is a customer's delivered messages of a month per billed
// product, as its statement counts them: in a cluster the sum over every
// node, else the store's.
func (d *Daemon) MonthCounts(customer, month string) (map[message.Product]uint64, error) {
	own, err := d.st.MonthCounts(customer, month)
	if err != nil || d.billing == nil {
		return own, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reports, err := d.billing.Reports(ctx, month)
	if err != nil {
		return nil, fmt.Errorf("relay: the other nodes' counters of %s: %w", month, err)
	}
	for node, r := range reports {
		if node == d.cfg.Cluster.Node {
			continue // the store's are as fresh as can be
		}
		for name, n := range r.Customers[customer] {
			p, err := message.ParseProduct(name)
			if err != nil {
				return nil, fmt.Errorf("relay: node %s's counters of %s: %w", node, month, err)
			}
			own[p] += n
		}
	}
	return own, nil
}

// Issuable refuses a month's statement until every node that reported
// counters of the month has reported its final ones, naming those
// missing. Without [cluster] every month over is issuable.
func (d *Daemon) Issuable(ctx context.Context, month string) error {
	if d.billing == nil {
		return nil
	}
	missing, err := d.billing.Unfinished(ctx, month)
	if err != nil {
		return fmt.Errorf("relay: the nodes' counters of %s cannot be read: %w", month, err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("the statement of %s cannot be issued yet: node %s has not reported its final counters of the month "+
			"(a node that was down when the month ended reports them when it starts again)", month, strings.Join(missing, ", "))
	}
	return nil
}

// statementStore is the store as the admin API reads statements from it:
// in a cluster, the counters summed over the nodes and the issued
// statements of the billing bucket.
func (d *Daemon) statementStore() admin.Store {
	if d.billing == nil {
		return d.st
	}
	return clusterStatements{Store: d.st, d: d}
}

func (d *Daemon) issuable() func(context.Context, string) error {
	if d.billing == nil {
		return nil
	}
	return d.Issuable
}

type clusterStatements struct {
	*store.Store
	d *Daemon
}

func (s clusterStatements) MonthCounts(customer, month string) (map[message.Product]uint64, error) {
	return s.d.MonthCounts(customer, month)
}

func (s clusterStatements) IssueStatement(ctx context.Context, customer, month string, seen int, body []byte) (int, error) {
	v, err := s.d.billing.Issue(ctx, customer, month, seen, body)
	if errors.Is(err, cluster.ErrIssued) {
		return 0, fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return v, sharedErr(err)
}

func (s clusterStatements) IssuedStatements(customer, month string) ([][]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := s.d.billing.Issued(ctx, customer, month)
	return out, sharedErr(err)
}
