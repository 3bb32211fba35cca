package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// ErrNoneLive is what a Multi answers when none of its connections is up.
var ErrNoneLive = errors.New("upstream/client: no relay connection is up")

// Redial backoff of a Multi's broken connections.
const (
	redialMin = 100 * time.Millisecond
	redialMax = 5 * time.Second
)

// Multi is a client of several relays at once, the nodes of a cluster:
// one connection to each address, each submit sent on a live one in turn.
// A connection that breaks is dialled again in the background, backing off
// from 100 ms to 5 s (each wait drawn between half the backoff and all of
// it), until Close. Each connection receives its own
// node's reports (Options.OnReport is shared by all, and may be called
// from several goroutines at once). A submit whose connection fails
// before its answer returns the error, as Client.Submit does: it may or
// may not have been accepted, and sending it again with the same
// client_ref is the caller's choice. A payment event is sent again on
// another node by PaymentEvent itself: an event is known by its id.
// ManualAck is refused: a report's report_seq is its connection's, and a
// Multi's OnReport does not say which connection it came on. Its methods
// are safe for concurrent use.
type Multi struct {
	addrs  []string
	opt    Options
	next   atomic.Uint32
	stop   chan struct{}
	ctx    context.Context // ends at Close: a dial under way gives up
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu struct {
		sync.Mutex
		conns  []*Client // by address; nil while that one is down
		closed bool
	}
}

