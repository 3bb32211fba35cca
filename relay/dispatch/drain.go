package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNoCarrier is returned for a carrier name the configuration lacks.
var ErrNoCarrier = errors.New("dispatch: no such carrier")

// Drain takes a carrier out of routing: no new message is routed to it,
// the messages waiting in its queue go back to routing (another carrier of
// their rule, or they wait), and the submits in its windows finish. Its
// binds stay up, so receipts of what it took keep coming. Drain waits
// until the windows are empty or ctx ends, and returns the submits still
// in flight then. The dispatcher keeps the drain in memory only; the
// composition root persists it (Options.Drained brings it back at start).
func (d *Dispatcher) Drain(ctx context.Context, name string) (inFlight int, err error) {
	c, was, err := d.setDrained(name, true)
	if err != nil {
		return 0, err
	}
	if !was {
		d.log.Info("dispatch: carrier drained by an operator", "carrier", name)
	}
	d.requeue(c)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if inFlight = c.windowUsed(); inFlight == 0 {
			return 0, nil
		}
		select {
		case <-ctx.Done():
			return inFlight, nil
		case <-t.C:
		}
	}
}

// Resume puts a drained carrier back into routing.
func (d *Dispatcher) Resume(name string) error {
	_, was, err := d.setDrained(name, false)
	if err != nil {
		return err
	}
	if was {
		d.log.Info("dispatch: carrier resumed by an operator", "carrier", name)
		d.requeueUnroutable()
	}
	return nil
}

// setDrained sets the operator's drain of the carrier called name and
// returns the carrier and whether it was drained before. It holds the
// reconfiguration lock: a carrier a reload replaces takes the drain over.
func (d *Dispatcher) setDrained(name string, drained bool) (c *carrier, was bool, err error) {
	d.reconf.Lock()
	defer d.reconf.Unlock()
	c = d.fleet.Load().byName[name]
	if c == nil {
		return nil, false, fmt.Errorf("%w %q", ErrNoCarrier, name)
	}
	return c, c.drained.Swap(drained), nil
}

// windowUsed counts the carrier's submits written and not yet answered.
func (c *carrier) windowUsed() int {
	n := 0
	for _, s := range c.binds() {
		for _, b := range s.Status() {
			n += b.WindowUsed
		}
	}
	return n
}
