package client_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// peer is the relay's side of one connection, scripted by the test.
type peer struct {
	t  testing.TB
	nc net.Conn
	fr *upstream.FrameReader
}

func (p *peer) read() *upstreampb.Frame {
	p.t.Helper()
	var f upstreampb.Frame
	if err := p.fr.Read(&f); err != nil {
		p.t.Fatalf("relay read: %v", err)
	}
	return &f
}

func (p *peer) send(f *upstreampb.Frame) {
	p.t.Helper()
	b, err := upstream.AppendFrame(nil, f)
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.nc.Write(b); err != nil {
		p.t.Fatalf("relay write: %v", err)
	}
}

// connect dials a scripted relay that accepts the bind with the given
// window, and returns both ends.
func connect(t testing.TB, opt client.Options, maxInFlight uint32) (*client.Client, *peer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		c   *client.Client
		err error
	}
	res := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, ln.Addr().String(), opt)
		res <- result{c, err}
	}()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	p := &peer{t: t, nc: nc, fr: upstream.NewFrameReader(nc, 0)}
	bind := p.read()
	if b := bind.GetBind(); b == nil || b.Customer != opt.Customer || b.Secret != opt.Secret || b.Version != upstream.Version {
		t.Fatalf("bind: %v", bind)
	}
	p.send(&upstreampb.Frame{Seq: bind.Seq, Op: &upstreampb.Frame_BindResp{BindResp: &upstreampb.BindResp{
		Status: upstreampb.Status_OK, Version: upstream.Version, MaxInFlight: maxInFlight, MaxFrameSize: 65536}}})
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.c.Close() })
	return r.c, p
}

var opts = client.Options{Customer: "c1", Secret: "s3cret", PingInterval: -1, UnbindTimeout: 200 * time.Millisecond}

func answer(f *upstreampb.Frame) *upstreampb.Frame {
	return &upstreampb.Frame{Seq: f.Seq, Op: &upstreampb.Frame_SubmitResp{SubmitResp: &upstreampb.SubmitResp{
		Status: upstreampb.Status_OK, MessageId: "id-" + f.GetSubmit().ClientRef}}}
}

// answerWindow reads the window's worth of submits, checks that no more
// come while none is answered, answers them in reverse order (each answer
// lets one more in) and then answers the rest, total in all.
func (p *peer) answerWindow(window, total int) {
	p.t.Helper()
	var got []*upstreampb.Frame
	for range window {
		got = append(got, p.read())
	}
	p.nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var extra upstreampb.Frame
	if err := p.fr.Read(&extra); err == nil {
		p.t.Fatalf("submit %d sent with a window of %d: %v", window+1, window, &extra)
	}
	p.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	for i := len(got) - 1; i >= 0; i-- {
		p.send(answer(got[i]))
	}
	for range total - window {
		p.send(answer(p.read()))
	}
}

func TestAnswersMatchedBySeqAndWindowHeld(t *testing.T) {
	opt := opts
	opt.Window = 3
	c, p := connect(t, opt, 100)
	refs := []string{"a", "b", "c", "d", "e"}
	var wg sync.WaitGroup
	errs := make(chan error, len(refs))
	for _, ref := range refs {
		wg.Go(func() {
			resp, err := c.Submit(context.Background(), &upstreampb.Submit{ClientRef: ref})
			if err == nil && resp.MessageId != "id-"+ref {
				err = errors.New(ref + " got " + resp.MessageId)
			}
			errs <- err
		})
	}
	p.answerWindow(3, len(refs))
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestCancelledSubmitKeepsSlotUntilAnswered(t *testing.T) {
	opt := opts
	opt.Window = 1
	c, p := connect(t, opt, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Submit(ctx, &upstreampb.Submit{ClientRef: "slow"})
		done <- err
	}()
	first := p.read()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled submit: %v", err)
	}
	// The relay still counts it in flight: the next submit waits for its answer.
	next := make(chan *upstreampb.SubmitResp, 1)
	go func() {
		resp, _ := c.Submit(context.Background(), &upstreampb.Submit{ClientRef: "next"})
		next <- resp
	}()
	p.nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var f upstreampb.Frame
	if err := p.fr.Read(&f); err == nil {
		t.Fatalf("sent past the window: %v", &f)
	}
	p.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	p.send(answer(first)) // dropped by the client, frees the slot
	second := p.read()
	p.send(answer(second))
	if resp := <-next; resp == nil || resp.MessageId != "id-next" {
		t.Fatalf("next: %v", resp)
	}
}

