package security

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/msgrelay/relay/bench/faults"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

func raiseFDLimit(want uint64) uint64 {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return 0
	}
	if lim.Cur < want && lim.Max > lim.Cur {
		lim.Cur = min(want, lim.Max)
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return lim.Cur
}

// Attack 1: connections that never bind, held and reopened without pause
// from one source, must not keep a customer at another source out, nor
// grow the relay. Short form: 1,000 held against max_conns = 500 (the old
// limit counted unbound connections); full form: 10,000 against the
// default 10,000.
func TestAttack01PreAuthFlood(t *testing.T) {
	held := faults.Pick(1000, 10_000)
	keys := "bind_timeout = \"5s\""
	if !faults.Full() {
		keys += "\nmax_conns = 500"
	}
	if fd := raiseFDLimit(uint64(held) + 1000); fd < uint64(held)+200 {
		t.Skipf("file descriptor limit %d too low for %d connections", fd, held)
	}
	r := startRelay(t, keys, "")
	opened := holdFlood(t, held, "127.0.0.1", r.Addr)
	ok, worstRSS := 0, 0.0
	var lastErr error
	t0 := time.Now()
	for range 100 {
		if err := bindFrom("127.0.0.2", r.Addr, "shop", faults.Secret, "good"); err != nil {
			lastErr = err
		} else {
			ok++
		}
		worstRSS = max(worstRSS, faults.RSSMiB(r.PID()))
	}
	t.Logf("flood of %d held connections (%d opened): %d of 100 binds from another source in %v; relay RSS at most %.0f MiB",
		held, opened.Load(), ok, time.Since(t0).Round(time.Millisecond), worstRSS)
	if ok != 100 {
		t.Errorf("%d of 100 binds succeeded; last error: %v", ok, lastErr)
	}
	if worstRSS > 256 {
		t.Errorf("relay RSS %.0f MiB > 256 MiB", worstRSS)
	}
}

