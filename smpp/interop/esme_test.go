package interop

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/receipt"
)

// TestESMEAgainstNodeSMSC binds our session to node-smpp's server, submits
// a window of messages (Korean ones in UCS2), and parses its receipts.
func TestESMEAgainstNodeSMSC(t *testing.T) {
	smsc := startNode(t, 2*time.Minute, "smsc.js")
	var hello struct{ Port int }
	if !smsc.next(t, 30*time.Second, &hello) || hello.Port == 0 {
		t.Fatal("smsc.js did not print its port")
	}
	receipts := make(chan receipt.Receipt, 64)
	cfg := smpp.Config{
		Addr:     "127.0.0.1:" + strconv.Itoa(hello.Port),
		SystemID: "relay", Password: "secret",
		Window: 8, ResponseTimeout: 10 * time.Second,
		OnDeliver: func(_ context.Context, d *pdu.DeliverSM) error {
			id, _ := d.TLVs.ReceiptedMessageID()
			st, ok := d.TLVs.MessageState()
			r, err := receipt.Parse(string(d.ShortMessage), receipt.TLVs{ReceiptedMessageID: id, MessageState: uint8(st), HasMessageState: ok}, nil)
			if err != nil {
				return err
			}
			fromText, err := receipt.Parse(string(d.ShortMessage), receipt.TLVs{}, nil)
			if err != nil || fromText.ID != r.ID || fromText.Stat != r.Stat {
				return fmt.Errorf("receipt text %q disagrees with its TLVs: %v", d.ShortMessage, err)
			}
			receipts <- r
			return nil
		},
	}
	s, err := smpp.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitBound(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 20
	texts := make([]string, n)
	ids := make(map[string]int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		texts[i] = fmt.Sprintf("hello %d", i)
		dc := coding.IA5
		if i%2 == 0 {
			texts[i] = fmt.Sprintf("안녕하세요 %d번 고객님", i)
			dc = coding.UCS2
		}
		body, err := dc.Encode(texts[i])
		if err != nil {
			t.Fatal(err)
		}
		m := &pdu.SubmitSM{
			Source:       pdu.Address{TON: 1, NPI: 1, Addr: "15884954"},
			Dest:         pdu.Address{TON: 1, NPI: 1, Addr: fmt.Sprintf("0101234%04d", i)},
			DataCoding:   uint8(dc),
			ShortMessage: body, RegisteredDelivery: 1,
		}
		wg.Go(func() {
			r, err := s.Submit(ctx, m)
			if err != nil {
				t.Errorf("submit %d: %v", i, err)
				return
			}
			mu.Lock()
			ids[r.MessageID] = i
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(ids) != n {
		t.Fatalf("%d distinct message ids for %d submits", len(ids), n)
	}
	for range n {
		select {
		case r := <-receipts:
			if _, ok := ids[r.ID]; !ok || r.Stat != receipt.StatDelivered || !r.IDFromTLV {
				t.Fatalf("receipt %+v matches no submit", r)
			}
			delete(ids, r.ID)
		case <-ctx.Done():
			t.Fatalf("%d receipts missing", len(ids))
		}
	}
	// node-smpp decoded what we sent: UCS2 Korean arrives intact.
	seen := 0
	for seen < n {
		var ev struct {
			Event, Text, Dest string
			DataCoding        int `json:"data_coding"`
		}
		if !smsc.next(t, 30*time.Second, &ev) {
			t.Fatal("smsc.js ended early")
		}
		if ev.Event != "submit" {
			continue
		}
		i, _ := strconv.Atoi(ev.Dest[len(ev.Dest)-4:])
		if ev.Text != texts[i] {
			t.Fatalf("node-smpp read %q (data_coding %d), we sent %q", ev.Text, ev.DataCoding, texts[i])
		}
		seen++
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
