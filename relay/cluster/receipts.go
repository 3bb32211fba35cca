package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// The receipt stream's names. Part of the cluster's format: every node of
// a cluster must agree on them.
const (
	receiptStreamName = "RELAY_RECEIPTS"
	receiptSubject    = "relay.receipts"
)

// receiptWorkers apply receipts read from the stream at once: the store
// commits concurrent writes in one group, so a few in parallel keep up
// with a busy stream where one at a time would wait a sync each.
const receiptWorkers = 16

// ErrNoQuorum is wrapped by Forward when the stream did not keep a
// receipt: no NATS server answered, or the cluster has no quorum.
var ErrNoQuorum = errors.New("cluster: receipt not kept by the stream")

// Applier correlates a receipt with this node's messages: the store,
// which parks a receipt whose id it does not know yet.
type Applier interface {
	ApplyReceipt(ctx context.Context, rc store.Receipt) (store.Outcome, error)
}

func receiptStream(c *Config) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        receiptStreamName,
		Description: "carrier receipts a node could not correlate, for the node that sent their message",
		Subjects:    []string{receiptSubject},
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      c.ReceiptRetention,
		Duplicates:  c.DuplicateWindow,
		Replicas:    c.Replicas,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
	}
}

// receiptConsumer is a node's durable reader of the stream. A new one
// starts at from: a node reads no receipt older than itself (none can be
// its), and misses none read by another node since it started.
func receiptConsumer(name string, from time.Time) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       name,
		Description:   "this node's reader of the receipt stream",
		DeliverPolicy: jetstream.DeliverByStartTimePolicy,
		OptStartTime:  &from,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    -1,
		MaxAckPending: 4096,
	}
}

// wireReceipt is a receipt on the stream, one JSON object a message. Part
// of the cluster's format: add fields, never rename them.
type wireReceipt struct {
	Node      string `json:"node"`    // the node that read it from the carrier
	Carrier   string `json:"carrier"` // the carrier account (store.Receipt.Carrier)
	ID        string `json:"id"`      // normalised carrier message id
	Delivered bool   `json:"delivered,omitempty"`
	Final     bool   `json:"final,omitempty"`
	Source    uint8  `json:"source"`
	Code      string `json:"code,omitempty"`
	Reason    string `json:"reason,omitempty"`
	At        int64  `json:"at,omitempty"`        // Unix ns; 0: when applied
	Arrived   int64  `json:"arrived"`             // Unix ns on the reading node's clock
	Submitted int64  `json:"submitted,omitempty"` // the receipt's submit date, Unix ns; 0: none
	Done      int64  `json:"done,omitempty"`      // the receipt's done date, Unix ns; 0: none
	Skew      int64  `json:"skew,omitempty"`      // the carrier clock's tolerance, ns
}

func toWire(node string, rc *store.Receipt) wireReceipt {
	w := wireReceipt{Node: node, Carrier: rc.Carrier, ID: rc.CarrierMsgID, Delivered: rc.Delivered, Final: rc.Final,
		Source: uint8(rc.Result.Source), Code: rc.Result.Code, Reason: rc.Result.Reason, Arrived: rc.Arrived.UnixNano()}
	w.At, w.Submitted, w.Done, w.Skew = unixNano(rc.At), unixNano(rc.Submitted), unixNano(rc.Done), int64(rc.Skew)
	return w
}

