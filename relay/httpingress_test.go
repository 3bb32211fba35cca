package relay

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/httpapi"
	"github.com/msgrelay/relay/relay/internal/testcert"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/webhook"
	"github.com/msgrelay/relay/relay/webhook/webhooktest"
)

const (
	shopAPIKey   = "rly_PPz455DuthNiFOnhKjIM9t3eI6RG"
	shopWHSecret = "whsec_test_shop_0123456789"
)

// withHTTPAndWebhook turns on the HTTP API, and gives customer shop an API
// key and a report_url at recv.
func withHTTPAndWebhook(recv *webhooktest.Server) harnessOpt {
	return func(s *setup) {
		s.cfg.HTTP.Listen = "127.0.0.1:0"
		s.cfg.Webhook = webhook.Config{AllowHTTP: true, AllowLoopback: true, RetryMin: time.Millisecond, RetryMax: 20 * time.Millisecond}
		c := &s.cfg.Customers[0]
		c.APIKeys = []string{customer.HashAPIKey(shopAPIKey)}
		c.ReportURL = recv.URL + "/reports"
		c.WebhookSecrets = []string{shopWHSecret}
	}
}

func (h *harness) postMessages(body any) httpapi.SubmitResponse {
	h.t.Helper()
	return h.postMessagesVia(http.DefaultClient, "http", body)
}

func (h *harness) postMessagesVia(c *http.Client, scheme string, body any) httpapi.SubmitResponse {
	h.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", scheme+"://"+h.d.HTTPAddr()+"/v1/messages", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+shopAPIKey)
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out httpapi.SubmitResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		h.t.Fatalf("%d: %v", resp.StatusCode, err)
	}
	return out
}

func httpSMS(key string) httpapi.MessageRequest {
	return httpapi.MessageRequest{IdempotencyKey: key, Product: "sms", Sender: "0212345678", Recipient: "01098765432", Text: "안녕하세요"}
}

// TestHTTPMessagesReportedByWebhookOnly: messages sent over the HTTP API
// are delivered, reported once to the customer's report_url, signed, and
// not to its upstream connection; billing counts each delivery once.
func TestHTTPMessagesReportedByWebhookOnly(t *testing.T) {
	recv := webhooktest.NewServer(shopWHSecret)
	defer recv.Close()
	h := newHarness(t, withHTTPAndWebhook(recv))
	recv.SetClock(h.now.Now)
	up := h.connect("shop") // bound, but its reports go by webhook
	bad := httpSMS("bad")
	bad.Recipient = "0101"
	res := h.postMessages(map[string]any{"messages": []httpapi.MessageRequest{httpSMS("h-1"), bad, httpSMS("h-2")}})
	if res.Accepted != 2 || res.Refused != 1 || res.Results[1].Error.Rule != "RECIPIENT_INVALID" {
		t.Fatalf("%+v", res)
	}
	h.waitFor("two webhook reports", func() bool { return len(recv.Deliveries()) == 2 })
	for _, d := range recv.Deliveries() {
		r := d.Report
		if d.ID != "rpt_"+r.MessageID || r.State != "delivered" || r.Billed != "sms" {
			t.Errorf("delivery %+v", d)
		}
		if up.reportCount(r.MessageID) != 0 {
			t.Errorf("report of %s also went upstream", r.MessageID)
		}
		id, _ := message.ParseID(r.MessageID)
		m, err := h.d.Store().Get(id)
		if err != nil || m.Ingress != message.IngressHTTP || m.State != message.StateDelivered {
			t.Errorf("stored %+v %v", m, err)
		}
	}
	h.waitFor("an empty outbox", func() bool {
		rs, _ := h.d.Store().Reports("shop", 0, 10)
		return len(rs) == 0
	})
	month := h.now.Now().In(time.FixedZone("KST", 9*3600)).Format("2006-01")
	if n, _ := h.d.Store().MonthCounts("shop", month); n[message.ProductSMS] != 2 {
		t.Errorf("billed %v, want 2 SMS", n)
	}
	if st := recv.Stats(); st.Bad != 0 || st.Accepted != 2 {
		t.Errorf("receiver %+v", st)
	}
}

// TestWebhookRetriesAcrossRestart: reports the receiver refused before a
// restart are delivered after it, with the same ids, none lost.
func TestWebhookRetriesAcrossRestart(t *testing.T) {
	recv := webhooktest.NewServer(shopWHSecret)
	defer recv.Close()
	h := newHarness(t, withHTTPAndWebhook(recv))
	recv.SetClock(h.now.Now)
	recv.SetBehavior(webhooktest.Behavior{FailNext: 1 << 30})
	var ids []string
	for _, k := range []string{"r-1", "r-2", "r-3"} {
		res := h.postMessages(httpSMS(k))
		ids = append(ids, res.Results[0].MessageID)
	}
	h.waitFor("refused deliveries of all three", func() bool { return recv.Stats().Failed >= 3 })
	h.restart()
	recv.SetClock(h.now.Now)
	recv.SetBehavior(webhooktest.Behavior{})
	// The messages were final before the restart; now only the outbox holds
	// their reports. The retry backoff runs on the daemon's clock.
	h.waitFor("all three delivered", func() bool {
		h.now.Advance(time.Second)
		return len(recv.Deliveries()) == 3
	})
	got := map[string]bool{}
	for _, d := range recv.Deliveries() {
		got[d.ID] = true
	}
	for _, id := range ids {
		if !got[webhook.IDOf(mustID(t, id))] {
			t.Errorf("report of %s lost", id)
		}
	}
}

// TestHTTPSAPI: with tls_cert and tls_key the API is served over HTTPS only.
func TestHTTPSAPI(t *testing.T) {
	recv := webhooktest.NewServer(shopWHSecret)
	defer recv.Close()
	var pool *x509.CertPool
	h := newHarness(t, withHTTPAndWebhook(recv), func(s *setup) {
		s.cfg.HTTP.TLSCert, s.cfg.HTTP.TLSKey, pool = testcert.Write(t, t.TempDir())
	})
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}}
	defer c.CloseIdleConnections()
	if res := h.postMessagesVia(c, "https", httpSMS("tls-1")); res.Accepted != 1 {
		t.Fatalf("%+v", res)
	}
	resp, err := http.Post("http://"+h.d.HTTPAddr()+"/v1/messages", "application/json", nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS listener: %d", resp.StatusCode)
		}
	}
}
