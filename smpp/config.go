package smpp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/msgrelay/relay/smpp/pdu"
)

// BindMode says how a Session binds to its SMSC.
type BindMode int

const (
	// BindTransceiver binds one socket that both submits and receives.
	BindTransceiver BindMode = iota
	// BindTxRx binds two sockets: a transmitter for submits and a receiver
	// for deliver_sm. Each socket is owned by its own loop.
	BindTxRx
	// BindTransmitter binds a single transmitter; deliver_sm never arrives.
	BindTransmitter
	// BindReceiver binds a single receiver; Submit fails with ErrNoTransmitter.
	BindReceiver
)

func (m BindMode) String() string {
	switch m {
	case BindTransceiver:
		return "transceiver"
	case BindTxRx:
		return "tx+rx"
	case BindTransmitter:
		return "transmitter"
	case BindReceiver:
		return "receiver"
	}
	return fmt.Sprintf("BindMode(%d)", int(m))
}

// Config is a Session's settings. The zero value of every optional field is
// replaced by the default documented on it; Validate reports what cannot be
// defaulted.
type Config struct {
	// Addr is the SMSC's host:port. Required unless Dial is set.
	Addr string
	// SystemID and Password are sent in every bind. SystemID is required.
	SystemID   string
	Password   string
	SystemType string
	// Mode is the bind mode; the default is BindTransceiver.
	Mode BindMode

	// Window is the number of requests outstanding on one bind before
	// callers block. Default 64.
	Window int
	// ResponseTimeout bounds the wait for any response (bind, submit,
	// enquire_link, unbind). Default 10s.
	ResponseTimeout time.Duration
	// EnquireLinkInterval is the idle time after which an enquire_link is
	// sent. A missing answer within ResponseTimeout closes the socket and
	// rebinds. Default 30s.
	EnquireLinkInterval time.Duration
	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// bind attempts; each wait is jittered to [d/2, d). Defaults 500ms, 30s.
	ReconnectMin, ReconnectMax time.Duration

	// TPS is the most submits per transmitting bind in any one second (a
	// carrier counts per second); 0 means unlimited. The bucket starts
	// empty on every bind, so a rebind cannot burst.
	TPS float64
	// Burst is the bucket size; default 1 (evenly paced). A bucket of b
	// lets b submits go at once after an idle spell, so to keep every
	// second within TPS the steady rate is TPS − (b − 1). It must be
	// below TPS.
	Burst int
	// ThrottlePause is how long submits stop after ESME_RTHROTTLED or
	// ESME_RMSGQFUL; the rate is also halved and doubles back every
	// ThrottlePause without a new throttle. Default 1s.
	ThrottlePause time.Duration

	// MaxPDULen caps command_length of received PDUs. Default 64 KiB.
	MaxPDULen int
	// FailFast makes Submit return ErrNotBound at once while the bind is
	// down, instead of waiting for the rebind until ctx ends.
	FailFast bool
	// AwaitWritten makes a request, once written to the socket, wait for
	// its answer, the response timeout or the loss of the connection
	// (each of which ends every written request), even if ctx ends first:
	// the caller learns what the SMSC made of every request it wrote. ctx
	// still bounds the waits before the write (window, rate, bind). A
	// caller that submits for a relay wants this: an answer given up on
	// leaves a message the SMSC may have taken to be sent again. It also
	// saves a select on ctx per request.
	AwaitWritten bool

	// OnDeliver receives every deliver_sm (receipts and mobile-originated
	// messages). deliver_sm_resp is written only after it returns nil; an
	// error answers ESME_RX_T_APPN, or the Status the error wraps. Nil
	// acknowledges everything.
	OnDeliver DeliverHandler
	// OnDeliverBatch, if set, is used instead of OnDeliver: a worker that
	// takes a deliver_sm takes every other one already waiting too (up to
	// 128) and hands them over in one call, so that a handler can make
	// them durable in one write. deliver_sm_resp is written for each
	// after it returns, by the error it left at the same index of errs.
	OnDeliverBatch DeliverBatchHandler
	// HandlerWorkers run OnDeliver per bind (default 4); HandlerQueue
	// deliver_sm wait for a worker (default 256). When both are full a
	// deliver_sm is answered ESME_RX_T_APPN at once (the SMSC delivers it
	// again later) so that the reader never stalls: a stalled reader would
	// hold up submit_sm_resp and enquire_link_resp too.
	HandlerWorkers int
	HandlerQueue   int

	// Dial opens the socket for one bind. Default: net.Dialer on Addr.
	Dial func(ctx context.Context) (net.Conn, error)
	// Logger receives bind state changes and rate-limited errors.
	Logger *slog.Logger
	// Metrics is the set metrics are registered in; default a new Set,
	// reachable with Session.Metrics.
	Metrics *metrics.Set
	// Carrier and Name label the metrics (carrier="…", bind="…").
	Carrier, Name string
}

