package upstream_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// pipeListener hands the server in-memory connections, so timeouts can be
// tested on the fake clock of a synctest bubble.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial() net.Conn {
	server, client := net.Pipe()
	l.conns <- server
	return client
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// inBubble runs a server on a pipe listener inside a synctest bubble.
func inBubble(t *testing.T, cfg upstream.Config, h upstream.Handler, f func(t *testing.T, ln *pipeListener)) {
	synctest.Test(t, func(t *testing.T) {
		if h == nil {
			h = newFakeHandler()
		}
		srv, err := upstream.NewServer(cfg, h, slog.New(slog.DiscardHandler), metrics.NewSet())
		if err != nil {
			t.Fatal(err)
		}
		ln := newPipeListener()
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		f(t, ln)
		if err := srv.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := <-served; !errors.Is(err, upstream.ErrServerClosed) {
			t.Fatal(err)
		}
	})
}

func pipeBind(t *testing.T, nc net.Conn) *upstream.FrameReader {
	t.Helper()
	b, _ := upstream.AppendFrame(nil, &upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Bind{Bind: &upstreampb.Bind{
		Customer: "c1", Secret: "right-secret", Version: upstream.Version}}})
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	fr := upstream.NewFrameReader(nc, 0)
	var f upstreampb.Frame
	if err := fr.Read(&f); err != nil || f.GetBindResp().GetStatus() != upstreampb.Status_OK {
		t.Fatalf("bind: %v %v", &f, err)
	}
	return fr
}

// closedAfter reads until the server closes nc and returns how long that took.
func closedAfter(nc net.Conn) time.Duration {
	start := time.Now()
	io.Copy(io.Discard, nc)
	return time.Since(start)
}

func TestBindDeadlineOnFakeClock(t *testing.T) {
	inBubble(t, upstream.Config{BindTimeout: 5 * time.Second}, nil, func(t *testing.T, ln *pipeListener) {
		nc := ln.dial()
		defer nc.Close()
		start := time.Now()
		// A slowloris: one byte of the length prefix every second.
		go func() {
			for range 3 {
				if _, err := nc.Write([]byte{0}); err != nil {
					return
				}
				time.Sleep(time.Second)
			}
		}()
		io.Copy(io.Discard, nc)
		if d := time.Since(start); d != 5*time.Second {
			t.Fatalf("closed after %v, want the 5s bind deadline", d)
		}
	})
}

func TestIdleTimeoutOnFakeClock(t *testing.T) {
	inBubble(t, upstream.Config{IdleTimeout: 90 * time.Second}, nil, func(t *testing.T, ln *pipeListener) {
		nc := ln.dial()
		defer nc.Close()
		fr := pipeBind(t, nc)
		// Pings every 60 s keep it open for 5 minutes...
		for i := range 5 {
			time.Sleep(60 * time.Second)
			b, _ := upstream.AppendFrame(nil, &upstreampb.Frame{Seq: uint32(i + 2), Op: &upstreampb.Frame_Ping{Ping: &upstreampb.Ping{}}})
			if _, err := nc.Write(b); err != nil {
				t.Fatalf("ping %d: %v", i, err)
			}
			var f upstreampb.Frame
			if err := fr.Read(&f); err != nil || f.GetPong() == nil {
				t.Fatalf("pong %d: %v %v", i, &f, err)
			}
		}
		// ...then 90 s of silence closes it, to the second.
		if d := closedAfter(nc); d != 90*time.Second {
			t.Fatalf("closed after %v of silence, want 90s", d)
		}
	})
}

func TestReportSourceFailureRetried(t *testing.T) {
	h := newFakeHandler()
	box := h.outbox("c1")
	box.failNext.Store(2)
	box.add(1)
	inBubble(t, upstream.Config{}, h, func(t *testing.T, ln *pipeListener) {
		nc := ln.dial()
		defer nc.Close()
		start := time.Now()
		fr := pipeBind(t, nc)
		var f upstreampb.Frame
		if err := fr.Read(&f); err != nil || f.GetReport().GetReportSeq() != 1 {
			t.Fatalf("report: %v %v", &f, err)
		}
		// Two failed reads of the outbox, one second apart each.
		if d := time.Since(start); d != 2*time.Second {
			t.Fatalf("report after %v, want 2s", d)
		}
	})
}

