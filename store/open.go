package store

import (
	"errors"
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

var errScanLimit = errors.New("store: open scan limit")

// OpenSummary reads at most limit open messages, oldest id first, and
// counts them. It reads only the open table and those records.
func (s *Store) OpenSummary(now time.Time, limit int) (OpenSummary, error) {
	idx, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tOpen}, UpperBound: []byte{tOpen + 1}})
	if err != nil {
		return OpenSummary{}, err
	}
	defer idx.Close()
	sum := OpenSummary{ByState: map[string][]int{}}
	err = s.joinRecords(idx, func(m *message.Message) error {
		if sum.Total == limit {
			sum.Truncated = true
			return errScanLimit
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
		return nil
	})
	if errors.Is(err, errScanLimit) {
		err = nil
	}
	return sum, err
}
