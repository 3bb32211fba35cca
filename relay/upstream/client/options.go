package client

import (
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// Options configure a client connection. Customer and Secret are required.
type Options struct {
	Customer   string
	Secret     string // sent in the Bind only; never logged
	ClientName string // shown in the relay's logs

	TLS *tls.Config // nil: plain TCP

	// Window is the number of submits in flight at once; default 1024,
	// never more than the relay's max_in_flight.
	Window int
	// MaxFrameSize is the largest frame body read from the relay; default
	// 64 KiB.
	MaxFrameSize int
	// PingInterval is how often an idle connection is pinged, and how long
	// a pong may take; default 30s, negative disables pinging.
	PingInterval time.Duration
	// UnbindTimeout bounds the wait for the relay's answer in Close;
	// default 10s.
	UnbindTimeout time.Duration

	// OnReport receives each status report, in order, from one goroutine.
	// Unless ManualAck is set, the report is acknowledged after OnReport
	// returns (acks are batched). Without OnReport, reports are
	// acknowledged and dropped.
	OnReport  func(*upstreampb.Report)
	ManualAck bool

	Logger *slog.Logger

	// Version overrides the protocol version sent in the Bind (tests).
	Version uint32
}

func (o Options) withDefaults() Options {
	if o.Window <= 0 {
		o.Window = 1024
	}
	if o.MaxFrameSize <= 0 {
		o.MaxFrameSize = 64 << 10
	}
	if o.PingInterval == 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.UnbindTimeout <= 0 {
		o.UnbindTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
