package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The billing bucket: each node's monthly billing counters and the issued
// statements. Part of the cluster's format:
//
//	counts.<YYYY-MM>.<node>                 BillingReport JSON, rewritten every billingEvery
//	issued.<YYYY-MM>.<customer>.<version>   the issued statement's JSON, written once
//
// (customer in base64url without padding).
const (
	billingBucket  = "RELAY_BILLING"
	billingHistory = 8
	// billingEvery is how often a node writes its counters of the month.
	billingEvery = 10 * time.Second
	// finalAfter is how long after a month ends (KST) a node's counters
	// of it are final: a delivery is billed to the month of its final
	// time, stamped when written, and a group commit begun before midnight
	// may finish just after it.
	finalAfter = time.Minute
)

// ErrIssued is an issue of a statement version that another node issued
// first.
var ErrIssued = errors.New("cluster: that statement version was issued meanwhile")

// BillingReport is one node's billing counters of one month: delivered
// messages per customer and billed product. Final once the month is over
// on the node's clock; a node that was down then reports it final when it
// comes back.
type BillingReport struct {
	Node      string                       `json:"node"`
	Month     string                       `json:"month"`
	Final     bool                         `json:"final"`
	At        int64                        `json:"at"` // Unix ns, the node's clock
	Customers map[string]map[string]uint64 `json:"customers"`
}

// Counts gives a node's counters of a month: customer → product → count.
type Counts func(month string) (map[string]map[string]uint64, error)

// Billing is this node's part of the cluster's billing: it writes the
// node's counters to the billing bucket and reads every node's.
type Billing struct {
	n      *Node
	counts Counts
	kv     atomic.Pointer[jetstream.KeyValue]
	kst    *time.Location
	setUp  chan struct{} // closed once the bucket is set up
}

// OpenBilling starts writing this node's counters: once the bucket is set
// up, then every billingEvery, and once more when the node closes.
func (n *Node) OpenBilling(counts Counts) *Billing {
	kst, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		kst = time.FixedZone("KST", 9*3600)
	}
	b := &Billing{n: n, counts: counts, kst: kst, setUp: make(chan struct{})}
	n.wg.Go(b.run)
	return b
}

// WaitSetUp returns once the billing bucket is set up, or ctx ends: a
// node that listens before answers statement and count requests with
// ErrNoState until then.
func (b *Billing) WaitSetUp(ctx context.Context) error {
	select {
	case <-b.setUp:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-b.n.stop:
		return ErrClosed
	}
}

func (b *Billing) run() {
	pause := 100 * time.Millisecond
	for {
		if err := b.setup(); err == nil {
			close(b.setUp)
			break
		} else {
			b.n.log.Debug("cluster: billing bucket not ready", "err", err)
		}
		select {
		case <-b.n.stop:
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
	t := time.NewTicker(billingEvery)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), billingEvery)
		if err := b.Publish(ctx); err != nil {
			b.n.log.Debug("cluster: billing counters not kept", "err", err)
		}
		cancel()
		select {
		case <-b.n.stop:
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = b.Publish(ctx)
			cancel()
			return
		case <-t.C:
		}
	}
}

// setup creates the bucket and reports final every month this node left
// unfinished (it was down when the month ended).
func (b *Billing) setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := b.n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      billingBucket,
		Description: "each node's monthly billing counters, and the issued statements",
		History:     billingHistory,
		Replicas:    b.n.cfg.Replicas,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return err
	}
	b.kv.Store(&kv)
	lister, err := kv.ListKeysFiltered(ctx, "counts.*."+b.n.cfg.Node)
	if err != nil {
		return err
	}
	var months []string
	for k := range lister.Keys() {
		months = append(months, strings.Split(k, ".")[1])
	}
	current := b.n.now().In(b.kst).Format("2006-01")
	for _, m := range months {
		if m < current {
			if err := b.publish(ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *Billing) bucket() (jetstream.KeyValue, error) {
	p := b.kv.Load()
	if p == nil {
		return nil, fmt.Errorf("%w: the billing bucket is not set up yet", ErrNoState)
	}
	return *p, nil
}

// Publish writes this node's counters of the month now and of the month
// before (final once it is over).
func (b *Billing) Publish(ctx context.Context) error {
	now := b.n.now().In(b.kst)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, b.kst)
	return errors.Join(b.publish(ctx, month.AddDate(0, -1, 0).Format("2006-01")), b.publish(ctx, month.Format("2006-01")))
}

func (b *Billing) publish(ctx context.Context, month string) error {
	kv, err := b.bucket()
	if err != nil {
		return err
	}
	start, err := time.ParseInLocation("2006-01", month, b.kst)
	if err != nil {
		return err
	}
	now := b.n.now()
	final := !now.Before(start.AddDate(0, 1, 0).Add(finalAfter))
	counts, err := b.counts(month)
	if err != nil {
		return err
	}
	v, err := json.Marshal(BillingReport{Node: b.n.cfg.Node, Month: month, Final: final, At: now.UnixNano(), Customers: counts})
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, "counts."+month+"."+b.n.cfg.Node, v); err != nil {
		return fmt.Errorf("%w: counts of %s: %w", ErrNoState, month, err)
	}
	return nil
}

// Reports is every node's latest counters of month, by node name.
func (b *Billing) Reports(ctx context.Context, month string) (map[string]BillingReport, error) {
	kv, err := b.bucket()
	if err != nil {
		return nil, err
	}
	lister, err := kv.ListKeysFiltered(ctx, "counts."+month+".*")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoState, err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	out := map[string]BillingReport{}
	for _, k := range keys {
		e, err := kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrNoState, k, err)
		}
		var r BillingReport
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			return nil, fmt.Errorf("cluster: %s: %w", k, err)
		}
		out[r.Node] = r
	}
	return out, nil
}

// Unfinished names the nodes that reported counters of month but not
// their final ones, sorted: until none is left, a statement of the month
// would miss deliveries. This node writes its own first.
func (b *Billing) Unfinished(ctx context.Context, month string) ([]string, error) {
	if err := b.Publish(ctx); err != nil {
		return nil, err
	}
	reports, err := b.Reports(ctx, month)
	if err != nil {
		return nil, err
	}
	var missing []string
	for node, r := range reports {
		if !r.Final {
			missing = append(missing, node)
		}
	}
	slices.Sort(missing)
	return missing, nil
}

func issuedKey(customer, month string, version int) string {
	return "issued." + month + "." + base64.RawURLEncoding.EncodeToString([]byte(customer)) + "." + strconv.Itoa(version)
}

// Issue keeps version seen+1 of a customer's statement of month, unless
// another node issued it first (ErrIssued), and returns the version.
func (b *Billing) Issue(ctx context.Context, customer, month string, seen int, body []byte) (int, error) {
	kv, err := b.bucket()
	if err != nil {
		return 0, err
	}
	if _, err := kv.Create(ctx, issuedKey(customer, month, seen+1), body); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return 0, fmt.Errorf("%w: %s %s version %d", ErrIssued, customer, month, seen+1)
		}
		return 0, fmt.Errorf("%w: %w", ErrNoState, err)
	}
	return seen + 1, nil
}

// Issued is every issued version of a customer's statement of month, the
// first first.
func (b *Billing) Issued(ctx context.Context, customer, month string) ([][]byte, error) {
	kv, err := b.bucket()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for v := 1; ; v++ {
		e, err := kv.Get(ctx, issuedKey(customer, month, v))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoState, err)
		}
		out = append(out, e.Value())
	}
}