// Attack 2: wrong secrets of one customer never lock out another at the
// same address, and guesses at one customer from 100 addresses are
// throttled.
func TestAttack02FairAuthThrottle(t *testing.T) {
	r := startRelay(t, "", "")
	for range 10 {
		_ = bindFrom("127.0.0.1", r.Addr, "shop", "wrong-guess", "")
	}
	if err := bindFrom("127.0.0.1", r.Addr, "mall", faults.Secret, ""); err != nil {
		t.Errorf("mall's right secret after shop's wrong ones at the same address: %v", err)
	}
	var unauth, throttled int
	t0 := time.Now()
	for i := range 500 {
		err := bindFrom("127.0.1."+strconv.Itoa(1+i%100), r.Addr, "shop", "guess-"+strconv.Itoa(i), "")
		var se *client.StatusError
		switch {
		case errors.As(err, &se) && se.Status == upstreampb.Status_UNAUTHENTICATED:
			unauth++
		case errors.As(err, &se) && se.Status == upstreampb.Status_THROTTLED:
			throttled++
		default:
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	t.Logf("500 guesses from 100 addresses in %v: %d checked, %d throttled", time.Since(t0).Round(time.Millisecond), unauth, throttled)
	if unauth > 50 {
		t.Errorf("%d of 500 guesses reached the secret check", unauth)
	}
}

// Attack 5: refused binds with a 60,000-byte client name do not flood the
// log, and one source's flood does not hide another's refusal.
func TestAttack05LogFlood(t *testing.T) {
	r := startRelay(t, "", "")
	before := len(r.Logs())
	name := strings.Repeat("N", 60000)
	for range 300 {
		_ = bindFrom("127.0.0.1", r.Addr, "shop", "wrong", name)
	}
	_ = bindFrom("127.0.0.3", r.Addr, "mall", "wrong-too", "marker-client")
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(r.Logs(), "marker-client") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	grew := len(r.Logs()) - before
	t.Logf("300 refused binds with a 60,000-byte client name grew the log by %d bytes", grew)
	if grew > 64<<10 {
		t.Errorf("log grew by %d bytes", grew)
	}
	if !strings.Contains(r.Logs(), "marker-client") {
		t.Error("another source's refused bind was not logged")
	}
}

// Attack 7: the time of a wrong answer does not tell a known id (here one
// with 1,000 iterations, beside a customer with 100,000) from an unknown.
func TestAttack07TimingOracle(t *testing.T) {
	big, err := customer.HashSecret("big-secret", 100_000)
	if err != nil {
		t.Fatal(err)
	}
	r := startRelay(t, "", "[[customer]]\nid = \"big\"\nname = \"big\"\nsecret_hash = \""+big+"\"\nproducts = [\"sms\"]\n")
	// Known and unknown alternate, so the machine's load weighs on both.
	var known, unknown []time.Duration
	for i := range 15 {
		for _, id := range []string{"shop", "nobody-" + strconv.Itoa(i)} {
			t0 := time.Now()
			_ = bindFrom("127.0.2."+strconv.Itoa(1+i), r.Addr, id, "wrong", "")
			if id == "shop" {
				known = append(known, time.Since(t0))
			} else {
				unknown = append(unknown, time.Since(t0))
			}
			time.Sleep(30 * time.Millisecond) // under the check budget: no waiting in line
		}
	}
	// The fastest answer of each kind is its cost with the least load on top:
	// a busy machine adds time to some answers, never takes it away, so the
	// minimums compare the work while medians would compare the load.
	fastest := func(ds []time.Duration) time.Duration { return slices.Min(ds) }
	ratio := float64(fastest(unknown)) / float64(fastest(known))
	t.Logf("fastest wrong-secret answer: known id %v, unknown id %v (ratio %.2f)", fastest(known), fastest(unknown), ratio)
	// 100 times as many iterations would show as a ratio near 100.
	if ratio > 3 || ratio < 1.0/3 {
		t.Errorf("unknown/known answer time %.2f, want within [1/3, 3]", ratio)
	}
}

func frame(f *upstreampb.Frame) []byte {
	body, err := proto.Marshal(f)
	if err != nil {
		panic(err)
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// closedWithin reads from nc until the relay closes it, and fails the test
// if that took longer than d plus twice the scheduling lag measured
// meanwhile (the relay's timer and this read are each woken that late on
// a busy machine). The read waits 30 s longer, so a late close is told
// apart from one that never comes.
func closedWithin(t *testing.T, nc net.Conn, d time.Duration) {
	t.Helper()
	lag := faults.NewLagMeter()
	t0 := time.Now()
	_ = nc.SetReadDeadline(t0.Add(d + 30*time.Second))
	_, err := io.Copy(io.Discard, nc)
	took, worst := time.Since(t0), lag.Stop()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("still open after %v", took)
	} else if took > d+2*worst {
		t.Errorf("closed after %v > %v (+ 2 × lag %v)", took, d, worst)
	}
}

// More attacks on the upstream port.
func TestUpstreamAttacks(t *testing.T) {
	r := startRelay(t, "bind_timeout = \"1s\"", "")
	dial := func(t *testing.T, local string) net.Conn {
		nc, err := dialFrom(context.Background(), local, r.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		return nc
	}
	t.Run("U1 garbage before bind", func(t *testing.T) {
		nc := dial(t, "127.0.3.1")
		_, _ = nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		closedWithin(t, nc, time.Second)
	})
	t.Run("U2 length 0xFFFFFFFF", func(t *testing.T) {
		nc := dial(t, "127.0.3.2")
		_, _ = nc.Write([]byte{0xff, 0xff, 0xff, 0xff})
		closedWithin(t, nc, time.Second)
	})
	t.Run("U3 slowloris bind", func(t *testing.T) {
		nc := dial(t, "127.0.3.3")
		msg := frame(&upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Bind{Bind: &upstreampb.Bind{Customer: "shop", Secret: faults.Secret, Version: 1}}})
		go func() {
			for _, b := range msg {
				if _, err := nc.Write([]byte{b}); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		closedWithin(t, nc, 2500*time.Millisecond)
	})
	t.Run("U4 65,000-byte customer id", func(t *testing.T) {
		err := bindFrom("127.0.3.4", r.Addr, strings.Repeat("c", 65000), "x", "")
		var se *client.StatusError
		if !errors.As(err, &se) || se.Status == upstreampb.Status_OK {
			t.Fatalf("bind: %v", err)
		}
	})
	t.Run("U5 submit before bind", func(t *testing.T) {
		nc := dial(t, "127.0.3.5")
		_, _ = nc.Write(frame(&upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Submit{Submit: &upstreampb.Submit{ClientRef: "x", Text: "hi"}}}))
		closedWithin(t, nc, time.Second)
	})
	t.Run("U6 another customer's reports cannot be acked", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		nc, err := dialFrom(ctx, "127.0.3.6", r.Addr)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := client.New(ctx, nc, client.Options{Customer: "mall", Secret: faults.Secret, PingInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		// Acks of report sequences the connection was never sent are
		// ignored; the connection stays usable.
		if err := cl.Ack(1, 2, 3, 1<<40); err != nil {
			t.Logf("ack: %v", err)
		}
		resp, err := cl.Submit(ctx, &upstreampb.Submit{ClientRef: "u6", Product: upstreampb.Product_PRODUCT_SMS,
			Sender: "0212345678", Recipient: "01012345678", Text: "still here"})
		if err != nil || resp.Status != upstreampb.Status_OK {
			t.Fatalf("submit after stray acks: %v %v", resp, err)
		}
	})
	t.Run("U7 still serves after all that", func(t *testing.T) {
		if err := bindFrom("127.0.3.7", r.Addr, "shop", faults.Secret, ""); err != nil {
			t.Fatal(err)
		}
	})
	for _, s := range []string{faults.Secret, faults.CarrierPassword} {
		if strings.Contains(r.Logs(), s) {
			t.Errorf("a secret is in the log")
		}
	}
}

// holdFlood keeps held connections from source from to addr open without
// a pause: each is reopened as soon as the relay closes it. It returns once
// held have been opened (or after 30 s) and stops at the test's end; opened
// counts every connection made.
func holdFlood(t *testing.T, held int, from, addr string) *atomic.Int64 {
	stop := make(chan struct{})
	var opened atomic.Int64
	var wg sync.WaitGroup
	for range held {
		wg.Go(func() {
			buf := make([]byte, 16)
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				nc, err := dialFrom(ctx, from, addr)
				cancel()
				if err != nil {
					time.Sleep(time.Millisecond) // out of ports or the backlog is full: the flood goes on
					continue
				}
				opened.Add(1)
				_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, _ = nc.Read(buf) // held until the relay closes it
				nc.Close()
			}
		})
	}
	t.Cleanup(func() { close(stop); wg.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for opened.Load() < int64(held) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return &opened
}
