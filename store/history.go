package store

import (
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// HistoryQuery selects one customer's messages for a page of history.
// Every filter applies before the page is cut.
type HistoryQuery struct {
	Customer  string
	Recipient string    // "": any; otherwise the recipient index is read
	From, To  time.Time // accepted in [From, To)
	// Match filters records (state, product, sender...); nil keeps all.
	Match func(*message.Message) bool
	// Before pages toward older messages, from the newest below this id
	// (0: from the newest of all). After pages toward newer ones, from the
	// oldest above this id; it wins over Before.
	Before, After message.ID
	Limit         int // most messages in the page, > 0
	// Scan bounds the index entries one page reads (0: no bound), so a
	// filter that matches little cannot read a whole history in one
	// request: the page comes back short, with a cursor to go on from.
	Scan int
}

// HistoryPage is one page of history, newest first.
type HistoryPage struct {
	Messages []*message.Message
	// Older is the Before of the next page toward older messages, Newer
	// the After of the page toward newer ones; 0 when there is none.
	Older, Newer message.ID
}

// History reads a page of a customer's messages, newest first, with the
// query's filters applied before the page is cut.
func (s *Store) History(q HistoryQuery) (HistoryPage, error) {
	lo, hi := idFloor(q.From), idFloor(q.To)
	backward := q.After == 0
	if !backward {
		lo = max(lo, q.After+1)
	} else if q.Before != 0 {
		hi = min(hi, q.Before)
	}
	var lower, upper []byte
	if q.Recipient != "" {
		lower, upper = rcptKey(q.Customer, q.Recipient, lo), rcptKey(q.Customer, q.Recipient, hi)
	} else {
		lower, upper = custKey(q.Customer, lo), custKey(q.Customer, hi)
	}
	var page HistoryPage
	if lo >= hi {
		return page, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return page, err
	}
	first, step := it.First, it.Next
	if backward {
		first, step = it.Last, it.Prev
	}
	var last message.ID // last index entry read
	scanned, stopped := 0, false
	for ok := first(); ok; ok = step() {
		if q.Scan > 0 && scanned == q.Scan {
			stopped = true
			break
		}
		scanned++
		id := idAt(it.Key())
		m, err := s.Get(id)
		if err != nil {
			continue // purged between the index read and now
		}
		if q.Match != nil && !q.Match(m) {
			last = id
			continue
		}
		if len(page.Messages) == q.Limit {
			stopped = true // one more matches: there is a next page
			break
		}
		last = id
		page.Messages = append(page.Messages, m)
	}
	if err := it.Close(); err != nil {
		return HistoryPage{}, err
	}
	ms := page.Messages
	if backward {
		if stopped {
			page.Older = last
		}
		if q.Before != 0 {
			page.Newer = q.Before - 1
			if len(ms) > 0 {
				page.Newer = ms[0].ID
			}
		}
		return page, nil
	}
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	if stopped {
		page.Newer = last
	}
	page.Older = q.After + 1
	if len(ms) > 0 {
		page.Older = ms[len(ms)-1].ID
	}
	return page, nil
}

// CountHistory counts a customer's messages accepted in [from, to), to a
// recipient if one is given, reading index keys only. It stops at limit
// and reports whether the count is exact.
func (s *Store) CountHistory(customer, recipient string, from, to time.Time, limit int) (int, bool, error) {
	lower, upper := custKey(customer, idFloor(from)), custKey(customer, idFloor(to))
	if recipient != "" {
		lower, upper = rcptKey(customer, recipient, idFloor(from)), rcptKey(customer, recipient, idFloor(to))
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, false, err
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if n == limit {
			return n, false, it.Close()
		}
		n++
	}
	return n, true, it.Close()
}
