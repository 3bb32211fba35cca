package dispatch

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/route"
)

// fleet is the carriers and the routing rules in force. It is immutable:
// Reconfigure builds the next one and swaps it in whole, so a message is
// routed by one set of rules to a carrier of the same set.
type fleet struct {
	byName map[string]*carrier
	names  []string // configuration order
	router *route.Router
}

func (f *fleet) live(name string) bool {
	c := f.byName[name]
	return c != nil && c.live()
}

// retireWait bounds how long a carrier a reconfiguration replaced or
// removed may take to answer its window and unbind; receipts that come
// meanwhile are recorded.
const retireWait = 30 * time.Second

// Reconfigure applies a changed [[carrier]] and [[route]] set while the
// relay runs, and the door limits fallback legs are cut to. A carrier
// whose table and password are unchanged keeps its binds. A changed one
// gets new binds first; its old ones take nothing more and drain in the
// background (submits in flight answered, receipts still recorded, then
// unbind). An added carrier binds; a removed one drains and unbinds the
// same way. Messages waiting in the queue of a replaced or removed
// carrier are routed again by the new rules: to another carrier, to wait
// for one, or failed with no-route when no rule takes them any more.
// Messages already sent through a removed carrier wait for their receipt
// until their deadline.
//
// Nothing changes if the new set fails (a password that does not resolve,
// a simulator that cannot start, rules naming no carrier): Reconfigure
// returns the error and the running set stays. It returns what changed.
func (d *Dispatcher) Reconfigure(carriers []CarrierConfig, routes []route.Config, limits door.Config) ([]string, error) {
	d.reconf.Lock()
	defer d.reconf.Unlock()
	old := d.fleet.Load()
	next, changes, err := d.nextFleet(old, carriers, routes)
	if err != nil {
		return nil, err
	}
	for name, c := range next.byName {
		if o := old.byName[name]; o != nil && o != c {
			c.drained.Store(o.drained.Load()) // an operator's drain outlives a change
		}
		if old.byName[name] != c && d.started.Load() {
			d.startCarrier(c)
		}
	}
	d.fleet.Store(next)
	d.door.Store(&limits)
	for name, c := range old.byName {
		if next.byName[name] != c {
			d.retire(c)
		}
	}
	d.requeueUnroutable() // a new carrier or rule may take them now
	return changes, nil
}

// nextFleet builds the set that follows old: the carriers old has with
// the same table and password are taken over, the others are bound. On an
// error every carrier it bound is closed again and old stays whole.
func (d *Dispatcher) nextFleet(old *fleet, carriers []CarrierConfig, routes []route.Config) (_ *fleet, changes []string, err error) {
	next := &fleet{byName: map[string]*carrier{}}
	var made []*carrier
	defer func() {
		if err != nil {
			for _, c := range made {
				c.close(context.Background())
			}
		}
	}()
	for _, cc := range carriers {
		next.names = append(next.names, cc.Name)
	}
	pools := d.pools(carriers)
	for _, cc := range carriers {
		pw, err := cc.ResolvePassword()
		if err != nil {
			return nil, nil, fmt.Errorf("carrier %q: %w", cc.Name, err)
		}
		pool := pools[cc.AccountName()]
		o := old.byName[cc.Name]
		if o != nil && o.password == pw && reflect.DeepEqual(o.given, cc) && o.pool == pool {
			next.byName[cc.Name] = o
			continue
		}
		given := cc
		addr, err := d.dialer.SMSC(&cc, pw)
		if err != nil {
			return nil, nil, err
		}
		slots := d.slots
		if pool.local {
			slots = d.local
		}
		c, err := newCarrier(cc, addr, pw, slots, pool, d.corr.batch, d.log, d.set)
		if err != nil {
			return nil, nil, err
		}
		c.given, c.password = given, pw
		made = append(made, c)
		next.byName[cc.Name] = c
		if o == nil {
			changes = append(changes, "carrier "+cc.Name+" added")
		} else {
			changes = append(changes, "carrier "+cc.Name+" changed")
		}
	}
	for _, name := range old.names {
		if next.byName[name] == nil {
			changes = append(changes, "carrier "+name+" removed")
		}
	}
	if next.router, err = route.New(routes, next.live); err != nil {
		return nil, nil, err
	}
	slices.Sort(changes)
	return next, changes, nil
}

