package door

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/msgrelay/relay/relay/customer"
)

// TestConcurrentChecksAndChanges checks messages from many goroutines while
// an operator changes the customers they read; -race watches the snapshot
// handover and the lazily made token buckets.
func TestConcurrentChecksAndChanges(t *testing.T) {
	var customers []*customer.Customer
	for i := range 8 {
		c := testCustomer()
		c.ID = fmt.Sprintf("c%d", i)
		customers = append(customers, c)
	}
	reg := customer.NewRegistry(customers, customer.Options{})
	k := newChecker(t, nil)

	var accepted, suspended atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c := reg.Get(fmt.Sprintf("c%d", (g+i)%8))
				_, r := k.Check(c, sms("hi"), noon)
				switch {
				case r == nil:
					accepted.Add(1)
				case r.Rule == RuleCustomerSuspended:
					suspended.Add(1)
				case r.Rule == RuleSenderNotRegistered:
				default:
					t.Errorf("unexpected refusal %v", r)
					return
				}
			}
		})
	}
	for i := range 300 {
		id := fmt.Sprintf("c%d", i%8)
		if err := reg.Suspend(id, "test"); err != nil {
			t.Fatal(err)
		}
		if err := reg.RemoveSender(id, "0212345678"); err != nil {
			t.Fatal(err)
		}
		if err := reg.Resume(id); err != nil {
			t.Fatal(err)
		}
		if err := reg.AddSender(id, "02-1234-5678"); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if accepted.Load() == 0 {
		t.Fatal("nothing accepted")
	}
	t.Logf("accepted %d, refused suspended %d", accepted.Load(), suspended.Load())
	// After the last change every customer is active with its sender back.
	for i := range 8 {
		if _, r := k.Check(reg.Get(fmt.Sprintf("c%d", i)), sms("hi"), noon); r != nil {
			t.Errorf("c%d: %v", i, r)
		}
	}
}