// DeliverHandler handles one deliver_sm. It may block; it runs on one of
// the bind's handler workers.
type DeliverHandler func(ctx context.Context, d *pdu.DeliverSM) error

// DeliverBatchHandler handles the deliver_sm that arrived together; it
// sets errs[i] (len(ds), all nil on entry) for each one it refuses. It
// may block; it runs on one of the bind's handler workers, and must not
// keep ds.
type DeliverBatchHandler func(ctx context.Context, ds []*pdu.DeliverSM, errs []error)

// ErrConfig is wrapped by every Validate error.
var ErrConfig = errors.New("smpp: invalid config")

// Validate checks the settings that have no default.
func (c *Config) Validate() error {
	switch {
	case c.Addr == "" && c.Dial == nil:
		return fmt.Errorf("%w: Addr is empty", ErrConfig)
	case c.SystemID == "":
		return fmt.Errorf("%w: SystemID is empty", ErrConfig)
	case len(c.SystemID) > 15:
		return fmt.Errorf("%w: SystemID longer than 15", ErrConfig)
	case len(c.Password) > 8:
		return fmt.Errorf("%w: Password longer than 8", ErrConfig)
	case len(c.SystemType) > 12:
		return fmt.Errorf("%w: SystemType longer than 12", ErrConfig)
	case c.Mode < BindTransceiver || c.Mode > BindReceiver:
		return fmt.Errorf("%w: bad Mode %d", ErrConfig, c.Mode)
	case c.Window < 0 || c.TPS < 0 || c.Burst < 0 || c.MaxPDULen < 0:
		return fmt.Errorf("%w: negative Window, TPS, Burst or MaxPDULen", ErrConfig)
	case c.TPS > 0 && float64(c.Burst) >= c.TPS && c.Burst > 1:
		return fmt.Errorf("%w: Burst %d not below TPS %v", ErrConfig, c.Burst, c.TPS)
	case c.ReconnectMax != 0 && c.ReconnectMax < c.ReconnectMin:
		return fmt.Errorf("%w: ReconnectMax < ReconnectMin", ErrConfig)
	case c.MaxPDULen != 0 && c.MaxPDULen < 64:
		return fmt.Errorf("%w: MaxPDULen below 64", ErrConfig)
	}
	return nil
}

// withDefaults returns a copy with every zero optional field defaulted.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Window == 0 {
		c.Window = 64
	}
	def(&c.ResponseTimeout, 10*time.Second)
	def(&c.EnquireLinkInterval, 30*time.Second)
	def(&c.ReconnectMin, 500*time.Millisecond)
	def(&c.ReconnectMax, 30*time.Second)
	def(&c.ThrottlePause, time.Second)
	if c.ReconnectMax < c.ReconnectMin {
		c.ReconnectMax = c.ReconnectMin
	}
	if c.Burst == 0 {
		c.Burst = 1
	}
	if c.MaxPDULen == 0 {
		c.MaxPDULen = 64 << 10
	}
	if c.HandlerWorkers <= 0 {
		c.HandlerWorkers = 4
	}
	if c.HandlerQueue <= 0 {
		c.HandlerQueue = 256
	}
	if c.Dial == nil {
		addr := c.Addr
		c.Dial = func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = metrics.NewSet()
	}
	return c
}
