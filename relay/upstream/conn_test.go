package upstream_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/internal/testcert"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReportsPushedAckedAndRedelivered(t *testing.T) {
	h := newFakeHandler()
	ts := startServer(t, upstream.Config{MaxUnackedReports: 8}, h)
	box := h.outbox("c1")
	box.add(20)

	// First connection: takes the reports but acknowledges none.
	var mu sync.Mutex
	var got []uint64
	opt := c1
	opt.ManualAck = true
	opt.OnReport = func(r *upstreampb.Report) {
		mu.Lock()
		got = append(got, r.ReportSeq)
		mu.Unlock()
	}
	c := dial(t, ts.addr, opt)
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
	waitFor(t, 30*time.Second, "8 reports", func() bool { return count() == 8 })
	// The window of unacked reports is full: nothing more comes. Acks for
	// seqs never sent are ignored.
	if err := c.Ack(1, 2, 999); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "2 more reports", func() bool { return count() == 10 })
	waitFor(t, 30*time.Second, "acks recorded", func() bool { return box.unacked() == 18 })
	c.Close()

	// Second connection: everything not acknowledged comes again, in order,
	// and is acknowledged automatically.
	mu.Lock()
	got = nil
	mu.Unlock()
	opt.ManualAck = false
	dial(t, ts.addr, opt)
	waitFor(t, 30*time.Second, "redelivery", func() bool { return box.unacked() == 0 })
	box.add(5) // new reports are pushed on notify
	waitFor(t, 30*time.Second, "pushed reports acked", func() bool { return box.unacked() == 0 && count() == 23 })
	mu.Lock()
	defer mu.Unlock()
	for i, s := range got {
		if s != uint64(i+3) {
			t.Fatalf("report %d has seq %d: %v", i, s, got)
		}
	}
}

func TestBindTimeoutClosesSlowloris(t *testing.T) {
	ts := startServer(t, upstream.Config{BindTimeout: 200 * time.Millisecond}, newFakeHandler())
	r := dialRaw(t, ts.addr)
	// Half a length prefix, then nothing: the deadline is absolute.
	if _, err := r.nc.Write([]byte{0, 0}); err != nil {
		t.Fatal(err)
	}
	r.closed()
}

// TestSlowCheckDoesNotCostTheClientItsBind: the bind timeout bounds the
// client, which must send its bind in time; the relay's own check may
// take longer (a secret hash on a starved machine), and the answer still
// goes out.
func TestSlowCheckDoesNotCostTheClientItsBind(t *testing.T) {
	const timeout = 200 * time.Millisecond
	h := newFakeHandler()
	entered, release := make(chan time.Time, 1), make(chan struct{})
	h.slowAuth = func() {
		entered <- time.Now()
		<-release
	}
	ts := startServer(t, upstream.Config{BindTimeout: timeout}, h)
	r := dialRaw(t, ts.addr)
	r.send(&upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Bind{Bind: &upstreampb.Bind{Customer: "c1", Secret: "right-secret", Version: upstream.Version}}})
	at := <-entered
	// The check outlasts the client's deadline, counted from the accept.
	<-time.After(time.Until(at.Add(3 * timeout)))
	close(release)
	if resp := r.read().GetBindResp(); resp == nil || resp.Status != upstreampb.Status_OK {
		t.Fatalf("bind answered %v after a slow check, want OK", resp)
	}
	r.send(submitFrame(2, "after-slow-bind"))
	if resp := r.read().GetSubmitResp(); resp == nil || resp.Status != upstreampb.Status_OK {
		t.Fatalf("submit on the bound connection: %v", resp)
	}
}

func TestOversizeFrameClosed(t *testing.T) {
	ts := startServer(t, upstream.Config{MaxFrameSize: 1024}, newFakeHandler())
	r := dialRaw(t, ts.addr)
	r.bind("c1", "right-secret")
	r.nc.Write(binary.BigEndian.AppendUint32(nil, 1<<31))
	f := r.read()
	if e := f.GetError(); e == nil || e.Status != upstreampb.Status_INVALID_REQUEST {
		t.Fatalf("got %v", f)
	}
	r.closed()
}

func TestGarbageBeforeBindClosed(t *testing.T) {
	ts := startServer(t, upstream.Config{}, newFakeHandler())
	r := dialRaw(t, ts.addr)
	r.nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	f := r.read()
	if e := f.GetError(); e == nil || e.Status != upstreampb.Status_INVALID_REQUEST {
		t.Fatalf("got %v, want Error INVALID_REQUEST", f)
	}
	r.closed()
}

