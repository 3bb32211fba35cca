package relay

import (
	"context"
	"sync"

	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/message"
)

// ingressLoad is the accept path as the SMPP server and the HTTP API see
// it, counting per ingress and customer the calls (HTTP requests, SMPP
// batches) and the messages in it, for the status page. The upstream
// protocol's server counts its own connections and submits.
type ingressLoad struct {
	intake.Acceptor

	mu struct {
		sync.Mutex
		by map[loadKey]*loadCount
	}
}

type loadKey struct {
	ingress  message.Ingress
	customer string
}

type loadCount struct{ calls, messages int }

func newIngressLoad(a intake.Acceptor) *ingressLoad {
	l := &ingressLoad{Acceptor: a}
	l.mu.by = map[loadKey]*loadCount{}
	return l
}

func (l *ingressLoad) Accept(ctx context.Context, customer string, ingress message.Ingress, subs []intake.Submit, out []intake.Result) {
	k := loadKey{ingress, customer}
	l.add(k, 1, len(subs))
	defer l.add(k, -1, -len(subs))
	l.Acceptor.Accept(ctx, customer, ingress, subs, out)
}

func (l *ingressLoad) add(k loadKey, calls, messages int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.mu.by[k]
	if c == nil {
		c = &loadCount{}
		l.mu.by[k] = c
	}
	c.calls += calls
	c.messages += messages
	if c.calls == 0 && c.messages == 0 {
		delete(l.mu.by, k)
	}
}

// inFlight is the calls and messages in the accept path now, by customer,
// of one ingress.
func (l *ingressLoad) inFlight(ingress message.Ingress) map[string]loadCount {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]loadCount{}
	for k, c := range l.mu.by {
		if k.ingress == ingress {
			out[k.customer] = *c
		}
	}
	return out
}
