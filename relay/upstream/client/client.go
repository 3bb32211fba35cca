// Package client is the Go client of the upstream protocol: it binds,
// pipelines submits over one connection within a window, receives status
// reports and acknowledges them. The relay's CLI and the bench harness use
// it; the protocol is described in package relay/upstream.
package client

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// Client is one bound connection to the relay. Its methods are safe for
// concurrent use.
type Client struct {
	opt  Options
	nc   net.Conn
	fr   *upstream.FrameReader
	log  *slog.Logger
	bind *upstreampb.BindResp

	window chan struct{}
	out    chan *[]byte
	done   chan struct{} // closed when the connection has failed or closed

	mu struct {
		sync.Mutex
		seq     uint32
		pending map[uint32]*call
		err     error // why done was closed
		reports []*upstreampb.Report
		closing bool
	}
	reportSignal chan struct{}
	wg           sync.WaitGroup
}

// call waits for the answer to one request: on ch, or, for SubmitAsync,
// in done (called with the connection's error when it fails first).
type call struct {
	ch        chan *upstreampb.Frame // capacity 1
	done      func(*upstreampb.SubmitResp, error)
	windowed  bool // holds a window slot until answered
	abandoned bool // the caller gave up; drop the answer
}

// Dial connects to addr over TCP (and TLS when set) and binds.
func Dial(ctx context.Context, addr string, opt Options) (*Client, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("upstream/client: dial: %w", err)
	}
	if opt.TLS != nil {
		tc := tls.Client(nc, opt.TLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("upstream/client: tls: %w", err)
		}
		nc = tc
	}
	c, err := New(ctx, nc, opt)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// New binds over a connection the caller made; the Client owns it after.
func New(ctx context.Context, nc net.Conn, opt Options) (*Client, error) {
	opt = opt.withDefaults()
	c := &Client{
		opt:          opt,
		nc:           nc,
		fr:           upstream.NewFrameReader(nc, opt.MaxFrameSize),
		log:          opt.Logger.With("component", "upstream/client", "customer", opt.Customer),
		out:          make(chan *[]byte, 256),
		done:         make(chan struct{}),
		reportSignal: make(chan struct{}, 1),
	}
	c.mu.pending = make(map[uint32]*call)
	if err := c.doBind(ctx); err != nil {
		return nil, err
	}
	window := min(opt.Window, int(c.bind.MaxInFlight))
	if window <= 0 {
		window = opt.Window
	}
	c.window = make(chan struct{}, window)
	c.wg.Go(c.readLoop)
	c.wg.Go(c.writeLoop)
	c.wg.Go(c.reportLoop)
	if opt.PingInterval > 0 {
		c.wg.Go(c.pingLoop)
	}
	return c, nil
}

func (c *Client) doBind(ctx context.Context) error {
	version := c.opt.Version
	if version == 0 {
		version = upstream.Version
	}
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetDeadline(dl)
		defer c.nc.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	b, err := upstream.AppendFrame(nil, &upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Bind{Bind: &upstreampb.Bind{
		Customer: c.opt.Customer, Secret: c.opt.Secret, Version: version, ClientName: c.opt.ClientName,
	}}})
	if err != nil {
		return err
	}
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("upstream/client: bind: %w", err)
	}
	var f upstreampb.Frame
	if err := c.fr.Read(&f); err != nil {
		return fmt.Errorf("upstream/client: bind: %w", err)
	}
	if e := f.GetError(); e != nil {
		return &StatusError{Op: "bind", Status: e.Status, Reason: e.Reason}
	}
	r := f.GetBindResp()
	if r == nil {
		return fmt.Errorf("%w: bind answered with %T", ErrBadSeq, f.Op)
	}
	if r.Status != upstreampb.Status_OK {
		return &StatusError{Op: "bind", Status: r.Status, Reason: r.Reason}
	}
	c.bind = r
	c.mu.seq = 1
	return nil
}

// Version is the protocol version agreed at bind.
func (c *Client) Version() uint32 { return c.bind.Version }

// Done is closed when the connection has ended; Err says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is nil while the connection is up, ErrClosed after Close, or the
// error that broke it.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.err
}

// fail ends the connection with err and answers every waiting call.
func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.mu.err != nil {
		c.mu.Unlock()
		return
	}
	c.mu.err = err
	pending := c.mu.pending
	c.mu.pending = make(map[uint32]*call)
	c.mu.Unlock()
	close(c.done)
	c.nc.Close()
	for _, cl := range pending {
		if cl.done != nil {
			cl.done(nil, err)
			continue
		}
		select {
		case cl.ch <- nil:
		default:
		}
	}
}

// Close unbinds (the relay answers the submits in flight first), then
// closes the connection and waits for the client's goroutines.
func (c *Client) Close() error {
	c.mu.Lock()
	already := c.mu.closing
	c.mu.closing = true
	c.mu.Unlock()
	if !already && c.Err() == nil {
		ctx, cancel := context.WithTimeout(context.Background(), c.opt.UnbindTimeout)
		_, err := c.roundTrip(ctx, &upstreampb.Frame{Op: &upstreampb.Frame_Unbind{Unbind: &upstreampb.Unbind{}}}, false)
		cancel()
		if err != nil {
			c.log.Debug("unbind failed", "err", err)
		}
	}
	c.fail(ErrClosed)
	c.wg.Wait()
	return nil
}
