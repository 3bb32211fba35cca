package store

import "sync"

// tailCap bounds one customer's tail; tailsCap all of them together.
const (
	tailCap  = 1024
	tailsCap = 1 << 16
)

// reportTails holds the newest synced reports of each customer, so that
// a door reading its customer's outbox right after a commit named that
// customer (Options.OnReports) reads memory instead of searching Pebble.
// The syncer adds a group's reports and acknowledgements once the group
// is synced; Reports answers from a customer's tail whenever the tail
// holds every report it could return, and reads Pebble otherwise.
//
// A tail answers for every sequence from its from on: the reports from
// first on, in order and without gaps (a customer's sequences are given in
// the order its messages become final, and groups commit in order), and
// the ones before first, which were acknowledged. A report acknowledged
// is marked; the acknowledged ones at the front are dropped. A gap, a
// range deletion in an outbox or a full tail starts it again.
type reportTails struct {
	mu    sync.Mutex
	by    map[string]*reportTail
	total int
}

type reportTail struct {
	from  uint64 // every unacknowledged report from here on is in the tail
	first uint64 // the sequence of its first report
	// arr[cut:] are the tail's reports. The acknowledged ones cut from
	// its front stay in the array (cleared) until add needs the room:
	// then what is left moves back to the start, and the array does not
	// grow for them.
	arr []tailEntry
	cut int
}

type tailEntry struct {
	r     Report
	acked bool
}

// rs are the tail's reports.
func (t *reportTail) rs() []tailEntry { return t.arr[t.cut:] }

// tailReport is a report a group wrote, for the tails once it is synced.
type tailReport struct {
	customer string
	r        Report
}

// tailAck is an acknowledgement a group wrote.
type tailAck struct {
	customer string
	seqs     []uint64
}

// apply adds a synced group's reports and acknowledgements.
func (ts *reportTails) apply(reports []tailReport, acks []tailAck, cut bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if cut {
		// An outbox lost a range (expired reports, a purged customer).
		ts.by, ts.total = nil, 0
	}
	for i := range reports {
		ts.add(reports[i].customer, &reports[i].r)
	}
	for _, a := range acks {
		t := ts.by[a.customer]
		if t == nil {
			continue
		}
		rs := t.rs()
		for _, seq := range a.seqs {
			if seq >= t.first && seq-t.first < uint64(len(rs)) {
				rs[seq-t.first].acked = true
			}
		}
		n := 0
		for n < len(rs) && rs[n].acked {
			n++
		}
		if n > 0 {
			clear(rs[:n]) // their strings are garbage
			t.cut += n
			t.first += uint64(n)
			ts.total -= n
		}
	}
}

func (ts *reportTails) add(customer string, r *Report) {
	if ts.by == nil {
		ts.by = map[string]*reportTail{}
	}
	t := ts.by[customer]
	if t == nil || r.Seq != t.first+uint64(len(t.rs())) || len(t.rs()) >= tailCap {
		if t != nil {
			ts.total -= len(t.rs())
		}
		if ts.total >= tailsCap {
			ts.by, ts.total = map[string]*reportTail{}, 0
		}
		t = &reportTail{from: r.Seq, first: r.Seq, arr: make([]tailEntry, 0, 64)}
		ts.by[customer] = t
	}
	if len(t.arr) == cap(t.arr) && t.cut >= len(t.arr)/2 {
		// Full, half of it or more cut: move the rest to the start,
		// which copies no more than a grown array would.
		n := copy(t.arr, t.rs())
		clear(t.arr[n:])
		t.arr, t.cut = t.arr[:n], 0
	}
	t.arr = append(t.arr, tailEntry{r: *r})
	ts.total++
}

// reports appends to out up to limit unacknowledged reports of customer
// after afterSeq, and says whether the tail could answer.
func (ts *reportTails) reports(customer string, afterSeq uint64, limit int, out []Report) ([]Report, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t := ts.by[customer]
	if t == nil || afterSeq+1 < t.from {
		return out, false
	}
	rs := t.rs()
	i := 0
	if afterSeq >= t.first {
		i = int(min(afterSeq-t.first+1, uint64(len(rs))))
	}
	if out == nil {
		// Sized once: the reports it will return.
		n := 0
		for j := i; j < len(rs) && n < limit; j++ {
			if !rs[j].acked {
				n++
			}
		}
		if n == 0 {
			return nil, true
		}
		out = make([]Report, 0, n)
	}
	for ; i < len(rs) && len(out) < limit; i++ {
		if !rs[i].acked {
			out = append(out, rs[i].r)
		}
	}
	return out, true
}