func (w *wireReceipt) receipt() store.Receipt {
	rc := store.Receipt{Carrier: w.Carrier, CarrierMsgID: w.ID, Delivered: w.Delivered, Final: w.Final,
		Result:  message.Result{Source: message.Source(w.Source), Code: w.Code, Reason: w.Reason},
		Arrived: time.Unix(0, w.Arrived), At: fromUnixNano(w.At), Submitted: fromUnixNano(w.Submitted),
		Done: fromUnixNano(w.Done), Skew: time.Duration(w.Skew)}
	return rc
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// msgID is the stream's deduplication key of a receipt: its carrier
// account (store.Receipt.Carrier), its normalised id and its content,
// hashed. A carrier's copy of a receipt, read by any node within the
// duplicate window, is kept once; the carrier's next receipt for the id
// (a final after an interim) and a receipt for the id reused days later
// are not copies.
func msgID(rc *store.Receipt, content []byte) string {
	h := sha256.New()
	h.Write([]byte(rc.Carrier))
	h.Write([]byte{0})
	h.Write([]byte(rc.CarrierMsgID))
	h.Write([]byte{0})
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Forward keeps receipts this node could not correlate in the receipt
// stream, for every node to read. The publishes go out at once and their
// acknowledgements are waited for together (a bind's batch costs about
// one round trip, not one each); errs[i] is nil once the stream
// acknowledged receipt i (a quorum of its servers has it), or wraps
// ErrNoQuorum: the carrier must be answered with a temporary error, so
// that it sends the receipt again. contents[i] is receipt i as the
// carrier sent it.
func (n *Node) Forward(ctx context.Context, rcs []store.Receipt, contents [][]byte, errs []error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PublishTimeout)
	defer cancel()
	futures := make([]jetstream.PubAckFuture, len(rcs))
	for i := range rcs {
		b, err := json.Marshal(toWire(n.cfg.Node, &rcs[i]))
		if err != nil {
			errs[i] = err
			continue
		}
		m := &nats.Msg{Subject: receiptSubject, Data: b}
		futures[i], errs[i] = n.pub.PublishMsgAsync(m, jetstream.WithMsgID(msgID(&rcs[i], contents[i])))
	}
	ok := true
	for i, f := range futures {
		if f != nil {
			select {
			case ack := <-f.Ok():
				if ack.Duplicate {
					n.m.copies.Inc()
				} else {
					n.m.forwarded.Inc()
				}
				continue
			case errs[i] = <-f.Err():
			case <-ctx.Done():
				errs[i] = ctx.Err()
			}
		}
		if errs[i] != nil {
			ok = false
			n.m.refused.Inc()
			errs[i] = fmt.Errorf("%w: %w", ErrNoQuorum, errs[i])
		}
	}
	n.answer.Store(ok)
}

// take hands a message of the stream to a worker.
func (n *Node) take(m jetstream.Msg) {
	select {
	case n.work <- m:
	case <-n.stop: // not acknowledged: read again after AckWait
	}
}

func (n *Node) receiptWorker() {
	for {
		select {
		case <-n.stop:
			return
		case m := <-n.work:
			n.apply(m)
		}
	}
}

// apply correlates one receipt of the stream with this node's messages.
// Every node reads every receipt: the node that sent its message applies
// it, or parks it until its submit_sm_resp is recorded; every other node
// parks it too, and drops it after the store's parked_receipt_ttl. Its
// arrival is moved later by the skew tolerance, and its dates' tolerance
// widened by as much: it was stamped on another node's clock.
func (n *Node) apply(m jetstream.Msg) {
	var w wireReceipt
	if err := json.Unmarshal(m.Data(), &w); err != nil || w.Carrier == "" || w.ID == "" {
		// Not a receipt any node can read: leaving it would stop no one,
		// but count it.
		n.m.unreadable.Inc()
		_ = m.Term()
		return
	}
	rc := w.receipt()
	rc.Arrived = rc.Arrived.Add(n.cfg.SkewTolerance)
	rc.Skew += n.cfg.SkewTolerance // its dates are weighed against that arrival
	n.mu.Lock()
	apply := n.mu.apply
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	out, err := apply.ApplyReceipt(ctx, rc)
	cancel()
	switch {
	case errors.Is(err, store.ErrInvalid):
		n.m.unreadable.Inc()
		_ = m.Term()
		return
	case err != nil:
		// Not durable here: read it again.
		n.m.applyErrors.Inc()
		_ = m.NakWithDelay(time.Second)
		return
	}
	n.m.outcome(out)
	_ = m.Ack()
}