func TestConnectionLossFailsWaitingSubmits(t *testing.T) {
	c, p := connect(t, opts, 100)
	done := make(chan error, 1)
	go func() {
		_, err := c.Submit(context.Background(), &upstreampb.Submit{ClientRef: "lost"})
		done <- err
	}()
	p.read()
	p.nc.Close()
	if err := <-done; err == nil {
		t.Fatal("submit on a lost connection succeeded")
	}
	<-c.Done()
	if c.Err() == nil {
		t.Fatal("Err is nil after loss")
	}
	if _, err := c.Submit(context.Background(), &upstreampb.Submit{}); err == nil {
		t.Fatal("submit after loss succeeded")
	}
}

func TestReportsAckedAfterCallback(t *testing.T) {
	var mu sync.Mutex
	var seen []uint64
	opt := opts
	opt.OnReport = func(r *upstreampb.Report) {
		mu.Lock()
		seen = append(seen, r.ReportSeq)
		mu.Unlock()
	}
	_, p := connect(t, opt, 100)
	for s := uint64(1); s <= 5; s++ {
		p.send(&upstreampb.Frame{Op: &upstreampb.Frame_Report{Report: &upstreampb.Report{ReportSeq: s}}})
	}
	acked := map[uint64]bool{}
	for len(acked) < 5 {
		f := p.read()
		a := f.GetReportAck()
		if a == nil {
			t.Fatalf("expected ReportAck, got %v", f)
		}
		for _, s := range a.ReportSeqs {
			acked[s] = true
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 5 {
		t.Fatalf("callback saw %v", seen)
	}
	for i, s := range seen {
		if s != uint64(i+1) {
			t.Fatalf("reports out of order: %v", seen)
		}
	}
}

func TestCloseUnbinds(t *testing.T) {
	c, p := connect(t, opts, 100)
	closed := make(chan struct{})
	go func() {
		c.Close()
		close(closed)
	}()
	f := p.read()
	if f.GetUnbind() == nil {
		t.Fatalf("expected Unbind, got %v", f)
	}
	p.send(&upstreampb.Frame{Seq: f.Seq, Op: &upstreampb.Frame_UnbindResp{UnbindResp: &upstreampb.UnbindResp{}}})
	<-closed
	if !errors.Is(c.Err(), client.ErrClosed) {
		t.Fatalf("Err after Close: %v", c.Err())
	}
	c.Close() // twice is fine
}

func TestBindRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		fr := upstream.NewFrameReader(nc, 0)
		var f upstreampb.Frame
		if fr.Read(&f) != nil {
			return
		}
		b, _ := upstream.AppendFrame(nil, &upstreampb.Frame{Seq: f.Seq, Op: &upstreampb.Frame_BindResp{BindResp: &upstreampb.BindResp{
			Status: upstreampb.Status_CUSTOMER_SUSPENDED, Reason: "unpaid"}}})
		nc.Write(b)
	}()
	_, err = client.Dial(context.Background(), ln.Addr().String(), opts)
	var se *client.StatusError
	if !errors.As(err, &se) || se.Status != upstreampb.Status_CUSTOMER_SUSPENDED || !errors.Is(err, client.ErrRefused) {
		t.Fatalf("err = %v", err)
	}
}

