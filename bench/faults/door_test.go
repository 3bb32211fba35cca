package faults

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// closedWithin reads from c until the relay closes it; it reports how long
// that took, and fails the test past d, plus twice the scheduling lag
// measured meanwhile (the relay's timer and this read are each woken that
// late on a busy machine). The read itself waits 30 s longer, so that a
// late close is reported with its time rather than as "still open".
func closedWithin(t *testing.T, c net.Conn, d time.Duration) time.Duration {
	t.Helper()
	lag := NewLagMeter()
	t0 := time.Now()
	_ = c.SetReadDeadline(t0.Add(d + 30*time.Second))
	_, err := io.Copy(io.Discard, c)
	took := time.Since(t0)
	worst := lag.Stop()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("connection still open after %v", took)
	} else if took > d+2*worst {
		t.Errorf("connection closed after %v > %v (+ 2 × lag %v)", took, d, worst)
	}
	return took
}

func frame(f *upstreampb.Frame) []byte {
	body, err := proto.Marshal(f)
	if err != nil {
		panic(err)
	}
	return binary.BigEndian.AppendUint32(nil, uint32(len(body))) // then the body
}

// TestBadInputAtTheDoor throws what a hostile or broken peer sends at the
// relayd binary's upstream port. Pass: each bad connection is refused or
// closed within a second of the fault (slowloris and idle ones within the
// bind timeout), wrong secrets are throttled per source, the relay's RSS
// stays ≤ 1 GiB, it still serves a good client afterwards, and no secret
// appears in its log.
func TestBadInputAtTheDoor(t *testing.T) {
	SkipShort(t)
	bin, err := BuildRelayd()
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCarrier("alpha", smpptest.Config{Users: map[string]string{"relay": CarrierPassword}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const bindTimeout = time.Second
	cfg := writeSetup(t, &Setup{Customers: []string{"shop"}, Carriers: []*Carrier{c},
		Upstream: "bind_timeout = \"1s\"\nmax_conns = 12000"})
	r, err := StartRelayd(bin, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Kill()
	dial := func(t *testing.T) net.Conn {
		t.Helper()
		nc, err := net.Dial("tcp", r.Addr)
		if err != nil {
			t.Fatal(err)
		}
		return nc
	}

	t.Run("garbage frame", func(t *testing.T) {
		nc := dial(t)
		defer nc.Close()
		junk := make([]byte, 256)
		_, _ = rand.Read(junk)
		binary.BigEndian.PutUint32(junk, 252) // a whole frame of nonsense
		_, _ = nc.Write(junk)
		closedWithin(t, nc, time.Second)
	})
	t.Run("garbage, frame never completes", func(t *testing.T) {
		nc := dial(t)
		defer nc.Close()
		junk := make([]byte, 256)
		_, _ = rand.Read(junk)
		binary.BigEndian.PutUint32(junk, 60000) // the rest never comes
		_, _ = nc.Write(junk)
		closedWithin(t, nc, bindTimeout+500*time.Millisecond)
	})
	t.Run("oversized frame", func(t *testing.T) {
		nc := dial(t)
		defer nc.Close()
		_, _ = nc.Write([]byte{0xff, 0xff, 0xff, 0xf0})
		closedWithin(t, nc, time.Second)
	})
	t.Run("submit before bind", func(t *testing.T) {
		nc := dial(t)
		defer nc.Close()
		f := &upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Submit{Submit: &upstreampb.Submit{ClientRef: "x", Text: "hi"}}}
		body, _ := proto.Marshal(f)
		_, _ = nc.Write(append(frame(f), body...))
		closedWithin(t, nc, time.Second)
	})
	t.Run("slowloris", func(t *testing.T) {
		nc := dial(t)
		defer nc.Close()
		f := &upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Bind{Bind: &upstreampb.Bind{Customer: "shop", Secret: Secret}}}
		body, _ := proto.Marshal(f)
		msg := append(frame(f), body...)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // one byte every 100 ms: never a whole bind in time
			defer wg.Done()
			tk := time.NewTicker(100 * time.Millisecond)
			defer tk.Stop()
			for _, b := range msg {
				select {
				case <-stop:
					return
				case <-tk.C:
				}
				if _, err := nc.Write([]byte{b}); err != nil {
					return
				}
			}
		}()
		closedWithin(t, nc, bindTimeout+time.Second)
		close(stop)
		wg.Wait()
	})
	t.Run("wrong secrets", func(t *testing.T) {
		var refused, throttled int
		for i := range 12 {
			lag := NewLagMeter()
			t0 := time.Now()
			// The answer is due within a second (below); the dial's own
			// deadline is only hit when it never comes.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			cl, err := client.Dial(ctx, r.Addr, client.Options{Customer: "shop", Secret: "guess-" + strings.Repeat("x", i) + "-wrong"})
			cancel()
			if err == nil {
				cl.Close()
				t.Fatal("a wrong secret was accepted")
			}
			var se *client.StatusError
			switch {
			case errors.As(err, &se) && se.Status == upstreampb.Status_UNAUTHENTICATED:
				refused++
			case errors.As(err, &se) && se.Status == upstreampb.Status_THROTTLED:
				throttled++
			default:
				t.Errorf("attempt %d: %v", i, err)
			}
			// A second, plus the lag of the relay's and this wake-up.
			if d, worst := time.Since(t0), lag.Stop(); d > time.Second+2*worst {
				t.Errorf("attempt %d answered after %v (lag %v)", i, d, worst)
			}
		}
		t.Logf("wrong secrets: %d refused, %d throttled", refused, throttled)
		if throttled == 0 {
			t.Error("12 wrong secrets in a row from one address were never throttled")
		}
	})
	t.Run("unauthenticated flood", func(t *testing.T) {
		n := Pick(300, 3000)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var worst time.Duration
		lag := NewLagMeter()
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				nc, err := net.Dial("tcp", r.Addr)
				if err != nil {
					return
				}
				defer nc.Close()
				f := &upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Submit{Submit: &upstreampb.Submit{ClientRef: "x"}}}
				body, _ := proto.Marshal(f)
				_, _ = nc.Write(append(frame(f), body...))
				t0 := time.Now()
				_ = nc.SetReadDeadline(t0.Add(30 * time.Second))
				_, _ = io.Copy(io.Discard, nc)
				mu.Lock()
				worst = max(worst, time.Since(t0))
				mu.Unlock()
			}()
		}
		wg.Wait()
		late := lag.Stop()
		t.Logf("%d unauthenticated connections, the slowest closed after %v (scheduling lag up to %v)", n, worst, late)
		if worst > time.Second+2*late {
			t.Errorf("an unauthenticated connection lived %v > 1s + 2 × lag %v", worst, late)
		}
	})
	t.Run("idle connections", func(t *testing.T) {
		want := Pick(2000, 10_000)
		n := raiseFDLimit(t, want)
		conns := make([]net.Conn, 0, n)
		defer func() {
			for _, nc := range conns {
				nc.Close()
			}
		}()
		for range n {
			nc, err := net.Dial("tcp", r.Addr)
			if err != nil {
				t.Logf("dial %d: %v", len(conns), err)
				break
			}
			conns = append(conns, nc)
		}
		rss := RSSMiB(r.PID())
		lag := NewLagMeter()
		t0 := time.Now()
		var open int
		for _, nc := range conns {
			// Every connection was accepted before t0, so its bind timeout
			// ends by t0 + bindTimeout; the 30 s only tells a late close
			// (judged below) from one that never comes.
			_ = nc.SetReadDeadline(t0.Add(bindTimeout + 30*time.Second))
			if _, err := nc.Read(make([]byte, 1)); err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					open++
				}
			}
		}
		took, worst := time.Since(t0), lag.Stop()
		t.Logf("%d idle connections (wanted %d), relay RSS with them open %.0f MiB, all closed %v after the last dial (scheduling lag up to %v), still open %d",
			len(conns), want, rss, took.Round(time.Millisecond), worst, open)
		if open > 0 {
			t.Errorf("%d idle connections outlived the bind timeout", open)
		} else if limit := bindTimeout + 2*time.Second + 2*worst; took > limit {
			t.Errorf("idle connections closed %v after the last dial > %v (bind timeout + 2 s + 2 × lag)", took, limit)
		}
		if rss > 1024 {
			t.Errorf("relay RSS %.0f MiB > 1 GiB", rss)
		}
	})
	t.Run("still serves", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cl, err := client.Dial(ctx, r.Addr, client.Options{Customer: "shop", Secret: Secret})
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		resp, err := cl.Submit(ctx, &upstreampb.Submit{ClientRef: "after", Product: upstreampb.Product_PRODUCT_SMS,
			Sender: "0212345678", Recipient: "01098765432", Text: "still here"})
		if err != nil || resp.Status != upstreampb.Status_OK {
			t.Fatalf("%v %v", resp, err)
		}
	})
	if err := r.Stop(30 * time.Second); err != nil {
		t.Error(err)
	}
	logs := r.Logs()
	for _, secret := range []string{Secret, CarrierPassword, "-wrong"} {
		if strings.Contains(logs, secret) {
			t.Errorf("%q appears in the relay's log", secret)
		}
	}
}

// raiseFDLimit lifts this process's open-file limit towards n + 200 (the
// relay's own limit is the same, inherited) and returns how many
// connections fit.
func raiseFDLimit(t *testing.T, n int) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Logf("getrlimit: %v", err)
		return min(n, 500)
	}
	if lim.Cur < uint64(n+200) {
		lim.Cur = min(lim.Max, uint64(n+200))
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Logf("setrlimit: %v", err)
		}
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return min(n, int(lim.Cur)-200)
}
