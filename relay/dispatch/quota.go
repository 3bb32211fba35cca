package dispatch

import (
	"context"
	"sync"
	"time"

	"github.com/msgrelay/relay/smpp"
)

// BindSlots shares carrier accounts' bind quotas (max_binds) among the
// relays of a cluster: cluster.Node leases the slots in a bucket every
// node sees. An account is a [[carrier]] account (its name by default).
type BindSlots interface {
	// AcquireBind blocks until this relay holds one of the max bind slots
	// of the account, or ctx ends. held ends when the slot is lost: the
	// bind must go at once. release gives the slot back, after the bind
	// is closed.
	AcquireBind(ctx context.Context, account string, max int) (held context.Context, release func(), err error)
	// BindsHeld is how many of the account's slots the cluster holds now.
	BindsHeld(account string) int
}

// lostUnbind bounds the unbind of a bind whose slot was lost: the window
// gets this long to be answered, then the socket closes. The slot's
// holder gives it up half a lease TTL (at least 1s) before any other
// relay may take it.
const lostUnbind = 500 * time.Millisecond

// resplitEvery is how often a carrier with an account_tps looks at the
// binds the cluster holds, to re-split the rate among them.
const resplitEvery = 500 * time.Millisecond

// slotStagger spaces the first tries of a carrier's binds for a slot.
const slotStagger = time.Second

// quota is a carrier's binds when the account's max_binds is shared with
// other relays: each of the carrier's configured binds is a loop that
// waits for a slot, binds, and unbinds when the slot is lost.
type quota struct {
	slots BindSlots

	mu struct {
		sync.Mutex
		held   map[*smpp.Session]func() // bound on a slot → the slot's release
		closed bool                     // close ran: no new bind
	}
}

func (q *quota) sessions() []*smpp.Session {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]*smpp.Session, 0, len(q.mu.held))
	for s := range q.mu.held {
		out = append(out, s)
	}
	return out
}

// add records s, bound on a slot; false once the carrier closed.
func (q *quota) add(s *smpp.Session, release func()) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.mu.closed {
		return false
	}
	if q.mu.held == nil {
		q.mu.held = map[*smpp.Session]func(){}
	}
	q.mu.held[s] = release
	return true
}

// unbind closes s within ctx and gives its slot back, unless close took
// it first.
func (q *quota) unbind(ctx context.Context, s *smpp.Session) {
	q.mu.Lock()
	release, ok := q.mu.held[s]
	delete(q.mu.held, s)
	q.mu.Unlock()
	if !ok {
		return
	}
	_ = s.Close(ctx)
	release()
}

// close unbinds every bind within ctx and gives the slots back; the loops
// bind no more.
func (q *quota) close(ctx context.Context) {
	q.mu.Lock()
	q.mu.closed = true
	held := q.mu.held
	q.mu.held = nil
	q.mu.Unlock()
	var wg sync.WaitGroup
	for s, release := range held {
		wg.Go(func() {
			_ = s.Close(ctx)
			release()
		})
	}
	wg.Wait()
}

// startQuota starts c's slot loops, one per configured bind, and the
// loop that re-splits account_tps. They end with c.stop; the binds they
// made stay up until the carrier closes.
func (d *Dispatcher) startQuota(c *carrier) {
	for i := range c.cfg.Binds {
		c.workers.Add(1)
		d.wg.Go(func() {
			defer c.workers.Done()
			d.holdSlot(c, i)
		})
	}
	if c.cfg.AccountTPS > 0 {
		c.workers.Add(1)
		d.wg.Go(func() {
			defer c.workers.Done()
			every(c.stop, resplitEvery, func(context.Context) { c.resplit() })
		})
	}
}

// holdSlot is bind i of a carrier with a shared quota: it waits for a
// slot, binds on it and runs the bind's workers until the slot is lost
// (then it unbinds at once and waits for a slot again) or the carrier
// stops taking messages.
//
// Bind i first waits i × slotStagger: when nodes start together, each
// takes a first slot before any takes a second. A node that finds every
// slot taken sends nothing through this carrier until one is freed (its
// messages go by the route's other carriers, or wait).
func (d *Dispatcher) holdSlot(c *carrier, i int) {
	q := c.quota
	if i > 0 {
		t := time.NewTimer(time.Duration(i) * slotStagger)
		select {
		case <-t.C:
		case <-c.stop.Done():
			t.Stop()
			return
		}
	}
	for {
		held, release, err := q.slots.AcquireBind(c.stop, c.account, c.cfg.MaxBinds)
		if err != nil {
			return // stopping
		}
		s, err := c.dial(i, c.share(q.slots.BindsHeld(c.account)))
		if err != nil { // the configuration was checked: not expected
			release()
			d.log.Error("dispatch: bind on a leased slot", "carrier", c.name, "err", err)
			return
		}
		if c.stop.Err() != nil || !q.add(s, release) {
			_ = s.Close(context.Background())
			release()
			return
		}
		d.log.Info("dispatch: bind slot taken", "carrier", c.name, "bind", i+1)
		work, stopWork := context.WithCancel(c.stop)
		unbound := make(chan struct{})
		context.AfterFunc(held, func() {
			defer close(unbound)
			stopWork()
			ctx, cancel := context.WithTimeout(context.Background(), lostUnbind)
			defer cancel()
			q.unbind(ctx, s)
		})
		var ws sync.WaitGroup
		for range c.cfg.Window {
			ws.Go(func() { d.worker(work, d.sendCtx, c, s) })
		}
		ws.Wait()
		if c.stop.Err() != nil {
			// The bind stays for the drain; close unbinds it and gives
			// the slot back. A slot lost meanwhile still unbinds it.
			stopWork()
			return
		}
		<-unbound // the workers stop only when the slot is lost, or at stop
		d.log.Warn("dispatch: bind slot lost; bound again once a slot is free", "carrier", c.name, "bind", i+1)
	}
}

// resplit gives each bind of the carrier its share of account_tps, by
// the binds the cluster holds now.
func (c *carrier) resplit() {
	tps := c.share(c.quota.slots.BindsHeld(c.account))
	for _, s := range c.binds() {
		s.SetTPS(tps)
	}
}