func TestConnectionLimits(t *testing.T) {
	ts := startServer(t, upstream.Config{MaxConnsPerCustomer: 2, MaxConns: 3}, newFakeHandler())
	dial(t, ts.addr, c1)
	dial(t, ts.addr, c1)
	_, err := client.Dial(context.Background(), ts.addr, c1)
	var se *client.StatusError
	if !errors.As(err, &se) || se.Status != upstreampb.Status_THROTTLED {
		t.Fatalf("third connection of c1: %v", err)
	}
	waitFor(t, 30*time.Second, "refused connection gone", func() bool { return ts.NumConns() == 2 })
	dial(t, ts.addr, client.Options{Customer: "c2", Secret: "other-secret", PingInterval: -1})
	// The relay is at its bound limit: a fourth bind is refused, and says why.
	_, err = client.Dial(context.Background(), ts.addr, client.Options{Customer: "c2", Secret: "other-secret", PingInterval: -1})
	if !errors.As(err, &se) || se.Status != upstreampb.Status_THROTTLED || !strings.Contains(se.Reason, "limit of 3 bound") {
		t.Fatalf("fourth bind: %v", err)
	}
	waitFor(t, 30*time.Second, "refused connection gone", func() bool { return ts.NumConns() == 3 })
}

func TestCloseAnswersInFlight(t *testing.T) {
	h := newFakeHandler()
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	h.hold = func(context.Context, []*upstreampb.Submit) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
	}
	ts := startServer(t, upstream.Config{}, h)
	c := dial(t, ts.addr, c1)
	done := make(chan error, 1)
	go func() {
		resp, err := c.Submit(context.Background(), submitFrame(0, "late").GetSubmit())
		if err == nil && resp.Status != upstreampb.Status_OK {
			err = errors.New(resp.Status.String())
		}
		done <- err
	}()
	<-entered
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		closed <- ts.Close(ctx)
	}()
	// The server waits for the handler, then answers, then closes.
	select {
	case <-closed:
		t.Fatal("closed with a submit in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("in-flight submit: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("client not told of the close")
	}
	var se *client.StatusError
	if !errors.As(c.Err(), &se) || se.Status != upstreampb.Status_SHUTTING_DOWN || !se.Temporary() {
		t.Fatalf("client error %v, want SHUTTING_DOWN", c.Err())
	}
}

func selfSigned(t testing.TB) (*tls.Config, *tls.Config) {
	t.Helper()
	cert, pool := testcert.New(t)
	srv := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
	cli := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13}
	return srv, cli
}

func TestTLS(t *testing.T) {
	srvTLS, cliTLS := selfSigned(t)
	ts := startServer(t, upstream.Config{TLS: srvTLS}, newFakeHandler())
	opt := c1
	opt.TLS = cliTLS
	c := dial(t, ts.addr, opt)
	resp, err := c.Submit(context.Background(), submitFrame(0, "tls").GetSubmit())
	if err != nil || resp.MessageId != "id-tls" {
		t.Fatalf("%v %v", resp, err)
	}
	// A plain-text client gets nowhere.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := client.Dial(ctx, ts.addr, c1); err == nil {
		t.Fatal("plain client bound to a TLS server")
	}
}

// TestCloseForcedWhenHandlerOutlivesDeadline: when Close gives up on a
// handler, the handler's ctx ends and whatever it answers then is never
// written: the connection is aborted first. The handler answers at once
// when its ctx ends, racing the abort; rounds make the race likely.
func TestCloseForcedWhenHandlerOutlivesDeadline(t *testing.T) {
	for round := range 20 {
		h := newFakeHandler()
		entered := make(chan struct{}, 1)
		cancelled := make(chan struct{})
		h.hold = func(ctx context.Context, _ []*upstreampb.Submit) {
			entered <- struct{}{}
			<-ctx.Done() // a store that never syncs
			close(cancelled)
		}
		ts := startServer(t, upstream.Config{}, h)
		c := dial(t, ts.addr, c1)
		failed := make(chan error, 1)
		go func() {
			_, err := c.Submit(context.Background(), submitFrame(0, "stuck").GetSubmit())
			failed <- err
		}()
		<-entered
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		if err := ts.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("round %d: Close = %v, want deadline exceeded", round, err)
		}
		cancel()
		<-cancelled
		if err := <-failed; err == nil {
			t.Fatalf("round %d: stuck submit answered", round)
		}
	}
}

