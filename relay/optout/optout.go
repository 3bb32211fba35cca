// Package optout keeps each customer's advertising opt-out list (080
// 수신거부): the numbers that asked the customer to stop sending them
// advertisements. The door refuses an advertisement to a listed number
// (OPTED_OUT); other messages are not affected.
//
// Numbers come from the admin API, one by one or as a CSV import. Every
// change is written to a journal (data_dir/optout.jsonl, one fsynced JSON
// line per change, a whole import being one line) before it takes effect,
// and replayed at start. Lookups are lock-free reads of a copy-on-write
// snapshot and do not allocate.
package optout

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/journal"
)

// ErrNumber is a number that is not a Korean mobile number.
var ErrNumber = errors.New("optout: not a Korean mobile number")

// MaxImport is the most numbers one import may carry.
const MaxImport = 1_000_000

type numbers map[string]struct{}

// List is every customer's opt-out list. It is safe for concurrent use.
type List struct {
	snap atomic.Pointer[map[string]numbers] // by customer
	j    *journal.Journal                   // nil: not persisted here
	// record, when set, keeps every change elsewhere (a cluster's shared
	// state) before it takes effect.
	record func(customer string, add, remove []string) error

	mu sync.Mutex // serialises writers
}

// change is one journal record.
type change struct {
	Customer string   `json:"customer"`
	Add      []string `json:"add,omitempty"`
	Remove   []string `json:"remove,omitempty"`
}

// Open loads the list from the journal at path, creating it if need be;
// path "" keeps the list in memory only.
func Open(path string) (*List, error) {
	l := &List{}
	m := map[string]numbers{}
	l.snap.Store(&m)
	if path == "" {
		return l, nil
	}
	j, err := journal.Open(path, func(b []byte) error {
		var c change
		if err := json.Unmarshal(b, &c); err != nil {
			return err
		}
		l.apply(c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	l.j = j
	return l, nil
}

// Shared makes an empty list whose changes record keeps elsewhere (a
// cluster's shared state) before they take effect; the changes read back
// from there are put in force with [List.Apply].
func Shared(record func(customer string, add, remove []string) error) *List {
	l := &List{record: record}
	m := map[string]numbers{}
	l.snap.Store(&m)
	return l
}

// Apply puts in force a change recorded already (read back from a
// cluster's shared state): no journal, no record.
func (l *List) Apply(customer string, add, remove []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.apply(change{Customer: customer, Add: add, Remove: remove})
}

// Close closes the journal.
func (l *List) Close() error {
	if l.j == nil {
		return nil
	}
	return l.j.Close()
}

// OptedOut reports whether recipient (normalised, 010…) is on customer's
// list.
func (l *List) OptedOut(customer, recipient string) bool {
	_, ok := (*l.snap.Load())[customer][recipient]
	return ok
}

// Customers returns the customers whose lists hold a number, sorted.
func (l *List) Customers() []string {
	var out []string
	for c, nums := range *l.snap.Load() {
		if len(nums) > 0 {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// Numbers returns customer's list, sorted.
func (l *List) Numbers(customer string) []string {
	return slices.Sorted(maps.Keys((*l.snap.Load())[customer]))
}

// Add puts numbers ('-', spaces and +82 allowed) on customer's list and
// returns how many were new. A number that is not a mobile number fails
// the whole call, naming it; nothing is added.
func (l *List) Add(customer string, nums []string) (int, error) {
	return l.write(customer, nums, true)
}

// Remove takes numbers off customer's list and returns how many were on it.
func (l *List) Remove(customer string, nums []string) (int, error) {
	return l.write(customer, nums, false)
}

func (l *List) write(customer string, nums []string, add bool) (int, error) {
	if customer == "" {
		return 0, errors.New("optout: no customer")
	}
	if len(nums) > MaxImport {
		return 0, fmt.Errorf("optout: %d numbers, at most %d at once", len(nums), MaxImport)
	}
	norm := make([]string, 0, len(nums))
	for i, n := range nums {
		r, ok := door.NormalizeRecipient(n)
		if !ok {
			return 0, fmt.Errorf("%w: number %d, %q", ErrNumber, i+1, n)
		}
		norm = append(norm, r)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := (*l.snap.Load())[customer]
	c := change{Customer: customer}
	seen := make(map[string]bool, len(norm))
	for _, n := range norm {
		_, on := cur[n]
		if on != add && !seen[n] {
			seen[n] = true
			if add {
				c.Add = append(c.Add, n)
			} else {
				c.Remove = append(c.Remove, n)
			}
		}
	}
	changed := len(c.Add) + len(c.Remove)
	if changed == 0 {
		return 0, nil
	}
	if l.record != nil {
		if err := l.record(customer, c.Add, c.Remove); err != nil {
			return 0, fmt.Errorf("optout: not recorded: %w", err)
		}
	}
	if l.j != nil {
		if err := l.j.Append(c); err != nil {
			return 0, fmt.Errorf("optout: not persisted: %w", err)
		}
	}
	l.apply(c)
	return changed, nil
}

// apply publishes a change: customer's set is copied, the others shared.
func (l *List) apply(c change) {
	old := *l.snap.Load()
	set := maps.Clone(old[c.Customer])
	if set == nil {
		set = numbers{}
	}
	for _, n := range c.Add {
		set[n] = struct{}{}
	}
	for _, n := range c.Remove {
		delete(set, n)
	}
	m := maps.Clone(old)
	m[c.Customer] = set
	l.snap.Store(&m)
}

// ParseCSV reads the numbers of a CSV import: the first column of each
// row; a first row whose first cell is not a number (a header) and empty
// rows are skipped.
func ParseCSV(r io.Reader) ([]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out []string
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("optout: CSV: %w", err)
		}
		if len(rec) == 0 || strings.TrimSpace(rec[0]) == "" {
			continue
		}
		v := strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff"))
		if _, ok := door.NormalizeRecipient(v); !ok && row == 1 {
			continue // a header
		}
		out = append(out, v)
		if len(out) > MaxImport {
			return nil, fmt.Errorf("optout: CSV has more than %d numbers", MaxImport)
		}
	}
}
