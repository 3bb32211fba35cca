package cluster_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// TestMeasurePaymentEventCost measures what a payment event costs on a
// cluster: rounds of card approvals (two messages each, so two claims and
// two settles in RELAY_REFS) posted to all three nodes at once by
// synchronous payment-system connections, each round until Kakao has
// delivered every message. It prints CPU per event (the whole process:
// three relays, their NATS servers, the simulated Kakao and the clients)
// and events answered a second. A measurement, not a check: run it with
//
//	RELAY_CLUSTER_MEASURE=1 go test ./relay/cluster -run TestMeasurePaymentEventCost -v
func TestMeasurePaymentEventCost(t *testing.T) {
	if os.Getenv("RELAY_CLUSTER_MEASURE") == "" {
		t.Skip("a measurement: set RELAY_CLUSTER_MEASURE=1")
	}
	perRound, rounds := 1500, 3
	if v, err := strconv.Atoi(os.Getenv("RELAY_CLUSTER_MEASURE_N")); err == nil && v > 0 {
		perRound = v
	}
	payments, ks := withPayments(t)
	w := newWorld(t, smpptest.Config{ReceiptDelay: 50 * time.Millisecond}, payments)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	pg := w.dialPG(ctx)
	sent := 0
	round := func(name string) {
		cpu0, t0 := cpuTime(), time.Now()
		var wg sync.WaitGroup
		const workers = 16 // per node
		for i, c := range pg {
			for wk := range workers {
				wg.Go(func() { w.postRange(ctx, c, name, i*workers+wk, 3*workers, perRound) })
			}
		}
		wg.Wait()
		took := time.Since(t0)
		sent += 2 * perRound
		w.waitFor("every message delivered", 10*time.Minute, func() bool { return ks.Stats().Billed >= int64(sent) })
		cpu := cpuTime() - cpu0
		t.Logf("%-9s %6d events  events/s %6.0f  cpu/event %6.1f µs (until delivered)  took %v",
			name, perRound, float64(perRound)/took.Seconds(), float64(cpu.Microseconds())/float64(perRound), time.Since(t0).Round(time.Millisecond))
	}
	round("warm-up")
	for r := range rounds {
		round("round-" + strconv.Itoa(r))
	}
}

// postRange posts events first, first+step, ... below n on c.
func (w *world) postRange(ctx context.Context, c *client.Client, run string, first, step, n int) {
	for k := first; k < n; k += step {
		ev := approval(run + "-" + strconv.Itoa(k))
		resp, err := c.PaymentEvent(ctx, ev)
		if err != nil || resp.Status != upstreampb.Status_OK || len(resp.MessageIds) != 2 {
			w.t.Errorf("event %d: %v %v", k, err, resp)
			return
		}
	}
}
