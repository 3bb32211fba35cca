package store

import (
	"context"
	"math"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// AgeBuckets are the upper bounds of OpenSummary's age columns; the last
// column holds the rest.
var AgeBuckets = []time.Duration{time.Minute, time.Hour, 24 * time.Hour}

// OpenSummary counts the open (not final) messages by state and by age
// since acceptance.
type OpenSummary struct {
	Total int `json:"total"`
	// ByState maps a state's name to its counts per age column: one per
	// AgeBuckets bound, then one for older messages.
	ByState map[string][]int `json:"by_state"`
	// Oldest is the acceptance time of the oldest open message counted.
	Oldest time.Time `json:"oldest,omitzero"`
	// Truncated: the scan stopped at its limit; the counts are a lower bound.
	Truncated bool `json:"truncated,omitempty"`
}

// OpenSummary reads at most limit open messages, those with the earliest
// deadlines first, and counts them. It reads only the due table, where
// every message that is not final has its deadline, and those records.
// An open entry left by an older release that Recover has not yet removed
// is not read: its message has a due entry too, unless it was accepted
// before every state had a deadline, which Recover fixes.
//
// The messages of the due window (accepted in the last Options.DueDelay,
// their keys not written yet) are counted after those of the due table.
func (s *Store) OpenSummary(now time.Time, limit int) (OpenSummary, error) {
	win, err := s.windowIDs(context.Background(), math.MaxInt64)
	if err != nil {
		return OpenSummary{}, err
	}
	idx, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tDue}, UpperBound: []byte{tDue + 1}})
	if err != nil {
		return OpenSummary{}, err
	}
	defer idx.Close()
	sum := OpenSummary{ByState: map[string][]int{}}
	seen := map[message.ID]bool{} // a message with a due entry of an older rule too
	ids := func(yield func(message.ID) bool) {
		for ok := idx.First(); ok; ok = idx.Next() {
			if !yield(idAt(idx.Key())) {
				return
			}
		}
		for _, id := range win {
			if !yield(id) {
				return
			}
		}
	}
	for id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		m, err := s.Get(id)
		if err != nil {
			return sum, err
		}
		if m.State.Final() {
			continue // an entry of an older deadline rule, which expiry removes
		}
		if sum.Total == limit {
			sum.Truncated = true
			break
		}
		sum.Total++
		row := sum.ByState[m.State.String()]
		if row == nil {
			row = make([]int, len(AgeBuckets)+1)
			sum.ByState[m.State.String()] = row
		}
		age, col := now.Sub(m.AcceptedAt), len(AgeBuckets)
		for i, b := range AgeBuckets {
			if age < b {
				col = i
				break
			}
		}
		row[col]++
		if sum.Oldest.IsZero() || m.AcceptedAt.Before(sum.Oldest) {
			sum.Oldest = m.AcceptedAt
		}
	}
	return sum, idx.Error()
}
