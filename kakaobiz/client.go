package kakaobiz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"
	"golang.org/x/time/rate"
)

// Client sends BizMessages over a bounded pool of connections. It is safe
// for concurrent use; it starts no goroutines of its own.
type Client struct {
	cfg   Config
	log   *slog.Logger
	clock Clock
	hc    *fasthttp.HostClient
	host  string
	sem   chan struct{} // one slot per call in flight; MaxConns slots
	tok   *tokenSource
	m     *clientMetrics

	alertLog rate.Sometimes

	inflight atomic.Int64
	waiting  atomic.Int64
	closed   atomic.Bool
}

// Result is the outcome of a Send or a Lookup. Its embedded Decision says
// what to do next; Code is Kakao's code (or "http 503", "timeout", …).
type Result struct {
	Serial string
	Decision
	UID       string // Kakao's id of the message, when it gave one
	Message   string // Kakao's text for the code
	Status    int    // last HTTP status; 0 when there was no answer
	Attempts  int    // HTTP send attempts this call made
	Duplicate bool   // Kakao already held this serial; the result is its lookup
}

// New makes a client. cfg gets its defaults and is validated.
func New(cfg Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.BaseURL) // Validate parsed it
	tls := u.Scheme == "https"
	addr := u.Host
	if u.Port() == "" {
		addr += map[bool]string{true: ":443", false: ":80"}[tls]
	}
	c := &Client{
		cfg:   cfg,
		log:   cfg.Logger.With("client", cfg.Name),
		clock: cfg.Clock,
		hc:    newHostClient(cfg, addr, tls),
		host:  u.Host,
		sem:   make(chan struct{}, cfg.MaxConns),
	}
	c.alertLog.Interval = time.Second
	c.tok = newTokenSource(c)
	c.m = newClientMetrics(c)
	return c, nil
}

// Close releases idle connections and unregisters the metrics. Calls in
// flight finish; later calls return ErrClosed.
func (c *Client) Close() {
	if c.closed.Swap(true) {
		return
	}
	c.hc.CloseIdleConnections()
	metrics.UnregisterSet(c.m.set, true)
}

// Send sends one message and returns its classified result. It retries a
// Retry decision itself, with the same serial, up to MaxAttempts, waiting
// the backoff or the server's Retry-After in between. The error is nil
// whenever Result.Action is final or Wait; it wraps ErrRetriesExhausted
// (and the last cause) when the message is still pending, ErrInvalidRequest
// when nothing was sent, or the context's error.
func (c *Client) Send(ctx context.Context, r *Request) (Result, error) {
	if c.closed.Load() {
		return Result{}, ErrClosed
	}
	if err := r.validate(); err != nil {
		return Result{}, err
	}
	bufp := getBuf()
	defer putBuf(bufp)
	*bufp = appendRequest((*bufp)[:0], r)
	body := *bufp

	res := Result{Serial: r.Serial}
	for attempt := 1; ; attempt++ {
		res.Attempts = attempt
		x, err := c.exchange(ctx, pathSend, body)
		res.Decision, res.Status, res.UID, res.Message = x.decision, x.status, x.uid, x.message
		c.m.results[x.decision.Action].Inc()
		c.m.code(c.cfg.Name, x.decision)
		if err != nil && ctx.Err() != nil {
			return c.finish(res), ctx.Err()
		}
		if x.status == 409 {
			return c.finish(c.duplicate(ctx, res)), nil
		}
		if res.Action != Retry {
			return c.finish(res), nil
		}
		if attempt >= c.cfg.MaxAttempts {
			if err == nil {
				err = fmt.Errorf("%s: %s", res.Code, res.Reason)
			}
			return c.finish(res), fmt.Errorf("%w after %d attempts: %w", ErrRetriesExhausted, attempt, err)
		}
		c.m.retries.Inc()
		wait := c.backoff(attempt)
		if x.retryAfter > 0 {
			wait = min(x.retryAfter, c.cfg.MaxRetryAfter)
		}
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return c.finish(res), err
		}
	}
}

// duplicate handles a 409: Kakao already accepted this serial (an earlier
// attempt whose answer was lost). Never send again; return what a lookup
// says, or Wait when it cannot say yet.
func (c *Client) duplicate(ctx context.Context, res Result) Result {
	c.m.duplicates.Inc()
	lr, err := c.Lookup(ctx, res.Serial)
	if err != nil || lr.Action == Retry {
		res.Duplicate = true
		return res // Decision is the 409 row: Wait
	}
	lr.Attempts, lr.Duplicate = res.Attempts, true
	return lr
}

