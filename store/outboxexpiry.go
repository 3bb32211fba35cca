package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// ReportKeep is how long after its message's final result a report waits
// in the outbox for its door to take and acknowledge it (SMPP receipts,
// upstream-protocol reports and webhooks alike). After it the report is
// dropped: a customer that never reads its reports does not keep them on
// the relay's disk for ever.
const ReportKeep = 48 * time.Hour

// ExpiredReports counts the reports ExpireReports dropped for one customer
// and ingress (the door the message came in by).
type ExpiredReports struct {
	Customer string
	Ingress  message.Ingress
	Count    int
}

// outboxFloors remembers, per customer, a sequence below which the
// outbox holds nothing: every report before the first one a scan found
// still waiting was acknowledged or dropped, and new reports only take
// higher sequences. A scan starts there, past the deletions it would
// otherwise step over again.
type outboxFloors struct {
	scan sync.Mutex // one ExpireReports at a time: two would count a report twice
	sync.Mutex
	m map[string]uint64
}

// ExpireReports drops from every customer's outbox the reports whose final
// result is at least keep (ReportKeep) before now, and returns how many it
// dropped per customer and ingress. A customer's reports carry sequences
// in the order their messages became final, so what it drops is a prefix
// of the outbox, removed with one range deletion, not a tombstone per
// report; a report is kept (a little longer) while an earlier sequence is
// not yet due. An acknowledgement that races the drop may count a report
// as dropped that its door had just taken.
func (s *Store) ExpireReports(ctx context.Context, now time.Time, keep time.Duration) ([]ExpiredReports, error) {
	s.floors.scan.Lock()
	defer s.floors.scan.Unlock()
	customers, err := s.outboxCustomers()
	if err != nil {
		return nil, err
	}
	cutoff := now.Add(-keep)
	var out []ExpiredReports
	for _, c := range customers {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		counts, from, upTo, err := s.dueReports(c, cutoff)
		if err != nil {
			return out, err
		}
		if upTo > from {
			err := s.do(ctx, func(w *writer) error {
				return w.delRange(outboxKey(c, from), outboxKey(c, upTo))
			})
			if err != nil {
				return out, err
			}
		}
		s.floors.Lock()
		if s.floors.m == nil {
			s.floors.m = make(map[string]uint64)
		}
		s.floors.m[c] = upTo
		s.floors.Unlock()
		for in, n := range counts {
			if n > 0 {
				out = append(out, ExpiredReports{Customer: c, Ingress: message.Ingress(in), Count: n})
			}
		}
	}
	return out, nil
}

// outboxCustomers lists the customers that ever had a report: the keys of
// the outbox sequence table.
func (s *Store) outboxCustomers() ([]string, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tOutSeq}, UpperBound: []byte{tOutSeq + 1}})
	if err != nil {
		return nil, err
	}
	var out []string
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) < 2 || len(k) != 2+int(k[1]) {
			continue
		}
		out = append(out, string(k[2:]))
	}
	return out, it.Close()
}

// dueReports reads a customer's outbox from its floor and counts, by
// ingress, the reports final at or before cutoff up to the first one that
// is not: they lie in [from, upTo).
func (s *Store) dueReports(customer string, cutoff time.Time) (counts [4]int, from, upTo uint64, err error) {
	s.floors.Lock()
	from = s.floors.m[customer]
	s.floors.Unlock()
	upTo = from
	prefix := customerPrefix(tOutbox, customer)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: outboxKey(customer, from), UpperBound: prefixEnd(prefix)})
	if err != nil {
		return counts, from, upTo, err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) != len(prefix)+8 {
			continue
		}
		seq := binary.BigEndian.Uint64(k[len(prefix):])
		var rp Report
		v := it.Value()
		if err := decodeReport(v, &rp); err != nil {
			return counts, from, upTo, fmt.Errorf("outbox %s/%d: %w", customer, seq, err)
		}
		if rp.FinalAt.After(cutoff) {
			// Waiting still, and so is everything after it; the next scan
			// starts here.
			return counts, from, seq, nil
		}
		if v[0] < reportV3 {
			// Written before reports kept their ingress: the record
			// names it, if it is still there.
			if m, err := s.Get(rp.ID); err == nil {
				rp.Ingress = m.Ingress
			}
		}
		counts[rp.Ingress&3]++
		upTo = seq + 1
	}
	return counts, from, upTo, it.Error()
}
