package admin

import (
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/relay/logcap"
)

// Who may try a token, and how often: the same rules as the upstream binds
// (package authguard). A token that does not fit the format is refused
// before it is hashed and counts as a failure of its source. Wrong tokens
// count per source; past the burst (5, refilling 1 a second) the source is
// answered 429 without its token being compared, except a token that has
// already succeeded from that source: an attacker sharing an address with
// a merchant cannot sign the merchant out or keep it from the API. A check
// is one SHA-256, so there is no CPU budget beyond the HTTP server's own.
//
// Sign-in is also throttled per token (signInBurst, then one every
// signInEvery), and each token holds at most Config.SessionsPerToken page
// sessions: a new one replaces that token's oldest, never another token's.
const (
	signInBurst = 10
	signInEvery = 10 * time.Second
)

// errThrottled is answered 429.
var errThrottled = errors.New("admin: too many attempts")

func newAuthGuard(now func() time.Time) *authguard.Guard {
	return authguard.New(authguard.Config{CheckRate: 1e6, CheckBurst: 1e6, Now: now})
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// authenticate checks a presented token under the throttle: the principal,
// or ErrAuth, or errThrottled.
func (s *Server) authenticate(r *http.Request, token string) (Principal, error) {
	src := remoteAddr(r)
	h, err := hashPresented(token)
	if err != nil {
		s.guard.Failed(authguard.Attempt{Src: src})
		s.authFailed.Inc()
		s.logRefusal(r, src, "malformed token")
		return Principal{}, err
	}
	a := authguard.Attempt{Known: "token:" + hex.EncodeToString(h[:12]), Src: src}
	if err := s.guard.Admit(r.Context(), a); err != nil {
		s.throttled.Inc()
		return Principal{}, errThrottled
	}
	who, err := s.opts.Tokens.lookup(h)
	if err != nil {
		s.guard.Failed(a)
		s.authFailed.Inc()
		s.logRefusal(r, src, "unknown token")
		return Principal{}, err
	}
	s.guard.Succeeded(a)
	return who, nil
}

func (s *Server) logRefusal(r *http.Request, src netip.Addr, why string) {
	if s.logs.Allow("auth_refused", src) {
		s.log.Info("token refused", "remote", src.String(), "path", logcap.Cut(r.URL.Path), "why", why)
	}
}

// refuseAuth answers a failed authentication: 429 with Retry-After when
// throttled, else 401.
func refuseAuth(w http.ResponseWriter, err error) {
	if errors.Is(err, errThrottled) {
		w.Header().Set("Retry-After", strconv.Itoa(1))
		writeError(w, http.StatusTooManyRequests, "too many failed attempts from this address; retry later")
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="relay-admin"`)
	writeError(w, http.StatusUnauthorized, "a valid bearer token is required")
}

// signInLimits throttles sign-ins per token name.
type signInLimits struct {
	now func() time.Time
	mu  struct {
		sync.Mutex
		by map[string]*rate.Limiter // bounded by the configured tokens
	}
}

func (l *signInLimits) allow(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.by == nil {
		l.mu.by = make(map[string]*rate.Limiter)
	}
	b := l.mu.by[name]
	if b == nil {
		b = rate.NewLimiter(rate.Every(signInEvery), signInBurst)
		l.mu.by[name] = b
	}
	return b.AllowN(l.now(), 1)
}
