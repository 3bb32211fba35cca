package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/tokenfmt"
)

// authed wraps a handler with bearer-key authentication. A key that does
// not fit the rly_ format is refused before it is hashed, looked up or
// counted against anyone's budget: it costs nothing to refuse. An address
// past its burst of well-formed wrong keys is refused before its key is
// looked up.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tokenfmt.Check(token) != nil {
			s.authFailed.Inc()
			unauthorized(w)
			return
		}
		try := authguard.Attempt{Src: remoteAddr(r)}
		if g := s.opts.Guard; g != nil {
			if err := g.Admit(r.Context(), try); err != nil {
				w.Header().Set("Retry-After", "1")
				writeError(w, http.StatusTooManyRequests, Error{Rule: door.RuleThrottled,
					Reason: "API key not checked: " + strings.TrimPrefix(err.Error(), "authguard: "), RetryAfterMs: 1000})
				return
			}
		}
		customer, found := s.opts.Keys.CustomerByAPIKey(token)
		if !found {
			s.authFailed.Inc()
			if g := s.opts.Guard; g != nil {
				g.Failed(try)
			}
			unauthorized(w)
			return
		}
		h(w, r, customer)
	}
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="relay"`)
	writeError(w, http.StatusUnauthorized, Error{Rule: door.RuleUnauthenticated,
		Reason: "Authorization: Bearer <API key> is missing, not in the rly_ format, or not a key of any customer"})
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}
