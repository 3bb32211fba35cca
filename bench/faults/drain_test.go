package faults

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
	"github.com/msgrelay/relay/store"
)

// TestDrainRecordsAnswers stops the relay (as SIGTERM does) while AlimTalk
// sends are in flight at a slow Kakao and SMS submits in a carrier's
// window. Pass: every answer that arrives within the drain is written, so
// the store agrees with the peers afterwards: each message Kakao billed is
// delivered and billed in the store, and each SMS the carrier took is at
// least sent; none is left open with its answer thrown away.
func TestDrainRecordsAnswers(t *testing.T) {
	ks, err := kakaotest.NewServer(kakaotest.Config{ClientID: "relay", ClientSecret: "kakao-pw-7d1e",
		Latency: 800 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ks.Close)
	c, err := NewCarrier("alpha", smpptest.Config{Users: map[string]string{"relay": CarrierPassword},
		ReceiptDelay: time.Hour, Behavior: smpptest.Behavior{RespDelay: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	dir := t.TempDir()
	s := &Setup{DataDir: dir + "/data", Customers: []string{"shop"}, Carriers: []*Carrier{c}, Binds: 1,
		Extra: fmt.Sprintf("[kakao]\nbase_url = %q\nclient_id = \"relay\"\nclient_secret = \"kakao-pw-7d1e\"\n"+
			"max_conns = 16\nrequest_timeout = \"5s\"\n", ks.URL())}
	p, err := StartInproc(dir, s, relay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := WaitBound([]*Carrier{c}, 1, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := client.Dial(ctx, p.D.UpstreamAddr(), client.Options{Customer: "shop", Secret: Secret})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	const n = 8
	for i := range n {
		for _, s := range []*upstreampb.Submit{
			{ClientRef: fmt.Sprint("k", i), Product: upstreampb.Product_PRODUCT_ALIMTALK, Recipient: "01012345678",
				Text: fmt.Sprint("drain msg ", i), SenderKey: "faults-key", TemplateCode: "FAULTS_01"},
			{ClientRef: fmt.Sprint("s", i), Product: upstreampb.Product_PRODUCT_SMS, Sender: "0212345678",
				Recipient: "01012345678", Text: "hello"},
		} {
			if r, err := cl.Submit(ctx, s); err != nil || r.Status != upstreampb.Status_OK {
				t.Fatalf("submit %s: %v %v", s.ClientRef, r, err)
			}
		}
	}
	// Every AlimTalk is at Kakao and every SMS at the carrier: stop now.
	// The carrier answers in 200 ms, within the window's drain; Kakao in
	// 800 ms, after it, so its calls are drained only if the relay waits
	// for them as it waits for a window.
	waitFor(t, "the sends at the peers", 30*time.Second, func() bool {
		return ks.Stats().Sends >= n && c.Stats().Submits >= n
	})
	if err := p.Shutdown(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(s.DataDir, store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var delivered, sent int
	var open []string
	for i := range n {
		for _, ref := range []string{fmt.Sprint("k", i), fmt.Sprint("s", i)} {
			m, err := st.ByClientRef("shop", ref)
			if err != nil {
				t.Fatalf("%s: %v", ref, err)
			}
			switch m.State {
			case message.StateDelivered:
				delivered++
			case message.StateSent:
				sent++
			default:
				open = append(open, ref+" "+m.State.String())
			}
		}
	}
	var billed uint64
	for _, month := range months() {
		counts, err := st.MonthCounts("shop", month)
		if err != nil {
			t.Fatal(err)
		}
		billed += counts[message.ProductAlimTalk]
	}
	t.Logf("kakao billed %d, relay delivered %d (billed alimtalk %d), sms sent %d, carrier took %d; left: %v",
		ks.Stats().Billed, delivered, billed, sent, c.Stats().Submits, open)
	if int64(billed) != ks.Stats().Billed {
		t.Errorf("Kakao billed %d serials, the relay %d AlimTalk", ks.Stats().Billed, billed)
	}
	if int64(sent) != c.Stats().Submits {
		t.Errorf("the carrier took %d submits, the relay recorded %d sent", c.Stats().Submits, sent)
	}
}
