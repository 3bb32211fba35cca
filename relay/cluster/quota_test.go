package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// TestBindQuota: three nodes of two binds each share a carrier account
// that allows five. The SMSC never sees more than five bound at once;
// the account's rate is split over the five; a node that stops gives its
// slots back and the others take them, and the rate is split again.
func TestBindQuota(t *testing.T) {
	const quota, binds, accountTPS = 5, 2, 400.0
	w := newWorld(t, smpptest.Config{Behavior: smpptest.Behavior{ReceiptsElsewhere: true}}, func(_ int, c *relay.Config) {
		cc := &c.Carriers[0]
		cc.Binds, cc.MaxBinds, cc.AccountTPS = binds, quota, accountTPS
		c.Cluster.BindLeaseTTL = 3 * time.Second
	})
	open := func() int { n, _ := w.smsc.OpenSockets("relay"); return n }
	w.waitFor("the quota's binds up", time.Minute, func() bool { return open() == quota })
	w.waitFor("the rate split in five", 30*time.Second, func() bool { return w.sharesAre(accountTPS / quota) })
	// Each node holds one at least, and all of them the quota. Waited
	// for: a slot whose renewal a busy machine answered too late is given
	// up and bound again, on this node or another.
	w.waitFor("every node to hold a bind, and the nodes the quota's", time.Minute, func() bool {
		held := 0
		for i := range w.nodes {
			n := w.boundBinds(i)
			if n < 1 {
				return false
			}
			held += n
		}
		return held == quota
	})
	for i := range w.nodes {
		w.waitDelivered(i, w.sendOn(i, 20, "q"+string(rune('a'+i))))
	}

	// Node 1 stops: the others bind their last bind on its slots, and
	// split the rate in four.
	w.stop(0)
	w.waitFor("the two nodes' four binds", time.Minute, func() bool {
		return open() == 2*binds && w.boundBinds(1) == binds && w.boundBinds(2) == binds
	})
	deadline := time.Now().Add(30 * time.Second)
	for !w.sharesAre(accountTPS / (2 * binds)) {
		if time.Now().After(deadline) {
			for i, d := range w.nodes {
				if d != nil {
					t.Logf("node %d: binds held %d, %+v", i+1, d.Cluster().BindsHeld("shared"), d.Status(context.Background(), false).Dispatch.Carriers)
				}
			}
			t.Fatal("waited 30s for the rate split in four")
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.waitDelivered(1, w.sendOn(1, 20, "qd"))

	if _, most := w.smsc.OpenSockets("relay"); most > quota {
		t.Errorf("the SMSC saw %d binds at once, over the quota of %d", most, quota)
	}
	if st := w.smsc.Stats(); st.BindsRefused > 0 {
		t.Errorf("%d binds refused by the SMSC", st.BindsRefused)
	}
}

// boundBinds counts node i's binds up.
func (w *world) boundBinds(i int) int {
	n := 0
	for _, c := range w.nodes[i].Status(context.Background(), false).Dispatch.Carriers {
		for _, b := range c.Binds {
			if b.Up {
				n++
			}
		}
	}
	return n
}

// sharesAre reports whether every bind up on a running node has tps as
// its rate ceiling.
func (w *world) sharesAre(tps float64) bool {
	for _, d := range w.nodes {
		if d == nil {
			continue
		}
		for _, c := range d.Status(context.Background(), false).Dispatch.Carriers {
			for _, b := range c.Binds {
				if b.Up && b.TPS != tps {
					return false
				}
			}
		}
	}
	return true
}
