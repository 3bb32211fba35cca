package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// Report is a status report waiting in a customer's outbox until upstream
// acknowledges it. Seq orders one customer's reports.
type Report struct {
	Seq       uint64
	ID        message.ID
	ClientRef string
	State     message.State
	Result    message.Result
	FinalAt   time.Time
	Billed    message.Product

	// Product, AcceptedAt and SentAt are zero in reports written by a
	// release before they were kept (version 1).
	Product    message.Product
	AcceptedAt time.Time
	SentAt     time.Time

	// Ingress is the door the message came in by, which its report goes
	// back through. Reports written before it was kept (versions 1 and 2)
	// take it from the message record when read (Reports).
	Ingress message.Ingress
}

// reportV1 is the version byte of an outbox value:
//
//	01 │ id(8) │ state(1) │ billed(1) │ source(1) │ final at varint ns │
//	client ref │ code │ reason      (strings: uvarint length + bytes)
//
// Part of the on-disk format.
//
// reportV2 appends what a report names besides its result, so that sending
// it upstream needs no read of the message record:
//
//	02 │ …as v1… │ product(1) │ accepted at varint ns │ sent at varint ns
//
// reportV3 appends the message's ingress, so that each door takes only
// its own messages' reports without reading their records:
//
//	03 │ …as v2… │ ingress(1)
const (
	reportV1 = 1
	reportV2 = 2
	reportV3 = 3
)

func encodeReport(rp *Report) []byte {
	b := make([]byte, 0, 49+len(rp.ClientRef)+len(rp.Result.Code)+len(rp.Result.Reason))
	b = append(b, reportV3)
	b = binary.BigEndian.AppendUint64(b, uint64(rp.ID))
	b = append(b, byte(rp.State), byte(rp.Billed), byte(rp.Result.Source))
	b = appendTime(b, rp.FinalAt)
	b = appendField(b, rp.ClientRef)
	b = appendField(b, rp.Result.Code)
	b = appendField(b, rp.Result.Reason)
	b = append(b, byte(rp.Product))
	b = appendTime(b, rp.AcceptedAt)
	b = appendTime(b, rp.SentAt)
	return append(b, byte(rp.Ingress))
}

func decodeReport(b []byte, rp *Report) error {
	d := decoder{b: b}
	v := d.byte1()
	if v < reportV1 || v > reportV3 {
		return ErrCorrupt
	}
	rp.ID = message.ID(d.u64())
	rp.State = message.State(d.byte1())
	rp.Billed = message.Product(d.byte1())
	rp.Result.Source = message.Source(d.byte1())
	rp.FinalAt = d.time()
	// The strings share one allocation: the rest of the report.
	rest, base := string(d.b), len(d.b)
	rp.ClientRef = d.strIn(rest, base)
	rp.Result.Code = d.strIn(rest, base)
	rp.Result.Reason = d.strIn(rest, base)
	if v >= reportV2 {
		rp.Product = message.Product(d.byte1())
		rp.AcceptedAt = d.time()
		rp.SentAt = d.time()
	}
	if v >= reportV3 {
		rp.Ingress = message.Ingress(d.byte1())
	}
	if d.err != nil || len(d.b) != 0 {
		return ErrCorrupt
	}
	return nil
}

// appendReport writes the report of a final transition and the customer's
// new last sequence under seqKey (its tOutSeq key, which move has read).
// Runs on buildLoop, inside move.
func (w *writer) appendReport(m *message.Message, seqKey []byte, seq uint64) error {
	rp := Report{
		ID: m.ID, ClientRef: m.ClientRef, State: m.State,
		Result: m.Result, FinalAt: m.FinalAt, Billed: m.Billed,
		Product: m.Product, AcceptedAt: m.AcceptedAt, SentAt: m.SentAt,
		Ingress: m.Ingress,
	}
	if m.State != message.StateDelivered {
		rp.Billed = message.ProductUnknown
	}
	var kb keyBuf
	if err := w.set(appendOutboxKey(kb[:0], m.Customer, seq), encodeReport(&rp)); err != nil {
		return err
	}
	rp.Seq = seq
	w.g.tailReports = append(w.g.tailReports, tailReport{m.Customer, rp})
	if !slices.Contains(w.g.reported, m.Customer) {
		w.g.reported = append(w.g.reported, m.Customer)
	}
	if w.s.opts.OnFinal != nil {
		c := *m
		w.g.final = append(w.g.final, &c)
	}
	w.setCounter(seqKey, seq)
	return nil
}

// Reports lists up to limit unacknowledged reports of a customer with a
// sequence greater than afterSeq, in order. It returns only reports that
// are synced to disk.
func (s *Store) Reports(customer string, afterSeq uint64, limit int) ([]Report, error) {
	if out, ok := s.tails.reports(customer, afterSeq, limit, nil); ok {
		return out, nil // synced, every one
	}
	return s.storedReports(customer, afterSeq, limit)
}

// storedReports is Reports read from Pebble.
func (s *Store) storedReports(customer string, afterSeq uint64, limit int) ([]Report, error) {
	prefix := customerPrefix(tOutbox, customer)
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: outboxKey(customer, afterSeq+1), UpperBound: prefixEnd(prefix),
	})
	if err != nil {
		return nil, err
	}
	var out []Report
	var old []int // reports written before they kept the ingress
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		k := it.Key()
		if len(k) != len(prefix)+8 {
			continue
		}
		rp := Report{Seq: binary.BigEndian.Uint64(k[len(prefix):])}
		v := it.Value()
		if err := decodeReport(v, &rp); err != nil {
			it.Close()
			return nil, fmt.Errorf("outbox %s/%d: %w", customer, rp.Seq, err)
		}
		if v[0] < reportV3 {
			old = append(old, len(out))
		}
		out = append(out, rp)
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	for _, i := range old {
		// The record names the door; one already gone (a purged
		// customer's) leaves the upstream protocol, then the only door.
		if m, err := s.Get(out[i].ID); err == nil {
			out[i].Ingress = m.Ingress
		}
	}
	// Pebble shows a write before its fsync; a report goes upstream, so
	// wait until what was read is durable.
	if err := s.barrier(context.Background()); err != nil {
		return nil, err
	}
	return out, nil
}

// AckReports removes acknowledged reports from a customer's outbox.
// Acknowledging a report twice is harmless.
//
// The removal is a SingleDelete: an outbox key is set once, ever (a
// customer's sequence only grows, and stays when a purge drops the
// outbox), so the report and its removal vanish together in a flush or
// compaction instead of leaving a tombstone. A second acknowledgement, or
// one of a number not yet written, meets no set and removes nothing.
func (s *Store) AckReports(ctx context.Context, customer string, seqs ...uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	seqs = slices.Clone(seqs) // the op may outlive a caller that gives up
	return s.do(ctx, func(w *writer) error {
		w.g.tailAcks = append(w.g.tailAcks, tailAck{customer, seqs})
		for _, seq := range seqs {
			var kb keyBuf
			if err := w.singleDel(appendOutboxKey(kb[:0], customer, seq)); err != nil {
				return err
			}
		}
		return nil
	})
}
