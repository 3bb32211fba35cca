package intake

import (
	"context"
	"log/slog"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// BenchmarkAccept accepts batches of new SMS submits into a store on
// disk, as an ingress hands them over, and reports the allocations and the
// process's CPU time (the store's syncers included) per message: wall time
// per batch is mostly the disk's.
func BenchmarkAccept(b *testing.B) {
	for _, n := range []int{1, 32} {
		b.Run("batch="+strconv.Itoa(n), func(b *testing.B) {
			st, err := store.Open(b.TempDir(), store.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			reg := customer.NewRegistry([]*customer.Customer{{ID: "shop", Products: []message.Product{message.ProductSMS},
				Senders: []string{"0212345678"}, Rate: 1e9, Burst: 1e9}}, customer.Options{})
			dc, err := door.New(door.DefaultConfig(), door.Options{})
			if err != nil {
				b.Fatal(err)
			}
			in := New(Options{Customers: reg, Door: dc, Store: st, Enqueue: func(...*message.Message) {}})
			subs, out := make([]Submit, n), make([]Result, n)
			ctx := context.Background()
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			b.ResetTimer()
			for range b.N {
				for i := range subs {
					subs[i] = Submit{Request: door.Request{Product: message.ProductSMS, Sender: "0212345678",
						Recipient: "01012345678", Text: "bench"}}
				}
				in.Accept(ctx, "shop", message.IngressUpstream, subs, out)
				if out[0].ID == 0 {
					b.Fatalf("not accepted: %+v", out[0])
				}
			}
			b.StopTimer()
			msgs := float64(b.N * n)
			b.ReportMetric(float64(cpuTime(b)-cpu0)/msgs, "cpu-ns/msg")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
