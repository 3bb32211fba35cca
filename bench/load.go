package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// load is the generator: Conns connections, each with one goroutine that
// keeps Window submits in flight (the client's SubmitAsync), drawing
// message indexes from one counter until the count or the duration is
// reached. A goroutine per submit in flight would cost the loader, which
// shares the machine with the relay, a wake-up per message.
type load struct {
	cfg      *Config
	t        *tracker
	clients  []upstreamConn
	next     atomic.Int64 // next message index
	sent     atomic.Int64
	end      time.Time // zero for a count run
	draining atomic.Bool
	limit    *rate.Limiter // nil: no cap
	http     *httpLoad     // nil: submits go over the upstream connections
}

// upstreamConn is one of the loader's upstream connections: a Client, or
// a Multi over the nodes of a cluster (Config.Addr "a,b,c").
type upstreamConn interface {
	SubmitAsync(ctx context.Context, s *upstreampb.Submit, done func(*upstreampb.SubmitResp, error)) error
	Done() <-chan struct{}
	Close() error
}

func dialAll(ctx context.Context, c *Config, addr string, creds func(i int) (string, string), t *tracker) ([]upstreamConn, error) {
	var cs []upstreamConn
	multi := len(client.SplitAddrs(addr)) > 1
	onReport := t.report
	if c.Reported != nil {
		onReport = func(r *upstreampb.Report) {
			t.report(r)
			c.Reported(r)
		}
	}
	for i := range c.Conns {
		id, secret := creds(i)
		opt := client.Options{
			Customer: id, Secret: secret, ClientName: fmt.Sprintf("relaybench-%d", i+1),
			Window: c.Window, PingInterval: -1, OnReport: onReport,
		}
		var cl upstreamConn
		var err error
		if multi {
			cl, err = client.DialMulti(ctx, addr, opt)
		} else {
			cl, err = client.Dial(ctx, addr, opt)
		}
		if err != nil {
			for _, cl := range cs {
				cl.Close()
			}
			return nil, fmt.Errorf("bench: connection %d: %w", i+1, err)
		}
		cs = append(cs, cl)
	}
	return cs, nil
}

// take returns the next message index, or false when the run is done.
func (l *load) take(ctx context.Context) (int, bool) {
	if ctx.Err() != nil || (!l.end.IsZero() && time.Now().After(l.end)) {
		return 0, false
	}
	if l.limit != nil && l.limit.Wait(ctx) != nil {
		return 0, false
	}
	i := int(l.next.Add(1) - 1)
	if (l.cfg.Messages > 0 && i >= l.cfg.Messages) || i >= trackChunks<<trackChunkBits {
		return 0, false
	}
	return i, true
}

func (l *load) run(ctx context.Context) {
	if l.cfg.Duration > 0 {
		l.end = time.Now().Add(l.cfg.Duration)
	}
	if l.cfg.Rate > 0 {
		// A tenth of a second of burst: when a full window holds the
		// senders back, they catch up afterwards, as a gateway with a
		// backlog would, so the rate offered is the rate asked for unless
		// the relay is slower. (A hundredth lost most of what a slow
		// moment held back: 28,000/s offered for 30,000/s asked.)
		l.limit = rate.NewLimiter(rate.Limit(l.cfg.Rate), max(1, int(l.cfg.Rate/10)))
	}
	var senders, answers sync.WaitGroup
	for i, cl := range l.clients {
		if l.http != nil {
			for range l.cfg.HTTPInFlight {
				senders.Go(func() { l.httpSender(ctx, i%l.cfg.Customers) })
			}
			continue
		}
		senders.Go(func() { l.sender(ctx, cl, &answers) })
	}
	senders.Wait()
	answers.Wait()
}

// sender submits on one connection until the run is done; answers counts
// the submits whose answer has not come yet.
func (l *load) sender(ctx context.Context, cl upstreamConn, answers *sync.WaitGroup) {
	// One Submit, rewritten for each message: SubmitAsync encodes it
	// before it returns and keeps nothing of it.
	var s upstreampb.Submit
	var buf []byte
	for {
		i, ok := l.take(ctx)
		if !ok {
			return
		}
		var to, ref string
		to, ref, buf = l.t.recipientAndRef(buf, i)
		l.cfg.fill(&s, i, to, ref)
		l.t.sent(i)
		l.sent.Add(1)
		answers.Add(1)
		a := l.answer(answers, i, ref)
		err := cl.SubmitAsync(ctx, &s, a.done)
		if err != nil {
			a.release() // not sent: done is not called
			answers.Done()
			l.t.errors.Add(1)
			if errors.Is(err, client.ErrNoneLive) {
				// Every node of a cluster is down: its connections are
				// being dialled again; give them a moment, not a message
				// index each.
				t := time.NewTimer(10 * time.Millisecond)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
			}
			select {
			case <-cl.Done():
				return // this connection is gone; the others carry on
			default:
			}
		}
	}
}

// answer is the callback of one submit in flight. Answers are kept for
// the next submit instead of a closure each, which would cost the loader
// an allocation a message.
type answer struct {
	l       *load
	answers *sync.WaitGroup
	i       int
	ref     string
	done    func(*upstreampb.SubmitResp, error) // finish, bound once
}

var answerPool sync.Pool // of *answer

// answer returns the answer whose done counts message i's answer (its
// client reference ref) in the tracker and then answers.Done.
func (l *load) answer(answers *sync.WaitGroup, i int, ref string) *answer {
	a, _ := answerPool.Get().(*answer)
	if a == nil {
		a = new(answer)
		a.done = a.finish
	}
	a.l, a.answers, a.i, a.ref = l, answers, i, ref
	return a
}

// release gives a back for another submit.
func (a *answer) release() {
	a.l, a.answers, a.ref = nil, nil, ""
	answerPool.Put(a)
}

func (a *answer) finish(r *upstreampb.SubmitResp, err error) {
	l, answers, i, ref := a.l, a.answers, a.i, a.ref
	a.release()
	if err != nil {
		l.t.errors.Add(1)
	} else {
		if l.cfg.Answered != nil {
			l.cfg.Answered(ref, r)
		}
		l.t.answered(i, r)
	}
	answers.Done()
}
