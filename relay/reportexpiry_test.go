package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/httpapi"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/ops"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/relay/webhook/webhooktest"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/store"
)

// withHTTPNoWebhook turns on the HTTP API for customer shop, with no
// report_url: the reports of its HTTP messages go upstream.
func withHTTPNoWebhook(s *setup) {
	s.cfg.HTTP.Listen = "127.0.0.1:0"
	s.cfg.Customers[0].APIKeys = []string{customer.HashAPIKey(shopAPIKey)}
}

// sendUnread sends two SMS by SMPP (on a transmitter bind, which takes no
// receipts) and two over the HTTP API (whose reports go upstream), waits
// until all four are final, and returns their ids.
func (h *harness) sendUnread(round int) []message.ID {
	h.t.Helper()
	tx := h.bindESME(smpp.Config{Mode: smpp.BindTransmitter})
	var ids []message.ID
	for i := range 2 {
		ids = append(ids, h.submitSM(tx, fmt.Sprintf("smpp %d.%d", round, i), "", ""))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx.Close(ctx)
	resp := h.postMessages(map[string]any{"messages": []httpapi.MessageRequest{
		httpSMS(fmt.Sprintf("http-%d-0", round)), httpSMS(fmt.Sprintf("http-%d-1", round))}})
	for _, r := range resp.Results {
		id, err := message.ParseID(r.MessageID)
		if err != nil {
			h.t.Fatalf("HTTP answer %+v", resp)
		}
		ids = append(ids, id)
	}
	h.waitFor("every message final", func() bool {
		for _, id := range ids {
			if m, err := h.d.Store().Get(id); err != nil || !m.State.Final() {
				return false
			}
		}
		return true
	})
	return ids
}

func (h *harness) outboxLen() int {
	h.t.Helper()
	rs, err := h.d.Store().Reports("shop", 0, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	return len(rs)
}

// TestUnreadReportsExpire: a customer that reads none of its reports, on
// the upstream protocol or its SMPP binds. Pass: 48 h after the final
// results, a reconnect still gets every one; after that the outbox holds
// none of them, they are counted by door in the metric and on /status, and
// a reconnect gets nothing.
func TestUnreadReportsExpire(t *testing.T) {
	h := newHarness(t, withSMPPServer, withHTTPNoWebhook, withOps)
	ctx := context.Background()

	// Read before their time is up.
	first := h.sendUnread(1)
	h.now.Advance(store.ReportKeep - time.Minute)
	h.d.ExpireReportsNow(ctx)
	if n := h.outboxLen(); n != len(first) {
		t.Fatalf("a minute before 48 h the outbox holds %d reports, want %d", n, len(first))
	}
	u := h.connect("shop")
	var mu sync.Mutex
	receipts := map[string]bool{}
	rx := h.bindESME(smpp.Config{Mode: smpp.BindReceiver, OnDeliver: func(_ context.Context, d *pdu.DeliverSM) error {
		id, _ := d.TLVs.ReceiptedMessageID()
		mu.Lock()
		receipts[id] = true
		mu.Unlock()
		return nil
	}})
	for _, id := range first[2:] {
		h.waitReport(u, id.String())
	}
	h.waitFor("both receipts", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return receipts[first[0].String()] && receipts[first[1].String()]
	})
	h.waitFor("the outbox empty", func() bool { return h.outboxLen() == 0 })
	u.Close()
	rx.Close(ctx)

	// Never read.
	h.sendUnread(2)
	h.now.Advance(store.ReportKeep - time.Second)
	h.d.ExpireReportsNow(ctx)
	if n := h.outboxLen(); n != 4 {
		t.Fatalf("a second before 48 h the outbox holds %d reports, want 4", n)
	}
	h.now.Advance(time.Second)
	h.d.ExpireReportsNow(ctx)
	if n := h.outboxLen(); n != 0 {
		t.Fatalf("48 h after their results the outbox holds %d reports", n)
	}
	for door, want := range map[string]uint64{"upstream": 2, "smpp": 2, "webhook": 0} {
		if got := h.counter(`relay_reports_expired_total{door="` + door + `"}`); got != want {
			t.Errorf("relay_reports_expired_total{door=%q} = %d, want %d", door, got, want)
		}
	}
	resp, err := http.Get("http://" + h.d.OpsAddr() + "/status?format=json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep ops.Report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if rep.Reports.Expired["upstream"] != 2 || rep.Reports.Expired["smpp"] != 2 {
		t.Fatalf("/status reports %+v", rep.Reports)
	}
}

// TestReportURLTakesEveryDoorsReports: a customer with a report_url gets
// the results of the messages it sent by SMPP and by the upstream protocol
// at that URL, like those of the HTTP API, and none on its SMPP bind or
// upstream connection: each report leaves the outbox once, by one door.
func TestReportURLTakesEveryDoorsReports(t *testing.T) {
	recv := webhooktest.NewServer(shopWHSecret)
	defer recv.Close()
	h := newHarness(t, withSMPPServer, withHTTPAndWebhook(recv))
	recv.SetClock(h.now.Now)
	u := h.connect("shop")
	var mu sync.Mutex
	var receipts []string
	trx := h.bindESME(smpp.Config{OnDeliver: func(_ context.Context, d *pdu.DeliverSM) error {
		id, _ := d.TLVs.ReceiptedMessageID()
		mu.Lock()
		receipts = append(receipts, id)
		mu.Unlock()
		return nil
	}})
	bySMPP := h.submitSM(trx, "by SMPP", "", "").String()
	up := h.submit(u, sms("up-1", "by the upstream protocol"))
	if up.Status != upstreampb.Status_OK {
		t.Fatal(up.Status)
	}
	h.waitFor("both reports at the report_url", func() bool {
		got := map[string]bool{}
		for _, d := range recv.Deliveries() {
			got[d.Report.MessageID] = true
		}
		return got[bySMPP] && got[up.MessageId]
	})
	h.waitFor("the outbox empty", func() bool { return h.outboxLen() == 0 })
	if n := len(recv.Deliveries()); n != 2 {
		t.Errorf("%d webhook deliveries, want 2", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(receipts) != 0 || u.reportCount(bySMPP)+u.reportCount(up.MessageId) != 0 {
		t.Fatalf("reports also went by the doors: %d deliver_sm, %d upstream", len(receipts),
			u.reportCount(bySMPP)+u.reportCount(up.MessageId))
	}
}