// SplitAddrs splits a comma-separated address list, dropping blanks.
func SplitAddrs(list string) []string {
	var out []string
	for _, a := range strings.Split(list, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// DialMulti connects to every address of the comma-separated list and
// binds on each. It fails only when none binds; those that did not are
// dialled again in the background.
func DialMulti(ctx context.Context, addrs string, opt Options) (*Multi, error) {
	if opt.ManualAck {
		return nil, errors.New("upstream/client: ManualAck with several addresses: a report_seq is its connection's; use Dial for each address")
	}
	opt = opt.withDefaults()
	m := &Multi{addrs: SplitAddrs(addrs), opt: opt, stop: make(chan struct{})}
	if len(m.addrs) == 0 {
		return nil, fmt.Errorf("upstream/client: no address in %q", addrs)
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.mu.conns = make([]*Client, len(m.addrs))
	errs := make([]error, len(m.addrs))
	var wg sync.WaitGroup
	for i, a := range m.addrs {
		wg.Go(func() { m.mu.conns[i], errs[i] = Dial(ctx, a, opt) })
	}
	wg.Wait()
	up := 0
	for i, c := range m.mu.conns {
		if c != nil {
			up++
		}
		m.wg.Go(func() { m.keep(i, c) })
	}
	if up == 0 {
		m.Close()
		return nil, fmt.Errorf("upstream/client: no address bound: %w", errors.Join(errs...))
	}
	return m, nil
}

// keep holds connection i up: it waits for c (nil: down) to break, then
// dials its address again until one binds or the Multi closes.
func (m *Multi) keep(i int, c *Client) {
	backoff := time.Duration(0)
	for {
		if c != nil {
			select {
			case <-c.Done():
			case <-m.stop:
				return
			}
			m.opt.Logger.Warn("relay connection broken; dialling again", "addr", m.addrs[i], "err", c.Err())
			m.set(i, nil)
			backoff = 0
		}
		backoff = min(max(2*backoff, redialMin), redialMax)
		t := time.NewTimer(redialDelay(backoff, rand.Int64N))
		select {
		case <-t.C:
		case <-m.stop:
			t.Stop()
			return
		}
		ctx, cancel := context.WithTimeout(m.ctx, redialMax)
		nc, err := Dial(ctx, m.addrs[i], m.opt)
		cancel()
		if err != nil {
			continue
		}
		if !m.set(i, nc) {
			nc.Close()
			return
		}
		c = nc
	}
}

// redialDelay is the wait before a redial at backoff: drawn between half
// of it and all of it (draw(n) is uniform in [0, n)), so that clients cut
// off together, by a node that restarted, do not all dial it again in the
// same instant, and none waits longer than the backoff.
func redialDelay(backoff time.Duration, draw func(n int64) int64) time.Duration {
	half := backoff / 2
	return half + time.Duration(draw(int64(backoff-half)+1))
}

// set records connection i; false when the Multi has closed.
func (m *Multi) set(i int, c *Client) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mu.closed {
		return false
	}
	m.mu.conns[i] = c
	return true
}

// pick returns a live connection, each in turn.
func (m *Multi) pick() (*Client, error) {
	c, _, err := m.pickOther(nil)
	return c, err
}

// pickOther returns a live connection, each in turn, and its index,
// passing over those tried (by index; nil: none).
func (m *Multi) pickOther(tried []bool) (*Client, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mu.closed {
		return nil, 0, ErrClosed
	}
	n := uint32(len(m.mu.conns))
	start := m.next.Add(1)
	for k := range n {
		i := int((start + k) % n)
		if c := m.mu.conns[i]; c != nil && c.Err() == nil && (tried == nil || !tried[i]) {
			return c, i, nil
		}
	}
	return nil, 0, ErrNoneLive
}

// Submit sends one message on a live connection and waits for its answer
// (Client.Submit).
func (m *Multi) Submit(ctx context.Context, s *upstreampb.Submit) (*upstreampb.SubmitResp, error) {
	c, err := m.pick()
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, s)
}

// SubmitAsync sends one message on a live connection without waiting for
// its answer (Client.SubmitAsync). A connection that broke just before is
// passed over for the next live one, since nothing was sent on it.
func (m *Multi) SubmitAsync(ctx context.Context, s *upstreampb.Submit, done func(*upstreampb.SubmitResp, error)) error {
	for range len(m.addrs) {
		c, err := m.pick()
		if err != nil {
			return err
		}
		if err := c.SubmitAsync(ctx, s, done); err == nil || ctx.Err() != nil || c.Err() == nil {
			return err
		}
	}
	return ErrNoneLive
}

// PaymentEvent sends one payment event on a live connection and waits
// for its answer (Client.PaymentEvent). An answer worth a retry
// (STORE_UNAVAILABLE, SHUTTING_DOWN, THROTTLED), or a connection that
// fails before its answer, sends the event again on another live
// connection, each at most once; the last answer or error is returned
// when none took it. A resend is safe: the relay knows an event by its
// event_id and MID, and a node that has it (or, in a cluster, any node,
// through the shared client references) answers a duplicate with the
// first message ids, or STORE_UNAVAILABLE while the first node is still
// storing it.
func (m *Multi) PaymentEvent(ctx context.Context, ev *upstreampb.PaymentEvent) (*upstreampb.PaymentEventResp, error) {
	tried := make([]bool, len(m.addrs))
	var resp *upstreampb.PaymentEventResp
	var last error
	for {
		c, i, err := m.pickOther(tried)
		if err != nil {
			if resp != nil || last != nil {
				return resp, last // every live connection tried
			}
			return nil, err
		}
		tried[i] = true
		resp, last = c.PaymentEvent(ctx, ev)
		switch {
		case ctx.Err() != nil:
			return resp, last
		case last != nil:
			var se *StatusError
			if errors.As(last, &se) && !se.Temporary() {
				return nil, last // a refusal: the same elsewhere
			}
			if c.Err() == nil && !errors.As(last, &se) {
				return nil, last // not the connection's failure: a frame that did not encode
			}
		case !retryable(resp.Status):
			return resp, nil
		}
	}
}

// retryable reports whether a node's answer may be different on another
// node, or later.
func retryable(st upstreampb.Status) bool {
	return (&StatusError{Status: st}).Temporary()
}

// Ping pings every live connection at once and returns their failures,
// joined; ErrNoneLive when none is up.
func (m *Multi) Ping(ctx context.Context) error {
	m.mu.Lock()
	if m.mu.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	var live []*Client
	for _, c := range m.mu.conns {
		if c != nil && c.Err() == nil {
			live = append(live, c)
		}
	}
	m.mu.Unlock()
	if len(live) == 0 {
		return ErrNoneLive
	}
	errs := make([]error, len(live))
	var wg sync.WaitGroup
	for i, c := range live {
		wg.Go(func() { errs[i] = c.Ping(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Done is closed when the Multi is closed; a broken connection does not
// close it (it is dialled again).
func (m *Multi) Done() <-chan struct{} { return m.stop }

// Live counts the connections up now.
func (m *Multi) Live() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.mu.conns {
		if c != nil && c.Err() == nil {
			n++
		}
	}
	return n
}

// Close unbinds every connection and stops dialling.
func (m *Multi) Close() error {
	m.mu.Lock()
	if m.mu.closed {
		m.mu.Unlock()
		return nil
	}
	m.mu.closed = true
	conns := m.mu.conns
	m.mu.Unlock()
	close(m.stop)
	m.cancel()
	var wg sync.WaitGroup
	for _, c := range conns {
		if c != nil {
			wg.Go(func() { c.Close() })
		}
	}
	wg.Wait()
	m.wg.Wait()
	return nil
}
