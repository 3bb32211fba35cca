package smpp

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"
)

func TestBackoffDoublesWithJitter(t *testing.T) {
	b := newBackoff(100*time.Millisecond, time.Second, 1)
	for i, base := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		base *= time.Millisecond
		if d := b.Next(); d < base/2 || d >= base {
			t.Fatalf("attempt %d: wait %v, want in [%v, %v)", i, d, base/2, base)
		}
	}
	b.Reset()
	if d := b.Next(); d >= 100*time.Millisecond {
		t.Fatalf("after Reset: %v", d)
	}
}

func TestThrottleHalvesOncePerPauseAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		th := newThrottle(80, 1, 100*time.Millisecond)
		for range 10 { // a window of throttled answers
			th.SlowDown()
		}
		if l := th.Limit(); l != 40 {
			t.Fatalf("limit after a burst of throttles = %v, want 40", l)
		}
		ctx := context.Background()
		start := time.Now()
		if err := th.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 100*time.Millisecond {
			t.Fatalf("paused %v", d)
		}
		time.Sleep(150 * time.Millisecond)
		_ = th.Wait(ctx)
		if l := th.Limit(); l != 80 {
			t.Fatalf("limit after a quiet pause = %v, want 80", l)
		}
		if newThrottle(0, 0, time.Second).Limit() != rate.Inf {
			t.Fatal("TPS 0 is not unlimited")
		}
	})
}

func TestThrottlePauseHoldsWaitersAlreadyInTheBucket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		th := newThrottle(10, 1, time.Second)
		ctx := context.Background()
		start := time.Now()
		passed := make(chan time.Duration, 3)
		for range 3 { // queued in the bucket: due at 100, 200, 300ms
			go func() {
				_ = th.Wait(ctx)
				passed <- time.Since(start)
			}()
		}
		synctest.Wait()
		time.Sleep(50 * time.Millisecond)
		th.SlowDown() // pause until 1.05s
		for range 3 {
			if d := <-passed; d < 1050*time.Millisecond {
				t.Fatalf("a waiter went through the pause at %v", d)
			}
		}
	})
}

// TestThrottleHoldsTPSInEverySecond: TPS is the carrier's ceiling for any
// one second, the second after an idle spell (a full bucket) included, at
// the default burst and at explicit ones; the sustained rate is
// TPS − (Burst − 1).
func TestThrottleHoldsTPSInEverySecond(t *testing.T) {
	for _, burst := range []int{0, 1, 10} {
		t.Run(fmt.Sprint("burst=", burst), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := Config{TPS: 100, Burst: burst}.withDefaults()
				th := newThrottle(cfg.TPS, cfg.Burst, cfg.ThrottlePause)
				time.Sleep(2 * time.Second) // idle: the bucket fills
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				defer cancel()
				var mu sync.Mutex
				var at []time.Time
				var wg sync.WaitGroup
				for range 64 { // a full window of workers, unlimited offer
					wg.Go(func() {
						for th.Wait(ctx) == nil {
							mu.Lock()
							at = append(at, time.Now())
							mu.Unlock()
						}
					})
				}
				wg.Wait()
				most, j := 0, 0
				for i := range at {
					for at[i].Sub(at[j]) >= time.Second {
						j++
					}
					most = max(most, i-j+1)
				}
				t.Logf("burst %d: most %d, total %d", burst, most, len(at))
				if most > 100 {
					t.Errorf("burst %d: %d submits within one second, TPS 100", burst, most)
				}
				if sustained := 3 * (100 - max(burst, 1) + 1); len(at) < sustained*97/100 {
					t.Errorf("burst %d: %d submits in 3 s at TPS 100: the pace is too slow", burst, len(at))
				}
			})
		})
	}
}
