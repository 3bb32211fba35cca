package store

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// MonthCounts returns a customer's delivered messages in one settlement
// month ("YYYY-MM", Asia/Seoul) per billed product.
func (s *Store) MonthCounts(customer, month string) (map[message.Product]uint64, error) {
	if len(month) != len("2006-01") {
		return nil, fmt.Errorf("%w: month %q", ErrInvalid, month)
	}
	prefix := append(customerPrefix(tBill, customer), month...)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	out := make(map[message.Product]uint64)
	for ok := it.First(); ok; ok = it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != len(prefix)+1 || len(v) != 8 {
			it.Close()
			return nil, fmt.Errorf("bill %x: %w", k, ErrCorrupt)
		}
		out[message.Product(k[len(k)-1])] = binary.BigEndian.Uint64(v)
	}
	return out, it.Close()
}

// Recount counts a customer's delivered messages of one month from the
// message records themselves, for settlement checks against MonthCounts.
// It reads every record of the customer.
func (s *Store) Recount(customer, month string) (map[message.Product]uint64, error) {
	out := make(map[message.Product]uint64)
	err := s.scanCustomer(customer, func(m *message.Message) error {
		if m.State == message.StateDelivered && billingMonth(m.FinalAt) == month {
			out[m.Billed]++
		}
		return nil
	})
	return out, err
}
