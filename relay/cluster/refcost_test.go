package cluster_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// TestMeasureClientRefCost measures what the client_ref bucket costs per
// accepted message: rounds of submits to all three nodes at once, with a
// client_ref (one claim and one settle in RELAY_REFS each) and without,
// alternating on one cluster, each round until every message is final.
// It prints CPU per message (the whole process: three relays, their NATS
// servers, the SMSC and the clients) and accepted messages a second. A
// measurement, not a check: run it with
//
//	RELAY_CLUSTER_MEASURE=1 go test ./relay/cluster -run TestMeasureClientRefCost -v
func TestMeasureClientRefCost(t *testing.T) {
	if os.Getenv("RELAY_CLUSTER_MEASURE") == "" {
		t.Skip("a measurement: set RELAY_CLUSTER_MEASURE=1")
	}
	perRound, rounds := 6000, 3
	if v, err := strconv.Atoi(os.Getenv("RELAY_CLUSTER_MEASURE_N")); err == nil && v > 0 {
		perRound = v
	}
	w := newWorld(t, smpptest.Config{ReceiptDelay: 50 * time.Millisecond})
	w.waitFor("every node bound", 30*time.Second, func() bool { return w.smsc.Stats().Open == 3 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	var mu sync.Mutex
	final := 0
	conns := w.dialAll(ctx, func(*upstreampb.Report) { mu.Lock(); final++; mu.Unlock() })
	sent := 0
	round := func(name string, withRef bool) {
		cpu0, t0 := cpuTime(), time.Now()
		var wg sync.WaitGroup
		const workers = 16 // per node
		for i, c := range conns {
			for wk := range workers {
				wg.Go(func() { w.submitRange(ctx, c, name, withRef, i*workers+wk, 3*workers, perRound) })
			}
		}
		wg.Wait()
		acceptTook := time.Since(t0)
		sent += perRound
		w.waitFor("every report", 10*time.Minute, func() bool { mu.Lock(); defer mu.Unlock(); return final >= sent })
		cpu := cpuTime() - cpu0
		t.Logf("%-11s %6d msgs  accepted/s %7.0f  cpu/msg %6.1f µs (until final)  took %v",
			name, perRound, float64(perRound)/acceptTook.Seconds(), float64(cpu.Microseconds())/float64(perRound), time.Since(t0).Round(time.Millisecond))
	}
	round("warm-up", true)
	for r := range rounds {
		round("without-"+strconv.Itoa(r), false)
		round("client_ref-"+strconv.Itoa(r), true)
	}
}

// submitRange sends messages first, first+step, ... below n on c.
func (w *world) submitRange(ctx context.Context, c *client.Client, run string, withRef bool, first, step, n int) {
	for k := first; k < n; k += step {
		s := &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS, Text: "measure", Sender: "0212345678", Recipient: "01012345678"}
		if withRef {
			s.ClientRef = run + "-" + strconv.Itoa(k)
		}
		resp, err := c.Submit(ctx, s)
		if err != nil || resp.Status != upstreampb.Status_OK {
			w.t.Errorf("submit %d: %v %v", k, err, resp)
			return
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
