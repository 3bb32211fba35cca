package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/store"
)

// TestSIGKILLLoopKakao is the SIGKILL loop with AlimTalk beside SMS, sent
// to a simulated Kakao server in the test process (it outlives relayd).
// Pass, besides the SMS oracle: Kakao billed exactly the distinct serials
// the relay billed as AlimTalk (a send resumed after a crash reuses its
// serial: 0 double charges), and accepted no more serials than there are
// AlimTalk messages.
func TestSIGKILLLoopKakao(t *testing.T) {
	cycles := Pick(5, 50)
	ks, err := kakaotest.NewServer(kakaotest.Config{ClientID: "relay", ClientSecret: "kakao-pw-7d1e",
		Latency: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ks.Close)
	extra := fmt.Sprintf("[kakao]\nbase_url = %q\nclient_id = \"relay\"\nclient_secret = \"kakao-pw-7d1e\"\n"+
		"max_conns = 16\nrequest_timeout = \"2s\"\npoll_every = \"1s\"\n", ks.URL())
	k := newKillRig(t, 2, 32, 300*time.Millisecond, extra)
	addr := func() string { return k.addr.Load().(string) }
	prefix := "kk" + time.Now().Format("150405")
	smsL := &Loader{Addr: addr, Customer: "shop", Prefix: prefix + "s", Conns: 2, Window: 32, Messages: cycles * 600, Rate: 1200}
	katL := &Loader{Addr: addr, Customer: "shop", Prefix: prefix + "k", Conns: 2, Window: 32, Messages: cycles * 400, Rate: 800,
		Product: upstreampb.Product_PRODUCT_ALIMTALK}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cycles)*20*time.Second+3*time.Minute)
	defer cancel()
	lctx, stopListen := context.WithCancel(ctx)
	var wg, loads sync.WaitGroup
	for _, l := range []*Loader{smsL, katL} {
		loads.Add(1)
		wg.Add(2)
		go func() { defer wg.Done(); defer loads.Done(); l.Run(ctx) }()
		go func() { defer wg.Done(); l.Listen(lctx) }()
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	for c := range cycles {
		select {
		case <-time.After(time.Duration(100+rng.IntN(1000)) * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("cycle %d: %v", c, ctx.Err())
		}
		k.r.Kill()
		k.start()
	}
	loads.Wait()
	smsL.WaitSettled(ctx, RestartQuiet, 3*time.Minute)
	katL.WaitSettled(ctx, RestartQuiet, 3*time.Minute)
	stopListen()
	cancel()
	wg.Wait()
	if err := k.r.Stop(10 * time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}
	k.r = nil
	v, err := CheckAll(k.setup.DataDir, k.setup.Customers, k.carriers, smsL, katL)
	if err != nil {
		t.Fatal(err)
	}
	billed := relayBilled(t, k.setup.DataDir, message.ProductAlimTalk)
	st := ks.Stats()
	t.Logf("cycles=%d %v; kakao sends=%d accepted=%d billed=%d duplicate_serials=%d; relay billed alimtalk=%d of %d accepted",
		cycles, v, st.Sends, st.Accepted, st.Billed, st.Duplicates, billed, katL.Accepted())
	if v.Lost != 0 || v.DoubleBilled != 0 || v.BillingMismatch != 0 || v.ConflictingReports != 0 {
		t.Errorf("%v examples %v", v, v.Examples)
	}
	defer func() {
		if t.Failed() {
			t.Logf("the runs' warnings and errors:\n%s", k.trouble(200))
		}
	}()
	if st.Billed != int64(billed) {
		t.Errorf("Kakao billed %d serials, the relay billed %d AlimTalk", st.Billed, billed)
	}
	if st.Accepted > katL.Accepted()+v.UnackedDelivered {
		t.Errorf("Kakao accepted %d serials for %d AlimTalk messages", st.Accepted, katL.Accepted())
	}
}

// relayBilled is the relay's billing count of one product this month and
// last, from the stopped relay's store.
func relayBilled(t *testing.T, dir string, p message.Product) uint64 {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n uint64
	for _, month := range months() {
		c, err := st.MonthCounts("shop", month)
		if err != nil {
			t.Fatal(err)
		}
		n += c[p]
	}
	return n
}