func TestWindowFullStopsReading(t *testing.T) {
	h := newFakeHandler()
	var release chan struct{} // made in the bubble, so waiting on it is durable
	h.hold = func(ctx context.Context, _ []*upstreampb.Submit) {
		select {
		case <-release:
		case <-ctx.Done():
		}
	}
	inBubble(t, upstream.Config{MaxInFlight: 8, SubmitWorkers: 2, MaxBatch: 2}, h, func(t *testing.T, ln *pipeListener) {
		release = make(chan struct{})
		nc := ln.dial()
		defer nc.Close()
		fr := pipeBind(t, nc)
		var written sync.WaitGroup
		var mu sync.Mutex
		n := 0
		written.Go(func() {
			for i := range 200 {
				b, _ := upstream.AppendFrame(nil, submitFrame(uint32(i+2), "r"))
				if _, err := nc.Write(b); err != nil {
					return
				}
				mu.Lock()
				n++
				mu.Unlock()
			}
		})
		synctest.Wait() // everyone blocked: the writer on a server that stopped reading
		mu.Lock()
		stuck := n
		mu.Unlock()
		if stuck >= 200 || stuck < 8 {
			t.Fatalf("%d of 200 submits written with a window of 8", stuck)
		}
		close(release)
		answers := 0
		for answers < 200 {
			var f upstreampb.Frame
			if err := fr.Read(&f); err != nil {
				t.Fatalf("after %d answers: %v", answers, err)
			}
			if f.GetSubmitResp() != nil {
				answers++
			}
		}
		written.Wait()
	})
}

func TestClientNotReadingIsCutAfterWriteTimeout(t *testing.T) {
	inBubble(t, upstream.Config{WriteTimeout: 30 * time.Second}, nil, func(t *testing.T, ln *pipeListener) {
		nc := ln.dial()
		defer nc.Close()
		pipeBind(t, nc)
		ping, _ := upstream.AppendFrame(nil, &upstreampb.Frame{Seq: 2, Op: &upstreampb.Frame_Ping{Ping: &upstreampb.Ping{}}})
		if _, err := nc.Write(ping); err != nil { // its Pong is never read
			t.Fatal(err)
		}
		time.Sleep(29 * time.Second)
		if _, err := nc.Write(ping); err != nil {
			t.Fatalf("cut before the write timeout: %v", err)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if _, err := nc.Write(ping); err == nil {
			t.Fatal("still open after the write timeout")
		}
	})
}

// TestOutboxReadOnlyWhenItMayHoldMore counts the reads of the outbox: a
// read that came back short has seen all there was, so the next is for a
// notification, or for room in the window after a read that filled it;
// an acknowledgement alone makes none.
func TestOutboxReadOnlyWhenItMayHoldMore(t *testing.T) {
	h := newFakeHandler()
	box := h.outbox("c1")
	box.add(5)
	inBubble(t, upstream.Config{MaxUnackedReports: 2}, h, func(t *testing.T, ln *pipeListener) {
		nc := ln.dial()
		defer nc.Close()
		fr := pipeBind(t, nc)
		// takeAndAck reads n reports and acknowledges them in one frame.
		takeAndAck := func(n int) {
			t.Helper()
			var seqs []uint64
			for range n {
				var f upstreampb.Frame
				if err := fr.Read(&f); err != nil || f.GetReport() == nil {
					t.Fatalf("report: %v %v", &f, err)
				}
				seqs = append(seqs, f.GetReport().GetReportSeq())
			}
			b, _ := upstream.AppendFrame(nil, &upstreampb.Frame{Op: &upstreampb.Frame_ReportAck{ReportAck: &upstreampb.ReportAck{ReportSeqs: seqs}}})
			if _, err := nc.Write(b); err != nil {
				t.Fatal(err)
			}
		}
		// A window of 2: reads of 2, 2 (each filled it) and 1 (short).
		takeAndAck(2)
		takeAndAck(2)
		takeAndAck(1)
		synctest.Wait()
		if n := box.unacked(); n != 0 {
			t.Fatalf("%d reports not acknowledged", n)
		}
		if n := box.reads.Load(); n != 3 {
			t.Fatalf("%d reads of the outbox for 5 reports in a window of 2, want 3", n)
		}
		// New reports: one read on the notification.
		box.add(1)
		takeAndAck(1)
		synctest.Wait()
		if n := box.reads.Load(); n != 4 {
			t.Fatalf("%d reads of the outbox after one more report, want 4", n)
		}
	})
}
