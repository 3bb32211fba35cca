package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// TestBillOnceEqualsRecount: a random mix of deliveries, failures,
// duplicate receipts, retried transitions and expiries across a month
// boundary (in Seoul) bills exactly what a recount of the records says.
func TestBillOnceEqualsRecount(t *testing.T) {
	c := newClock()
	// 2026-11-30 23:00 Seoul: deliveries straddle the month boundary.
	c.Add(time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC).Sub(c.Now()))
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 7))
	products := []message.Product{message.ProductSMS, message.ProductLMS, message.ProductAlimTalk}
	delivered := 0
	for i := range 300 {
		m := sms(fmt.Sprint("c", i%2), fmt.Sprint(i))
		m.Product = products[rng.IntN(len(products))]
		id := mustAccept(t, s, m)
		cmid := fmt.Sprint("M", i)
		s.MarkQueued(ctx, id)
		s.MarkSending(ctx, id, "skt")
		if _, err := s.RecordSubmitResp(ctx, id, "skt", cmid, c.Now()); err != nil {
			t.Fatal(err)
		}
		rc := Receipt{Carrier: "skt", CarrierMsgID: cmid, Final: true, Delivered: rng.IntN(3) > 0}
		switch rng.IntN(4) {
		case 0: // a receipt delivered twice
			s.ApplyReceipt(ctx, rc)
			s.ApplyReceipt(ctx, rc)
		case 1: // a transition retried after an unknown outcome
			s.ApplyReceipt(ctx, rc)
			s.Deliver(ctx, id, message.Result{}, c.Now())
		case 2:
			s.ApplyReceipt(ctx, rc)
		case 3: // left to expire
			rc.Delivered = false
		}
		if rc.Delivered {
			delivered++
		}
		c.Add(37 * time.Second)
	}
	c.Add(message.ResultWindow)
	for {
		ids, err := s.ExpireDue(ctx, c.Now(), 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) == 0 {
			break
		}
	}
	total := 0
	for _, cust := range []string{"c0", "c1"} {
		for _, month := range []string{"2026-11", "2026-12"} {
			got, err := s.MonthCounts(cust, month)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.Recount(cust, month)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s %s: counters %v, recount %v", cust, month, got, want)
			}
			for _, n := range got {
				total += int(n)
			}
		}
	}
	if total != delivered {
		t.Fatalf("billed %d, delivered %d", total, delivered)
	}
	// The daily counters say what the records say, day by day (Seoul).
	for _, cust := range []string{"c0", "c1"} {
		got, err := s.DailyCounts(cust, "2026-11-01", "2026-12-31")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]map[message.Product]DayCount{}
		err = s.scanCustomer(cust, func(m *message.Message) error {
			day := m.FinalAt.In(seoul).Format(time.DateOnly)
			if want[day] == nil {
				want[day] = map[message.Product]DayCount{}
			}
			c := want[day][m.Product]
			c.Final++
			if m.State == message.StateDelivered {
				c.Delivered++
			}
			want[day][m.Product] = c
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || len(got) < 2 {
			t.Fatalf("%s: daily counters %v, recount %v", cust, got, want)
		}
	}
	if nov, _ := s.MonthCounts("c0", "2026-11"); len(nov) == 0 {
		t.Fatal("nothing billed in November: the boundary case did not happen")
	}
	if dec, _ := s.MonthCounts("c0", "2026-12"); len(dec) == 0 {
		t.Fatal("nothing billed in December (Seoul)")
	}
	mustVerify(t, s)
}

// The builder's Seoul dates are the times' own, formatted, whatever
// order the times come in: around midnight in Seoul, before 1970, past
// the year 9999; a day already formatted costs no allocation, and the
// billing key holds its month.
func TestSeoulDates(t *testing.T) {
	var c seoulDates
	midnight := time.Date(2026, 12, 3, 0, 0, 0, 0, seoul)
	var times []time.Time
	for _, base := range []time.Time{midnight, time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC),
		time.Date(1960, 1, 1, 0, 0, 0, 0, seoul), time.Date(10000, 1, 1, 0, 0, 0, 0, seoul), {}} {
		for _, d := range []time.Duration{-time.Nanosecond, 0, time.Nanosecond, time.Hour, -9 * time.Hour, -24 * time.Hour} {
			times = append(times, base.Add(d))
		}
	}
	for _, tm := range append(times, times...) {
		if got, want := string(c.of(tm)), tm.In(seoul).Format(time.DateOnly); got != want {
			t.Errorf("%v: %s, want %s", tm, got, want)
		}
		key := appendBillKey(nil, "shop", c.of(tm), message.ProductSMS)
		if want := billKey("shop", billingMonth(tm), message.ProductSMS); string(key) != string(want) {
			t.Errorf("%v: bill key %q, want %q", tm, key, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { c.of(midnight.Add(time.Hour)) }); n != 0 {
		t.Errorf("a day already formatted: %v allocations", n)
	}
}
