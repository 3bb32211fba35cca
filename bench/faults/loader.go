package faults

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// Loader submits Messages SMS over Conns connections, Window at a time on
// each, and resubmits with the same client_ref until the relay answers:
// through a relay that dies and comes back, every message ends accepted
// exactly once (the relay dedupes by client_ref) or refused.
type Loader struct {
	// Addr is the relay's address now; it changes across restarts.
	Addr     func() string
	Customer string
	Prefix   string // client_ref prefix, unique per run
	Conns    int
	Window   int
	Messages int
	// Rate caps submits per second over all connections; 0 is unlimited.
	Rate float64
	// Product of every message; default SMS.
	Product upstreampb.Product

	next     atomic.Int64
	accepted atomic.Int64
	refused  atomic.Int64
	retries  atomic.Int64
	finals   atomic.Int64

	mu struct {
		sync.Mutex
		ids     map[int]string                     // message index → relay id
		byID    map[string]int                     // relay id → index
		reports map[string][]upstreampb.FinalState // relay id → final states reported
		refusal map[upstreampb.Status]int
		redo    []int // indexes whose submit a cancelled Run left unanswered
	}
}

// Text is the text of message i: unique, so a carrier's copy names it.
func (l *Loader) Text(i int) string { return l.Prefix + " msg " + strconv.Itoa(i) }

func (l *Loader) init() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.ids == nil {
		l.mu.ids, l.mu.byID = map[int]string{}, map[string]int{}
		l.mu.reports, l.mu.refusal = map[string][]upstreampb.FinalState{}, map[upstreampb.Status]int{}
	}
	if l.Product == upstreampb.Product_PRODUCT_UNSPECIFIED {
		l.Product = upstreampb.Product_PRODUCT_SMS
	}
}

// Run submits until every message is answered or ctx ends.
func (l *Loader) Run(ctx context.Context) {
	l.init()
	var lim *rate.Limiter
	if l.Rate > 0 {
		lim = rate.NewLimiter(rate.Limit(l.Rate), max(1, int(l.Rate/50)))
	}
	var wg sync.WaitGroup
	for c := range l.Conns {
		conn := &redial{l: l, name: fmt.Sprintf("%s-%d", l.Prefix, c)}
		for range l.Window {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l.worker(ctx, conn, lim)
			}()
		}
		defer conn.close()
	}
	wg.Wait()
}

func (l *Loader) worker(ctx context.Context, conn *redial, lim *rate.Limiter) {
	for ctx.Err() == nil {
		i, ok := l.take()
		if !ok {
			return
		}
		if lim != nil && lim.Wait(ctx) != nil {
			return
		}
		l.submit(ctx, conn, i)
	}
}

// take is the next message index: first those a cancelled Run left
// unanswered, then new ones; Messages may grow between Runs.
func (l *Loader) take() (int, bool) {
	l.mu.Lock()
	if n := len(l.mu.redo); n > 0 {
		i := l.mu.redo[n-1]
		l.mu.redo = l.mu.redo[:n-1]
		l.mu.Unlock()
		return i, true
	}
	l.mu.Unlock()
	for {
		i := l.next.Load()
		if i >= int64(l.Messages) {
			return 0, false
		}
		if l.next.CompareAndSwap(i, i+1) {
			return int(i), true
		}
	}
}

// submit sends message i until the relay answers it for good.
func (l *Loader) submit(ctx context.Context, conn *redial, i int) {
	s := &upstreampb.Submit{ClientRef: l.Prefix + "-" + strconv.Itoa(i), Product: l.Product,
		Sender: "0212345678", Recipient: "01098765432", Text: l.Text(i)}
	if l.Product == upstreampb.Product_PRODUCT_ALIMTALK {
		s.SenderKey, s.TemplateCode = "faults-key", "FAULTS_01"
	}
	defer func() {
		if ctx.Err() != nil {
			l.mu.Lock()
			if _, ok := l.mu.ids[i]; !ok {
				l.mu.redo = append(l.mu.redo, i)
			}
			l.mu.Unlock()
		}
	}()
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			l.retries.Add(1)
		}
		cl, err := conn.get(ctx)
		if err != nil {
			return
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		r, err := cl.Submit(sctx, s)
		cancel()
		if err != nil {
			conn.broken(cl)
			continue
		}
		switch r.Status {
		case upstreampb.Status_OK:
			l.mu.Lock()
			if _, seen := l.mu.ids[i]; !seen {
				l.mu.ids[i], l.mu.byID[r.MessageId] = r.MessageId, i
				l.accepted.Add(1)
				if len(l.mu.reports[r.MessageId]) > 0 {
					l.finals.Add(1) // its report came before this answer
				}
			}
			l.mu.Unlock()
			return
		case upstreampb.Status_THROTTLED, upstreampb.Status_STORE_UNAVAILABLE, upstreampb.Status_SHUTTING_DOWN:
			l.mu.Lock()
			l.mu.refusal[r.Status]++
			l.mu.Unlock()
			wait := time.Duration(max(r.RetryAfterMs, 5)) * time.Millisecond
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		default:
			l.mu.Lock()
			l.mu.refusal[r.Status]++
			l.mu.Unlock()
			l.refused.Add(1)
			return
		}
	}
}

