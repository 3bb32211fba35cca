package faults

import (
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp/smpptest"
)

// TestCarrierRateHeld offers far more than the carrier's rate and drops
// every bind in the middle. Pass: the submits the carrier counts in any
// one-second window stay within binds × TPS × 1.05, right after the
// rebind included, and nothing fails. The relay keeps every second within
// binds × TPS at the moment it sends (smpp's TestThrottleHoldsTPSInEverySecond);
// what this process was kept off the CPU (the meter's Stall) bunches
// arrivals at the carrier, so that much more is allowed.
func TestCarrierRateHeld(t *testing.T) {
	const binds, tps = 2, 100
	n := Pick(1000, 10_000)
	r := newCarrierRig(t, smpptest.Config{}, Setup{Binds: binds, TPS: tps, Window: 64}, binds)
	meter := NewRateMeter(func() int64 { return r.c.Stats().Submits })
	l := r.loader("tps", n, 0)
	v := r.run(l, RestartQuiet, func() {
		waitFor(t, "the rate reached", 30*time.Second, func() bool { return r.c.Stats().Submits > binds*tps })
		before := r.c.Stats().Binds
		r.c.Server().Kick("relay")
		waitFor(t, "the rebind", 30*time.Second, func() bool { return r.c.Stats().Binds >= before+binds })
	})
	meter.Stop()
	most, at := meter.MaxPerSecond()
	stall := meter.Stall()
	limit := int64(float64(binds*tps) * (1.05 + stall.Seconds()))
	t.Logf("carrier saw at most %d submits in one second (limit %d, stall %v) at %s; %v",
		most, limit, stall, at.Format("15:04:05.000"), v)
	if most > limit {
		t.Errorf("carrier saw %d submits in one second > %d (binds × tps × (1.05 + stall %v))", most, limit, stall)
	}
	if len(v.FailedCodes) != 0 {
		t.Errorf("failed: %v", v.FailedCodes)
	}
}
