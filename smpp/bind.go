package smpp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
	"golang.org/x/time/rate"
)

// bind is one bind of a session and the loop that keeps it up: dial, bind,
// serve until the socket dies, back off, again. It owns at most one socket
// at any moment: the next dial starts only after the previous conn's
// goroutines have all returned.
type bind struct {
	cfg  Config
	kind pdu.CommandID // BindTransceiver, BindTransmitter or BindReceiver
	name string
	log  *slog.Logger
	m    *bindMetrics
	thr  *throttle
	win  chan struct{} // window slots; a send holds one until resolved
	seq  atomic.Uint32

	stop      chan struct{} // closed by shutdown
	stopCtx   context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	sometimes rate.Sometimes // rate-limits per-message logs
	rate      meter          // submits written per second, for Status
	unbinding atomic.Bool    // Close sent unbind: the end of the conn is ours

	// spare holds calls done with, for the next requests (getCall).
	spare struct {
		sync.Mutex
		calls []*call
	}

	// cur is mu.cur, for the readers that need only the conn (every
	// submit): written under mu with it.
	cur atomic.Pointer[conn]

	mu struct {
		sync.Mutex
		cur     *conn
		bound   chan struct{} // closed while cur != nil
		since   time.Time     // of the last bind or drop
		lastErr error         // the last failed attempt or lost connection
	}
}

func newBind(cfg Config, kind pdu.CommandID, name string) *bind {
	b := &bind{
		cfg:       cfg,
		kind:      kind,
		name:      name,
		log:       cfg.Logger.With("carrier", cfg.Carrier, "bind", name),
		thr:       newThrottle(cfg.TPS, cfg.Burst, cfg.ThrottlePause),
		win:       make(chan struct{}, cfg.Window),
		stop:      make(chan struct{}),
		sometimes: rate.Sometimes{Interval: time.Second},
	}
	b.stopCtx, b.cancel = context.WithCancel(context.Background())
	b.mu.bound = make(chan struct{})
	b.m = newBindMetrics(cfg.Metrics, cfg.Carrier, name, b)
	return b
}

func (b *bind) receives() bool { return b.kind != pdu.BindTransmitterID }

// nextSeq returns the next sequence number, 1 … 0x7FFFFFFF, then 1 again.
func (b *bind) nextSeq() uint32 {
	for {
		s := b.seq.Add(1)
		if s >= 1 && s <= 0x7FFFFFFF {
			return s
		}
		b.seq.CompareAndSwap(s, 0)
	}
}