// onReport records a report. finals counts the acknowledged messages with
// a report, not reports: a message stored but never acknowledged (its
// answer was in flight when a connection or the load stopped) is reported
// too, and must not stand in for one that is still open.
func (l *Loader) onReport(r *upstreampb.Report) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ours := l.mu.byID[r.MessageId]; ours && len(l.mu.reports[r.MessageId]) == 0 {
		l.finals.Add(1)
	}
	l.mu.reports[r.MessageId] = append(l.mu.reports[r.MessageId], r.State)
}

// Accepted is the number of messages the relay acknowledged.
func (l *Loader) Accepted() int64 { return l.accepted.Load() }

// Finals is the number of acknowledged messages with a final report.
func (l *Loader) Finals() int64 { return l.finals.Load() }

// Retries counts resubmissions after a lost connection or a temporary
// refusal.
func (l *Loader) Retries() int64 { return l.retries.Load() }

// IDs is a copy of the acknowledged messages: index → relay id.
func (l *Loader) IDs() map[int]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[int]string, len(l.mu.ids))
	for k, v := range l.mu.ids {
		out[k] = v
	}
	return out
}

// Index is the message index of a relay id, -1 if not one of ours.
func (l *Loader) Index(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i, ok := l.mu.byID[id]; ok {
		return i
	}
	return -1
}

// Reports is a copy of the final states reported per relay id.
func (l *Loader) Reports() map[string][]upstreampb.FinalState {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string][]upstreampb.FinalState, len(l.mu.reports))
	for k, v := range l.mu.reports {
		out[k] = append([]upstreampb.FinalState(nil), v...)
	}
	return out
}

// Refusals counts answers other than OK by status.
func (l *Loader) Refusals() map[upstreampb.Status]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[upstreampb.Status]int{}
	for k, v := range l.mu.refusal {
		out[k] = v
	}
	return out
}

// Listen keeps one connection open to collect reports until ctx ends,
// reconnecting across restarts; Run's connections collect them too.
func (l *Loader) Listen(ctx context.Context) {
	l.init()
	conn := &redial{l: l, name: l.Prefix + "-reports"}
	defer conn.close()
	for ctx.Err() == nil {
		cl, err := conn.get(ctx)
		if err != nil {
			return
		}
		select {
		case <-ctx.Done():
		case <-cl.Done():
			conn.broken(cl)
		}
	}
}

// WaitFinals waits until every accepted message has a final report, or d
// passes; it reports whether all came.
func (l *Loader) WaitFinals(ctx context.Context, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for l.finals.Load() < l.accepted.Load() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(10 * time.Millisecond) // polling an outside process
	}
	return true
}

// redial is one upstream connection shared by a group of workers, dialled
// again when it breaks.
type redial struct {
	l    *Loader
	name string
	mu   struct {
		sync.Mutex
		cl *client.Client
	}
}

var errGaveUp = errors.New("faults: gave up dialling")

func (r *redial) get(ctx context.Context) (*client.Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ctx.Err() == nil {
		if r.mu.cl != nil {
			select {
			case <-r.mu.cl.Done():
				r.mu.cl = nil
			default:
				return r.mu.cl, nil
			}
		}
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		cl, err := client.Dial(dctx, r.l.Addr(), client.Options{Customer: r.l.Customer, Secret: Secret,
			ClientName: r.name, Window: 256, PingInterval: time.Second, UnbindTimeout: 200 * time.Millisecond, OnReport: r.l.onReport})
		cancel()
		if err == nil {
			r.mu.cl = cl
			return cl, nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil, errGaveUp
}

func (r *redial) broken(cl *client.Client) {
	r.mu.Lock()
	mine := r.mu.cl == cl
	if mine {
		r.mu.cl = nil
	}
	r.mu.Unlock()
	if mine {
		cl.Close()
	}
}

func (r *redial) close() {
	r.mu.Lock()
	cl := r.mu.cl
	r.mu.cl = nil
	r.mu.Unlock()
	if cl != nil {
		cl.Close()
	}
}

// WaitSettled waits until every accepted message has a final report, or
// no new one came for quiet, or d passes; it reports whether all came.
//
// quiet must be longer than any spell in which the relay may legitimately
// report nothing while messages are open: a restart (recovery, rebinding,
// the loader's connections dialling again, on a busy machine) and one
// message's whole retry cycle (max_attempts × (response_timeout +
// retry_max)). A quiet that is too short stops the relay with messages in
// flight, which the oracle then counts as lost. RestartQuiet is enough for
// the suite's settings.
// RestartQuiet is WaitSettled's quiet for the suite's scenarios: over the
// 7.5 s retry cycle of the suite's settings (5 × (1 s + 500 ms)) and a
// restart on a loaded 2-core machine.
const RestartQuiet = 12 * time.Second

func (l *Loader) WaitSettled(ctx context.Context, quiet, d time.Duration) bool {
	deadline := time.Now().Add(d)
	last, lastAt := l.finals.Load(), time.Now()
	for l.finals.Load() < l.accepted.Load() {
		now := time.Now()
		if n := l.finals.Load(); n != last {
			last, lastAt = n, now
		}
		if now.After(deadline) || now.Sub(lastAt) > quiet || ctx.Err() != nil {
			return false
		}
		time.Sleep(10 * time.Millisecond) // polling an outside process
	}
	return true
}