// pools says what the carriers of each account share: with no cluster
// to lease bind slots from, several carriers of one account with a
// max_binds take them from this relay's own (localSlots); otherwise
// account_tps is split over the binds they all keep.
func (d *Dispatcher) pools(carriers []CarrierConfig) map[string]accountPool {
	entries := map[string]int{}
	pools := map[string]accountPool{}
	for _, cc := range carriers {
		a := cc.AccountName()
		entries[a]++
		p := pools[a]
		p.binds += cc.Binds
		pools[a] = p
	}
	for _, cc := range carriers {
		a := cc.AccountName()
		if p := pools[a]; d.slots == nil && cc.MaxBinds > 0 && entries[a] > 1 {
			pools[a] = accountPool{local: true}
		} else if cc.MaxBinds > 0 {
			p.binds = min(p.binds, cc.MaxBinds)
			pools[a] = p
		}
	}
	return pools
}

// startCarrier starts c's workers, as many per bind as its window.
func (d *Dispatcher) startCarrier(c *carrier) {
	c.stop, c.stopTaking = context.WithCancel(d.stopCtx)
	for _, s := range c.sessions {
		for i := 0; i < c.cfg.Window; i++ {
			c.workers.Add(1)
			d.wg.Go(func() {
				defer c.workers.Done()
				d.worker(c.stop, d.sendCtx, c, s)
			})
		}
	}
	if c.quota != nil {
		d.startQuota(c)
	}
}

// retire takes c out of routing for good and closes it in the background:
// its queue goes back to routing, its workers finish the submits they
// hold, its window is answered, then it unbinds. Its binds receive
// receipts until then. The metrics of a carrier no longer configured go.
func (d *Dispatcher) retire(c *carrier) {
	c.retired.Store(true)
	if c.stopTaking != nil {
		c.stopTaking()
	}
	d.mu.Lock()
	if d.mu.retiring == nil {
		d.mu.retiring = map[*carrier]string{}
	}
	d.mu.retiring[c] = c.name
	d.mu.Unlock()
	d.requeue(c)
	d.log.Info("dispatch: carrier retired by a reconfiguration; draining its binds", "carrier", c.name)
	d.wg.Go(func() {
		c.workers.Wait()
		d.requeue(c) // what a worker popped after the swap came back here
		ctx, cancel := context.WithTimeout(context.Background(), retireWait)
		stop := context.AfterFunc(d.sendCtx, cancel) // a shutdown's drain deadline ends it too
		c.close(ctx)
		stop()
		cancel()
		d.mu.Lock()
		delete(d.mu.retiring, c)
		d.mu.Unlock()
		d.reconf.Lock()
		if d.fleet.Load().byName[c.name] == nil {
			d.forgetMetrics(c.name)
		}
		d.reconf.Unlock()
		d.log.Info("dispatch: retired carrier unbound", "carrier", c.name)
	})
}

// requeue hands the messages waiting in c's queue back to routing.
func (d *Dispatcher) requeue(c *carrier) {
	for {
		m, _, ok := c.q.tryPop()
		if !ok {
			return
		}
		d.pending.push(m)
	}
}

// forgetMetrics drops every series labelled with a carrier that is no
// longer configured, so that its binds do not read as down for ever.
func (d *Dispatcher) forgetMetrics(name string) {
	label := fmt.Sprintf(`carrier=%q`, name)
	for _, n := range d.set.ListMetricNames() {
		if strings.Contains(n, label) {
			d.set.UnregisterMetric(n)
		}
	}
}
