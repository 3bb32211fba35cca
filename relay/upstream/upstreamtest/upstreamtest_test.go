package upstreamtest_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/relay/upstream/upstreamtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSubmitDuplicateRefuseAndReport(t *testing.T) {
	ts := upstreamtest.NewServer(upstream.Config{}, nil)
	defer ts.Close()
	ts.Handler.AutoReport = true
	ts.Handler.Decide = func(_ string, s *upstreampb.Submit) *upstreampb.SubmitResp {
		if s.Recipient == "" {
			return &upstreampb.SubmitResp{Status: upstreampb.Status_RECIPIENT_INVALID, Reason: "empty"}
		}
		return nil
	}
	var reports atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, ts.Addr, client.Options{Customer: "test", Secret: "test-secret",
		OnReport: func(*upstreampb.Report) { reports.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sub := &upstreampb.Submit{ClientRef: "r1", Product: upstreampb.Product_PRODUCT_AUTO, Recipient: "01012345678", Text: "hi"}
	first, err := c.Submit(ctx, sub)
	if err != nil || first.Status != upstreampb.Status_OK || first.Duplicate {
		t.Fatalf("first: %v %v", first, err)
	}
	again, err := c.Submit(ctx, sub)
	if err != nil || !again.Duplicate || again.MessageId != first.MessageId {
		t.Fatalf("again: %v %v", again, err)
	}
	bad, err := c.Submit(ctx, &upstreampb.Submit{ClientRef: "r2"})
	if err != nil || bad.Status != upstreampb.Status_RECIPIENT_INVALID {
		t.Fatalf("bad: %v %v", bad, err)
	}
	if n := len(ts.Handler.Accepted()); n != 1 {
		t.Fatalf("%d accepted, want 1", n)
	}
	box := ts.Handler.Outbox("test")
	for box.Acked() != 1 || reports.Load() != 1 {
		if ctx.Err() != nil {
			t.Fatalf("report not acked: %d acked, %d seen", box.Acked(), reports.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSlowHandlerUnansweredOnClose(t *testing.T) {
	ts := upstreamtest.NewServer(upstream.Config{}, nil)
	ts.Handler.Delay = time.Hour
	c, err := client.Dial(context.Background(), ts.Addr, client.Options{Customer: "test", Secret: "test-secret", PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Submit(ctx, &upstreampb.Submit{ClientRef: "slow"}); err == nil {
		t.Fatal("answered despite an hour's delay")
	}
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := ts.CloseContext(ctx); err == nil {
		t.Fatal("close waited out an hour's delay")
	}
}
