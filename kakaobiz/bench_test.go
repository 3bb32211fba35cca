package kakaobiz_test

import (
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/msgrelay/relay/kakaobiz"
	"github.com/msgrelay/relay/kakaobiz/kakaotest"
)

// BenchmarkSend5ms: sends/s against the simulated server answering after
// 5 ms, over at most 256 connections with 256 callers.
func BenchmarkSend5ms(b *testing.B) {
	const conns = 256
	e := newEnv(b, kakaotest.Config{Latency: 5 * time.Millisecond}, func(c *kakaobiz.Config) {
		c.MaxConns = conns
		c.Clock = kakaobiz.WallClock{}
	})
	var seq atomic.Uint64
	var failed atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(conns)
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := alimTalk("", "01012345678")
		var buf [20]byte
		for pb.Next() {
			r := *req
			r.Serial = string(strconv.AppendUint(buf[:0], seq.Add(1), 36))
			res, err := e.cli.Send(b.Context(), &r)
			if err != nil || res.Action != kakaobiz.Delivered {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
	// CPU of client and server together, per send: on a shared machine
	// the figure that does not depend on what else runs.
	b.ReportMetric(float64((cpuTime()-cpu0)/time.Microsecond)/float64(b.N), "cpu-µs/send")
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d sends failed", n)
	}
	if st := e.srv.Stats(); st.MaxConns > conns {
		b.Fatalf("%d connections, bound %d", st.MaxConns, conns)
	}
}

// cpuTime is this process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
