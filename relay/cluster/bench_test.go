package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/loopback"
	"github.com/msgrelay/relay/store"
)

// parker stands in for a store: it parks every receipt, counting them.
type parker struct{ n atomic.Int64 }

func (p *parker) ApplyReceipt(context.Context, store.Receipt) (store.Outcome, error) {
	p.n.Add(1)
	return store.OutcomeParked, nil
}

// BenchmarkForwardR3 is the cost of one receipt that lands on the wrong
// node: a publish to the R3 stream of three embedded servers, acknowledged,
// and read by all three nodes' consumers. Run with
//
//	go test ./relay/cluster -run - -bench ForwardR3 -benchtime 5000x
func BenchmarkForwardR3(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var routes []string
	for range 3 {
		routes = append(routes, loopback.TestAddr(b))
	}
	var nodes []*Node
	var readers []*parker
	for i := range 3 {
		c := Config{Node: "b" + strconv.Itoa(i), NodeNumber: i + 1, Embed: EmbedConfig{Listen: "127.0.0.1:0", ClusterListen: routes[i], Routes: routes}}
		c.SetDefaults()
		n, err := Open(c, Options{DataDir: b.TempDir(), Logger: log, Metrics: metrics.NewSet()})
		if err != nil {
			b.Fatal(err)
		}
		defer n.Close()
		p := &parker{}
		n.Start(p)
		nodes, readers = append(nodes, n), append(readers, p)
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, n := range nodes {
		for !n.Ready() {
			if time.Now().After(deadline) {
				b.Fatal("cluster not formed")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	var seq atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := seq.Add(1)
			rc := store.Receipt{Carrier: "a", CarrierMsgID: fmt.Sprintf("%x", k), Final: true, Delivered: true, Arrived: time.Now()}
			var errs [1]error
			if nodes[k%3].Forward(context.Background(), []store.Receipt{rc}, [][]byte{[]byte(rc.CarrierMsgID)}, errs[:]); errs[0] != nil {
				b.Error(errs[0])
				return
			}
		}
	})
	for _, p := range readers {
		for p.n.Load() < int64(b.N) {
			if time.Now().After(deadline.Add(time.Minute)) {
				b.Fatalf("read %d of %d", p.n.Load(), b.N)
			}
			time.Sleep(time.Millisecond)
		}
	}
	b.StopTimer()
	// The whole cluster's CPU on this machine: three servers, the
	// publishers and three readers.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/receipt")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