func TestPingTimeoutEndsConnection(t *testing.T) {
	opt := opts
	opt.PingInterval = 50 * time.Millisecond
	c, p := connect(t, opt, 100)
	// On a busy machine the client may give up on its ping before its
	// writer has sent it (both within the 50 ms): then the relay reads the
	// end of the connection instead.
	var f upstreampb.Frame
	if err := p.fr.Read(&f); err == nil && f.GetPing() == nil {
		t.Fatalf("expected Ping, got %v", &f)
	}
	// No Pong: the client gives up within about two intervals.
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("unanswered ping did not end the connection")
	}
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "no pong") {
		t.Fatalf("connection ended with %v, want no pong", err)
	}
}

// asyncResults collects SubmitAsync answers by client_ref, and fails the
// test on a second answer for the same one.
type asyncResults struct {
	t  testing.TB
	mu sync.Mutex
	m  map[string]string // client_ref -> message id, or "error: ..."
	wg sync.WaitGroup
}

func (r *asyncResults) submit(c *client.Client, ref string) {
	r.t.Helper()
	r.wg.Add(1)
	err := c.SubmitAsync(context.Background(), &upstreampb.Submit{ClientRef: ref}, func(resp *upstreampb.SubmitResp, err error) {
		defer r.wg.Done()
		r.mu.Lock()
		defer r.mu.Unlock()
		if _, twice := r.m[ref]; twice {
			r.t.Errorf("%s answered twice", ref)
		}
		if err != nil {
			r.m[ref] = "error: " + err.Error()
			return
		}
		r.m[ref] = resp.MessageId
	})
	if err != nil {
		r.wg.Done()
		r.t.Errorf("SubmitAsync %s: %v", ref, err)
	}
}

// One goroutine keeps a window of submits in flight; each answer reaches
// its own callback once, whatever the order.
func TestSubmitAsyncPipelines(t *testing.T) {
	opt := opts
	opt.Window = 3
	c, p := connect(t, opt, 100)
	res := &asyncResults{t: t, m: map[string]string{}}
	refs := []string{"a", "b", "c", "d", "e"}
	sent := make(chan struct{})
	go func() {
		for _, ref := range refs {
			res.submit(c, ref)
		}
		close(sent)
	}()
	p.answerWindow(3, len(refs))
	<-sent
	res.wg.Wait()
	for _, ref := range refs {
		if res.m[ref] != "id-"+ref {
			t.Errorf("%s answered with %q", ref, res.m[ref])
		}
	}
}

// A lost connection answers every submit in flight with an error, once.
func TestSubmitAsyncConnectionLoss(t *testing.T) {
	c, p := connect(t, opts, 100)
	res := &asyncResults{t: t, m: map[string]string{}}
	res.submit(c, "x")
	res.submit(c, "y")
	p.read()
	p.read()
	p.nc.Close()
	res.wg.Wait()
	for _, ref := range []string{"x", "y"} {
		if !strings.HasPrefix(res.m[ref], "error: ") {
			t.Errorf("%s on a lost connection: %q", ref, res.m[ref])
		}
	}
	<-c.Done()
	if err := c.SubmitAsync(context.Background(), &upstreampb.Submit{}, func(*upstreampb.SubmitResp, error) {
		t.Error("callback of a submit refused at once")
	}); err == nil {
		t.Fatal("SubmitAsync after loss succeeded")
	}
}

// A submit that cannot be encoded (a string field that is not UTF-8) is
// refused at once and gives its window slot back.
func TestUnencodableSubmitFreesItsSlot(t *testing.T) {
	opt := opts
	opt.Window = 1
	c, p := connect(t, opt, 100)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bad := &upstreampb.Submit{ClientRef: "bad", Text: "\xff"}
	if _, err := c.Submit(ctx, bad); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Submit of invalid UTF-8: %v", err)
	}
	if err := c.SubmitAsync(ctx, bad, func(*upstreampb.SubmitResp, error) {
		t.Error("callback of an unsent submit")
	}); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SubmitAsync of invalid UTF-8: %v", err)
	}
	next := make(chan error, 1)
	go func() {
		_, err := c.Submit(ctx, &upstreampb.Submit{ClientRef: "ok"})
		next <- err
	}()
	p.send(answer(p.read()))
	if err := <-next; err != nil {
		t.Fatalf("submit after two unencodable ones, window 1: %v", err)
	}
}
