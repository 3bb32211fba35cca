// Package logcap keeps what clients can make the relay log small and fair.
//
// Every string a client supplies (a customer id, a client name, a token
// name, a reason) goes through [Cut] before it reaches a log line: at most
// [MaxField] bytes, cut at a rune boundary, with the original length added
// when it was cut ("abc…(65000 bytes)"). Control characters become '?', so
// a value cannot forge a line of its own.
//
// Lines a peer can cause at will (a refused bind, a wrong token) go through
// a [Limiter], which allows each (event, source) pair its own budget: one
// source flooding refusals uses up its own budget, not the one another
// source's refusals are logged from. Lines not written are counted in
// relay_log_lines_suppressed_total{component,event}.
package logcap

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/VictoriaMetrics/metrics"
	"golang.org/x/time/rate"
)

// MaxField is the most bytes of one client-supplied string a log line holds.
const MaxField = 64

// Cut returns s fit for a log line: control characters replaced, and at
// most MaxField bytes of it, with the length it had when it was longer.
func Cut(s string) string { return CutN(s, MaxField) }

// CutN is Cut with a bound of n bytes.
func CutN(s string, n int) string {
	clean := len(s) <= n
	if clean {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == 0x7f {
				clean = false
				break
			}
		}
	}
	if clean && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			r = '?'
		}
		if b.Len()+utf8.RuneLen(r) > n {
			b.WriteString("…(" + strconv.Itoa(len(s)) + " bytes)")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Limiter decides which lines a peer's events may write.
type Limiter struct {
	rate      rate.Limit
	burst     int
	maxKeys   int
	now       func() time.Time
	set       *metrics.Set
	component string

	mu struct {
		sync.Mutex
		by         map[key]*rate.Limiter
		suppressed map[string]*metrics.Counter // by event
	}
}

type key struct {
	event string
	src   netip.Addr
}

// NewLimiter allows each (event, source) perSecond lines with a burst;
// suppressed lines are counted in set under component.
func NewLimiter(set *metrics.Set, component string, perSecond float64, burst int) *Limiter {
	l := &Limiter{rate: rate.Limit(perSecond), burst: burst, maxKeys: 10000, now: time.Now, set: set, component: component}
	l.mu.by = make(map[key]*rate.Limiter)
	l.mu.suppressed = make(map[string]*metrics.Counter)
	return l
}

// Allow reports whether a line for event from src may be written now, and
// counts it as suppressed when not. Sources are grouped by IPv4 address or
// IPv6 /64.
func (l *Limiter) Allow(event string, src netip.Addr) bool {
	if src.Is6() && !src.Is4In6() {
		p, _ := src.Prefix(64)
		src = p.Addr()
	}
	k := key{event, src.Unmap()}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.mu.by[k]
	if b == nil {
		if len(l.mu.by) >= l.maxKeys {
			for kk, bb := range l.mu.by {
				if bb.TokensAt(now) >= float64(l.burst) {
					delete(l.mu.by, kk)
				}
			}
		}
		if len(l.mu.by) >= l.maxKeys {
			// So many sources at once: they share one budget per event.
			k.src = netip.Addr{}
			b = l.mu.by[k]
		}
		if b == nil {
			b = rate.NewLimiter(l.rate, l.burst)
			l.mu.by[k] = b
		}
	}
	if b.AllowN(now, 1) {
		return true
	}
	c := l.mu.suppressed[event]
	if c == nil {
		c = l.set.GetOrCreateCounter(fmt.Sprintf(`relay_log_lines_suppressed_total{component=%q,event=%q}`, l.component, event))
		l.mu.suppressed[event] = c
	}
	c.Inc()
	return false
}