// current returns the bound conn, or nil and a channel closed at the next bind.
func (b *bind) current() (*conn, chan struct{}) {
	if c := b.cur.Load(); c != nil {
		return c, nil // the channel is for waiting, with no conn
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mu.cur, b.mu.bound
}

// setConn publishes c unless it already died. Lock order: b.mu, then c.mu.
func (b *bind) setConn(c *conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c.mu.Lock()
	dead := c.mu.err != nil
	c.mu.Unlock()
	if dead {
		return
	}
	b.mu.cur = c
	b.cur.Store(c)
	b.mu.since = time.Now()
	close(b.mu.bound)
}

// dropConn unpublishes c, if it is still the bind's conn, the moment it
// dies, so that no request is handed to a dead socket. The error that
// killed it becomes the bind's reason in the same step: a status read
// before serve notes the drop shows why the bind is down, not
// "connecting".
func (b *bind) dropConn(c *conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mu.cur != c {
		return
	}
	b.mu.cur = nil
	b.cur.Store(nil)
	b.mu.bound = make(chan struct{})
	c.mu.Lock()
	why := c.mu.err
	c.mu.Unlock()
	if why != nil {
		b.mu.lastErr, b.mu.since = why, time.Now()
	}
}

// finish resolves cl and frees its window slot.
func (b *bind) finish(cl *call, p *pdu.PDU, err error) {
	if p != nil {
		b.m.latency.UpdateDuration(cl.sent)
	}
	if cl.windowd {
		cl.windowd = false
		<-b.win
	}
	cl.resp, cl.err = p, err
	cl.done <- struct{}{}
}

// run keeps the bind up until shutdown.
func (b *bind) run() {
	defer b.wg.Done()
	bo := newBackoff(b.cfg.ReconnectMin, b.cfg.ReconnectMax, uint64(time.Now().UnixNano()))
	for {
		c, err := b.connect()
		if err == nil {
			bo.Reset()
			b.serve(c)
		} else if !errors.Is(err, context.Canceled) {
			b.m.bindFail.Inc()
			b.noteErr(err, false)
			b.log.Warn("smpp: bind failed", "err", err)
		}
		select {
		case <-b.stop:
			return
		default:
		}
		t := time.NewTimer(bo.Next())
		select {
		case <-t.C:
		case <-b.stop:
			t.Stop()
			return
		}
	}
}

// serve publishes c as the bind's conn until it dies or shutdown.
func (b *bind) serve(c *conn) {
	b.thr.empty(time.Now())
	c.start()
	b.setConn(c)
	b.m.binds.Inc()
	b.log.Info("smpp: bound", "mode", b.kind)
	select {
	case <-c.done:
	case <-b.stop:
		c.fail(ErrClosed)
	}
	b.dropConn(c)
	c.mu.Lock()
	why := c.mu.err
	c.mu.Unlock()
	if b.closing() {
		// Close sent unbind or stops the bind: the SMSC closing the
		// socket after unbind_resp (EOF) is the clean end, not a drop.
		b.noteErr(ErrClosed, true)
		b.log.Info("smpp: unbound", "err", why)
	} else {
		b.m.drops.Inc()
		b.noteErr(why, true)
		b.log.Warn("smpp: bind down", "err", why)
	}
	c.wait()
}

// closing reports whether the session is closing this bind.
func (b *bind) closing() bool {
	if b.unbinding.Load() {
		return true
	}
	select {
	case <-b.stop:
		return true
	default:
		return false
	}
}

// connect dials and binds one socket.
func (b *bind) connect() (*conn, error) {
	ctx, cancel := context.WithTimeout(b.stopCtx, b.cfg.ResponseTimeout)
	defer cancel()
	nc, err := b.cfg.Dial(ctx)
	if err != nil {
		return nil, err
	}
	stopWatch := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Now()) })
	defer stopWatch()
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	rd := pdu.NewReader(br, uint32(b.cfg.MaxPDULen))
	seq := b.nextSeq()
	req := &pdu.PDU{
		Header: pdu.Header{Command: b.kind, Sequence: seq},
		Body: &pdu.Bind{
			Kind: b.kind, SystemID: b.cfg.SystemID, Password: b.cfg.Password,
			SystemType: b.cfg.SystemType, InterfaceVersion: 0x34,
		},
	}
	buf, err := req.AppendTo(nil)
	if err == nil {
		_, err = nc.Write(buf)
	}
	for err == nil {
		var p *pdu.PDU
		p, err = rd.Read()
		if err != nil {
			break
		}
		switch {
		case p.Command == b.kind.Response() && p.Sequence == seq:
			if p.Status != pdu.StatusOK {
				err = fmt.Errorf("smpp: %s refused: %w", b.kind, p.Status)
				break
			}
			if !stopWatch() {
				err = ctx.Err()
				break
			}
			_ = nc.SetDeadline(time.Time{})
			return newConn(b, nc, br, rd), nil
		case p.Command == pdu.GenericNackID:
			err = fmt.Errorf("smpp: %s answered with generic_nack: %w", b.kind, p.Status)
		}
		// Anything else before the bind response is ignored.
	}
	_ = nc.Close()
	return nil, err
}

// shutdown stops the loop and waits for it.
func (b *bind) shutdown() {
	close(b.stop)
	b.cancel()
	b.wg.Wait()
}

func (b *bind) logErr(msg string, err error) {
	b.sometimes.Do(func() { b.log.Warn(msg, "err", err) })
}

func (b *bind) logLate(p *pdu.PDU) {
	b.m.late.Inc()
	b.sometimes.Do(func() {
		b.log.Warn("smpp: response for no pending request", "command", p.Command, "seq", p.Sequence)
	})
}
