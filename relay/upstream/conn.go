package upstream

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msgrelay/relay/relay/acceptloop"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// conn is one upstream connection. Its goroutines, all waited for in serve:
//
//	serve (bind, then the reader) ─┬─► submitQ ─► ≤ SubmitWorkers workers ┐
//	                               ├─► acks ────► reporter ──────────────┼─► out ─► writer ─► socket
//	                               └─ pong, errors ──────────────────────┘
//
// The reader takes a slot of the in-flight window before it queues a
// submit, so a full window stops the reading: the backpressure reaches the
// client through TCP. A worker frees the slot once the answer is queued.
// The writer consumes out until it is closed, even after a write error, so
// no sender ever blocks on a dead connection.
type conn struct {
	srv    *Server
	raw    net.Conn // the accepted socket: deadlines and Close
	rw     net.Conn // raw, or the TLS conn over it: reads and writes
	remote netip.Addr
	src    netip.Prefix // remote's source, for the pending budget
	log    *slog.Logger
	fr     *FrameReader

	ctx    context.Context // cancelled on abort and on a forced server close
	cancel context.CancelFunc

	unpended     bool      // out of the pending counts (guarded by srv.mu)
	bindDeadline time.Time // the handshake and the bind end by then

	sess     Session
	customer string        // set once counted in the server's per-customer map
	claims   *reportClaims // the customer's, shared by its connections
	rewind   chan struct{} // another connection released reports: look again

	out     chan *[]byte // encoded frames for the writer
	slots   chan struct{}
	submitQ submitQueue
	acks    chan []uint64

	quit      chan struct{} // closed by drain or abort: stop reading
	quitOnce  sync.Once
	draining  atomic.Bool
	aborted   atomic.Bool
	abortOnce sync.Once
}

// pendingSubmit is a Submit, or a PaymentEvent, waiting for a worker.
type pendingSubmit struct {
	seq uint32
	req *upstreampb.Submit
	hot *hotSubmit // what req is part of, for submitPool; nil if protobuf decoded it
	pay *upstreampb.PaymentEvent
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		srv:    s,
		raw:    nc,
		rw:     nc,
		remote: acceptloop.RemoteAddr(nc),
		quit:   make(chan struct{}),
		rewind: make(chan struct{}, 1),
	}
	c.log = s.log.With("remote", c.remote.String())
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	return c
}

// drain asks the connection to stop reading and finish what it has read.
func (c *conn) drain() {
	c.draining.Store(true)
	c.quitOnce.Do(func() { close(c.quit) })
	c.raw.SetReadDeadline(time.Unix(1, 0))
}

// abort ends the connection now: nothing more is read or written.
func (c *conn) abort(err error) {
	c.abortOnce.Do(func() {
		c.aborted.Store(true)
		c.quitOnce.Do(func() { close(c.quit) })
		c.cancel()
		c.raw.Close()
		if err != nil {
			c.log.Debug("connection aborted", "err", err)
		}
	})
}

func (c *conn) stopping() bool { return c.draining.Load() || c.aborted.Load() }

// serve runs the connection to its end.
func (c *conn) serve() {
	defer c.cancel()
	defer c.raw.Close()
	cfg := &c.srv.cfg
	// One absolute deadline for the handshake and the bind: a client that
	// trickles bytes cannot hold the connection longer.
	c.bindDeadline = time.Now().Add(cfg.BindTimeout)
	c.raw.SetDeadline(c.bindDeadline)
	if c.stopping() { // drained before the deadline above was set
		return
	}
	if cfg.TLS != nil {
		tc := tls.Server(c.raw, cfg.TLS)
		if err := tc.HandshakeContext(c.ctx); err != nil {
			c.srv.m.frameErrors.Inc()
			c.log.Debug("tls handshake failed", "err", err)
			return
		}
		c.rw = tc
	}
	c.fr = NewFrameReader(c.rw, cfg.MaxFrameSize)
	c.fr.submits = &submitPool
	// Made before the bind counts the connection for its customer: the
	// status page reads the slots of every counted connection.
	c.slots = make(chan struct{}, cfg.MaxInFlight)
	if !c.bind() {
		if c.claims != nil { // bound, but the answer could not be written
			c.claims.leave(c, nil)
		}
		return
	}
	c.raw.SetDeadline(time.Time{})

	c.out = make(chan *[]byte, 256)
	c.acks = make(chan []uint64, 64)

	var writer, workers, reporter sync.WaitGroup
	writer.Go(c.writeLoop)
	c.submitQ.maxWorkers = cfg.SubmitWorkers
	c.submitQ.start = func() { workers.Go(c.submitLoop) }
	src := c.srv.h.Reports(c.sess)
	reportStop := make(chan struct{})
	reporter.Go(func() { c.reportLoop(src, reportStop) })

	final := c.readLoop()

	// The reader has stopped queueing: the workers finish the queue and exit.
	workers.Wait()
	close(reportStop)
	reporter.Wait()
	if src != nil {
		src.Close()
	}
	if final == nil && c.draining.Load() {
		// Tell the client why, so it reconnects elsewhere or later.
		final = errorFrame(0, upstreampb.Status_SHUTTING_DOWN, "relay shutting down")
	}
	if final != nil && !c.aborted.Load() {
		c.send(final)
	}
	close(c.out)
	writer.Wait()
}
