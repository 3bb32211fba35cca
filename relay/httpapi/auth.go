package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/msgrelay/relay/relay/door"
)

// authed wraps a handler with bearer-key authentication. An address past
// its burst of wrong keys is refused before its key is looked up.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		addr := remoteAddr(r)
		if t := s.opts.Throttle; t != nil && !t.Allowed(addr) {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusTooManyRequests, Error{Rule: door.RuleThrottled,
				Reason: "too many wrong API keys from this address", RetryAfterMs: 1000})
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		customer, found := "", false
		if ok && token != "" {
			customer, found = s.opts.Keys.CustomerByAPIKey(token)
		}
		if !found {
			s.authFailed.Inc()
			if t := s.opts.Throttle; t != nil {
				t.Failed(addr)
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="relay"`)
			writeError(w, http.StatusUnauthorized, Error{Rule: door.RuleUnauthenticated,
				Reason: "Authorization: Bearer <API key> is missing or not a key of any customer"})
			return
		}
		h(w, r, customer)
	}
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}
