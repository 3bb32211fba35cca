package relay

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/message"
)

// ingressLoad is the accept path as the SMPP server and the HTTP API see
// it, counting per ingress and customer the calls (HTTP requests, SMPP
// batches) and the messages in it, for the status page. The upstream
// protocol's server counts its own connections and submits.
//
// A call adds to its counters atomically and takes no lock: the map of
// counters is copied, under mu, only the first time an ingress and
// customer meet. Their counters stay (customers are few, and only
// authenticated ones reach Accept).
type ingressLoad struct {
	intake.Acceptor

	by atomic.Pointer[map[loadKey]*loadCounters] // never changed, replaced
	mu sync.Mutex                                // held to replace by
}

type loadKey struct {
	ingress  message.Ingress
	customer string
}

type loadCounters struct{ calls, messages atomic.Int64 }

// loadCount is one ingress and customer's calls and messages in flight.
type loadCount struct{ calls, messages int }

func newIngressLoad(a intake.Acceptor) *ingressLoad {
	l := &ingressLoad{Acceptor: a}
	l.by.Store(&map[loadKey]*loadCounters{})
	return l
}

func (l *ingressLoad) Accept(ctx context.Context, customer string, ingress message.Ingress, subs []intake.Submit, out []intake.Result) {
	c := l.counters(loadKey{ingress, customer})
	c.calls.Add(1)
	c.messages.Add(int64(len(subs)))
	defer func() {
		c.calls.Add(-1)
		c.messages.Add(-int64(len(subs)))
	}()
	l.Acceptor.Accept(ctx, customer, ingress, subs, out)
}

func (l *ingressLoad) counters(k loadKey) *loadCounters {
	if c := (*l.by.Load())[k]; c != nil {
		return c
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	by := *l.by.Load()
	if c := by[k]; c != nil {
		return c
	}
	c := &loadCounters{}
	next := maps.Clone(by)
	next[k] = c
	l.by.Store(&next)
	return c
}

// inFlight is the calls and messages in the accept path now, by customer,
// of one ingress; a customer with none is left out.
func (l *ingressLoad) inFlight(ingress message.Ingress) map[string]loadCount {
	out := map[string]loadCount{}
	for k, c := range *l.by.Load() {
		n := loadCount{calls: int(c.calls.Load()), messages: int(c.messages.Load())}
		if k.ingress == ingress && n != (loadCount{}) {
			out[k.customer] = n
		}
	}
	return out
}