// TestReportsSharedAmongConnections: a customer's reports go out once across
// its connections, and what one connection held unacknowledged goes out on
// another when it ends.
func TestReportsSharedAmongConnections(t *testing.T) {
	h := newFakeHandler()
	ts := startServer(t, upstream.Config{MaxUnackedReports: 64}, h)
	box := h.outbox("c1")

	var mu sync.Mutex
	seen := map[uint64]int{}
	byConn := [2][]uint64{}
	mk := func(i int) client.Options {
		opt := c1
		opt.ManualAck = true
		opt.OnReport = func(r *upstreampb.Report) {
			mu.Lock()
			seen[r.ReportSeq]++
			byConn[i] = append(byConn[i], r.ReportSeq)
			mu.Unlock()
		}
		return opt
	}
	a := dial(t, ts.addr, mk(0))
	b := dial(t, ts.addr, mk(1))
	box.add(100)
	total := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, c := range seen {
			n += c
		}
		return n
	}
	// 2 × 64 window ≥ 100: all go out, each once.
	waitFor(t, 30*time.Second, "100 reports", func() bool { return total() >= 100 })
	mu.Lock()
	for s, n := range seen {
		if n != 1 {
			t.Errorf("report %d sent %d times", s, n)
		}
	}
	held := append([]uint64(nil), byConn[0]...)
	mu.Unlock()
	if t.Failed() {
		return
	}
	// b acknowledges its share; a leaves without acknowledging: its share
	// goes to b.
	mu.Lock()
	bShare := append([]uint64(nil), byConn[1]...)
	mu.Unlock()
	if err := b.Ack(bShare...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "b's acks", func() bool { return box.unacked() == 100-len(bShare) })
	a.Close()
	waitFor(t, 30*time.Second, "a's share resent on b", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(byConn[1]) == len(bShare)+len(held)
	})
	mu.Lock()
	resent := append([]uint64(nil), byConn[1][len(bShare):]...)
	mu.Unlock()
	if err := b.Ack(resent...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "outbox empty", func() bool { return box.unacked() == 0 })
}

// TestReportAckedElsewhereNotSentAgain: a connection that read the outbox
// just before another connection's client acknowledged the reports it
// read does not send them again: they were taken, and then acknowledged,
// not released.
func TestReportAckedElsewhereNotSentAgain(t *testing.T) {
	h := newFakeHandler()
	ts := startServer(t, upstream.Config{MaxUnackedReports: 64}, h)
	box := h.outbox("c1")
	bRead, release := make(chan struct{}), make(chan struct{})
	readDone, releaseDone := sync.OnceFunc(func() { close(bRead) }), sync.OnceFunc(func() { close(release) })
	t.Cleanup(func() { readDone(); releaseDone() }) // nothing left waiting, should the test fail
	var once sync.Once
	box.afterRead = func(v *fakeView, read []*upstreampb.Report) {
		if v.n == 1 && len(read) > 0 {
			once.Do(func() {
				readDone()
				<-release
			})
		}
	}
	var mu sync.Mutex
	seen := [2]map[uint64]int{{}, {}}
	mk := func(i int) client.Options {
		opt := c1
		opt.OnReport = func(r *upstreampb.Report) {
			if i == 0 {
				<-bRead // b has read the outbox: now a acknowledges (on return)
			}
			mu.Lock()
			seen[i][r.ReportSeq]++
			mu.Unlock()
		}
		return opt
	}
	a := dial(t, ts.addr, mk(0))
	waitFor(t, 5*time.Second, "a's view", func() bool { box.mu.Lock(); defer box.mu.Unlock(); return len(box.views) == 1 })
	b := dial(t, ts.addr, mk(1))
	waitFor(t, 5*time.Second, "b's view", func() bool { box.mu.Lock(); defer box.mu.Unlock(); return len(box.views) == 2 })
	box.add(10)
	<-bRead
	waitFor(t, 10*time.Second, "a's acknowledgements", func() bool {
		var buf bytes.Buffer
		ts.metrics.WritePrometheus(&buf)
		for _, l := range strings.Split(buf.String(), "\n") {
			if strings.HasPrefix(l, "relay_upstream_reports_acked_total{") && strings.HasSuffix(l, " 10") {
				return true
			}
		}
		return false
	})
	a.Close()
	releaseDone()
	// One more report: b is alone, and sends it after whatever it sent
	// of the first ten.
	box.add(1)
	waitFor(t, 10*time.Second, "the eleventh report on b", func() bool { mu.Lock(); defer mu.Unlock(); return seen[1][11] == 1 })
	mu.Lock()
	defer mu.Unlock()
	for s := range uint64(10) {
		if n := seen[0][s+1] + seen[1][s+1]; n != 1 {
			t.Errorf("report %d sent %d times (a %d, b %d), want once", s+1, n, seen[0][s+1], seen[1][s+1])
		}
	}
	_ = b
}
