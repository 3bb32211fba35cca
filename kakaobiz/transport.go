package kakaobiz

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// API paths (see the package doc).
const (
	pathToken  = "/v2/oauth/token"
	pathSend   = "/v2/send/kakao"
	pathLookup = "/v2/info/message/search"
)

const (
	contentJSON = "application/json"
	contentForm = "application/x-www-form-urlencoded"
)

func newHostClient(cfg Config, addr string, tls bool) *fasthttp.HostClient {
	return &fasthttp.HostClient{
		Addr:                      addr,
		Name:                      "msgrelay-kakaobiz",
		IsTLS:                     tls,
		MaxConns:                  cfg.MaxConns,
		MaxConnWaitTimeout:        cfg.RequestTimeout,
		MaxIdleConnDuration:       30 * time.Second,
		MaxIdemponentCallAttempts: 1, // retries are ours, with the same serial
		ReadTimeout:               cfg.RequestTimeout,
		WriteTimeout:              cfg.RequestTimeout,
		MaxResponseBodySize:       cfg.MaxResponseBodySize,
		DisablePathNormalizing:    true,
		// Our own dialer: fasthttp's default one caches addresses in a
		// process-wide goroutine that never stops.
		Dial: func(addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: cfg.RequestTimeout, KeepAlive: 30 * time.Second}
			return d.Dial("tcp", addr)
		},
		RetryIfErr: func(*fasthttp.Request, int, error) (bool, bool) {
			return false, false
		},
	}
}

// do makes one HTTP POST. The response body is copied into out (reused
// when it has room) before the response is released. No fasthttp value
// escapes this function.
func (c *Client) do(ctx context.Context, path, contentType, auth string, body, out []byte) (status int, retryAfter time.Duration, respBody []byte, err error) {
	timeout := c.cfg.RequestTimeout
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < timeout {
			timeout = left
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, out[:0], err
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)

	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetHost(c.host)
	req.SetRequestURI(path)
	req.Header.SetContentType(contentType)
	req.Header.Set(fasthttp.HeaderAuthorization, auth)
	req.SetBodyRaw(body)

	c.inflight.Add(1)
	start := time.Now()
	err = c.hc.DoTimeout(req, resp, timeout)
	c.m.latency.UpdateDuration(start)
	c.inflight.Add(-1)
	if err != nil {
		return 0, 0, out[:0], classifyErr(err)
	}
	status = resp.StatusCode()
	if status == fasthttp.StatusTooManyRequests || status >= 500 {
		retryAfter = parseRetryAfter(resp.Header.Peek(fasthttp.HeaderRetryAfter), time.Now())
	}
	return status, retryAfter, append(out[:0], resp.Body()...), nil
}

func classifyErr(err error) error {
	var te interface{ Timeout() bool }
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return fmt.Errorf("%w: %v", ErrBodyTooLarge, err)
	case errors.As(err, &te) && te.Timeout(), errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout):
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	default:
		return fmt.Errorf("%w: %v", ErrTransport, err)
	}
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
// Zero means absent or unreadable.
func parseRetryAfter(v []byte, now time.Time) time.Duration {
	if len(v) == 0 || len(v) > 64 {
		return 0
	}
	s := strings.TrimSpace(string(v))
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 86400 {
			n = 86400
		}
		return time.Duration(n) * time.Second
	}
	if t, err := time.Parse(time.RFC1123, s); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
