package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// Daily counters: per customer, Seoul day of the final result and product
// as accepted, how many messages became final and how many of them were
// delivered. They are written in the batch that makes a message final, so
// a dashboard reads a month in one short scan instead of every record.
// Messages made final before the table existed are not in it.

// Outcomes of a daily counter.
const (
	dayFinal     byte = 0 // every final message
	dayDelivered byte = 1 // the delivered ones
)

// DayCount is one product's final messages of one day.
type DayCount struct {
	Final, Delivered uint64
}

// dayKey is │0e│ str customer │ day "YYYY-MM-DD" │ product(1) │ outcome(1) │.
func dayKey(customer, day string, p message.Product, outcome byte) []byte {
	return append(append(customerPrefix(tDaily, customer), day...), byte(p), outcome)
}

// seoulDay is the Seoul day of t, "YYYY-MM-DD".
func seoulDay(t time.Time) string { return t.In(seoul).Format(time.DateOnly) }

// seoulDates gives the Seoul day of a time, "YYYY-MM-DD", formatting it
// only when the day is not the one it gave last: a group's messages
// become final on the same day but for the few around midnight, and
// formatting a time was most of what the keys of the daily and billing
// counters cost. Only the builder goroutine uses the store's.
type seoulDates struct {
	day  int64 // of date: days since 1970-01-01 in Seoul
	date [len(time.DateOnly)]byte
	ok   bool
}

// of returns t's Seoul day; it is valid until the next call.
func (c *seoulDates) of(t time.Time) []byte {
	s := t.Unix() + 9*60*60 // seoul's offset
	day := s / 86400
	if s%86400 < 0 {
		day-- // before 1970: round down, not toward zero
	}
	if c.ok && c.day == day {
		return c.date[:]
	}
	b := t.In(seoul).AppendFormat(c.date[:0], time.DateOnly)
	c.day, c.ok = day, len(b) == len(c.date) // not a year of four digits: formatted each time
	return b
}

// countDay adds a message made final to its day's counters. Runs on
// buildLoop, in the batch of the final move; one key buffer, on the
// stack, serves both counters (setCounter copies the key).
func (w *writer) countDay(m *message.Message) error {
	var kb keyBuf
	k := appendCustomerPrefix(kb[:0], tDaily, m.Customer)
	k = append(append(k, w.s.days.of(m.FinalAt)...), byte(m.Product), dayFinal)
	for {
		n, err := w.counter(k)
		if err != nil {
			return err
		}
		w.setCounter(k, n+1)
		if m.State != message.StateDelivered || k[len(k)-1] == dayDelivered {
			return nil
		}
		k[len(k)-1] = dayDelivered
	}
}

// DailyCounts returns a customer's final messages per Seoul day
// ("YYYY-MM-DD", from and to included) and product as accepted.
func (s *Store) DailyCounts(customer, from, to string) (map[string]map[message.Product]DayCount, error) {
	if len(from) != len(time.DateOnly) || len(to) != len(time.DateOnly) {
		return nil, fmt.Errorf("%w: days %q..%q", ErrInvalid, from, to)
	}
	prefix := customerPrefix(tDaily, customer)
	lower := append(append([]byte(nil), prefix...), from...)
	upper := prefixEnd(append(append([]byte(nil), prefix...), to...))
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	out := map[string]map[message.Product]DayCount{}
	for ok := it.First(); ok; ok = it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != len(prefix)+len(time.DateOnly)+2 || len(v) != 8 {
			it.Close()
			return nil, fmt.Errorf("daily %x: %w", k, ErrCorrupt)
		}
		day := string(k[len(prefix) : len(prefix)+len(time.DateOnly)])
		p, o, n := message.Product(k[len(k)-2]), k[len(k)-1], binary.BigEndian.Uint64(v)
		if out[day] == nil {
			out[day] = map[message.Product]DayCount{}
		}
		c := out[day][p]
		switch o {
		case dayFinal:
			c.Final = n
		case dayDelivered:
			c.Delivered = n
		}
		out[day][p] = c
	}
	return out, it.Close()
}