func (c *Client) finish(res Result) Result {
	c.m.final[res.Action].Inc()
	if res.Action == FallbackAlert {
		c.m.operatorAlerts.Inc()
		// Per-message log on a hot path: one a second; the counter has all.
		c.alertLog.Do(func() {
			c.log.Warn("kakao answer needs an operator", "serial", res.Serial, "code", res.Code,
				"reason", res.Reason, "alerts_total", c.m.operatorAlerts.Get())
		})
	}
	return res
}

// Lookup asks Kakao for the current result of a serial: how a Wait (3005,
// or a duplicate) becomes final. It makes one attempt; a Retry decision means
// ask again later. ErrNotFound means Kakao never accepted the serial.
func (c *Client) Lookup(ctx context.Context, serial string) (Result, error) {
	if c.closed.Load() {
		return Result{}, ErrClosed
	}
	if serial == "" || len(serial) > maxSerialLen {
		return Result{}, fmt.Errorf("%w: serial must be 1..30 bytes", ErrInvalidRequest)
	}
	var b [64]byte
	x, err := c.exchange(ctx, pathLookup, appendLookup(b[:0], serial))
	c.m.code(c.cfg.Name, x.decision)
	res := Result{Serial: serial, Decision: x.decision, Status: x.status, UID: x.uid, Message: x.message}
	if x.status == 404 {
		return res, ErrNotFound
	}
	return res, err
}

// exchanged is one HTTP exchange, classified.
type exchanged struct {
	decision   Decision
	status     int
	retryAfter time.Duration
	uid        string
	message    string
}

// exchange makes one authorised call: it waits for a free slot, gets the
// shared token, and on a 401 refreshes it once and calls again.
func (c *Client) exchange(ctx context.Context, path string, body []byte) (exchanged, error) {
	if err := c.acquire(ctx); err != nil {
		return exchanged{decision: classifyTransport(codeConn)}, err
	}
	defer c.release()
	bufp := getBuf()
	defer putBuf(bufp)

	var stale string
	for refreshed := false; ; refreshed = true {
		auth, err := c.tok.authorization(ctx, stale)
		if errors.Is(err, ErrCredentials) {
			// Our configuration: decided like a 401 that survived a refresh.
			c.log.Error("kakao token refused", "err", err)
			d, _ := classifyHTTP(401)
			return exchanged{decision: d, status: 401}, nil
		}
		if err != nil {
			code := codeConn
			if errors.Is(err, ErrTimeout) {
				code = codeTimeout
			}
			return exchanged{decision: classifyTransport(code)}, err
		}
		status, ra, rb, err := c.do(ctx, path, contentJSON, auth, body, *bufp)
		*bufp = rb
		if err == nil && status == 401 && !refreshed {
			stale = auth
			continue
		}
		return interpret(status, ra, rb, err)
	}
}

// interpret classifies an answer through the policy table.
func interpret(status int, ra time.Duration, body []byte, err error) (exchanged, error) {
	x := exchanged{status: status, retryAfter: ra}
	switch {
	case err != nil:
		code := codeConn
		if errors.Is(err, ErrTimeout) {
			code = codeTimeout
		} else if errors.Is(err, ErrBodyTooLarge) {
			code = codeGarbage
		}
		x.decision = classifyTransport(code)
		return x, err
	case status == 401 || status == 403 || status == 408 || status == 409 || status == 429 || status >= 500 || status == 404:
		x.decision, _ = classifyHTTP(status)
		return x, nil
	}
	a, perr := parseAnswer(body)
	if perr != nil {
		if d, ok := classifyHTTP(status); ok {
			x.decision = d // a 4xx without a readable Kakao code
			return x, nil
		}
		x.decision = classifyTransport(codeGarbage)
		return x, perr
	}
	x.decision, x.uid, x.message = Classify(a.Code), a.UID, a.Message
	return x, nil
}

func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	default:
	}
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) release() { <-c.sem }

// backoff is BackoffBase·2^(attempt-1), capped at BackoffMax.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.BackoffBase
	for i := 1; i < attempt && d < c.cfg.BackoffMax; i++ {
		d *= 2
	}
	return min(d, c.cfg.BackoffMax)
}
