package relay

import (
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/httpapi"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/relay/webhook/webhooktest"
)

// TestInvalidRefusedForGoodOnEveryIngress: values outside the schema and
// keys longer than the store keeps are refused at the door, naming the
// field, as refusals a client must not retry (no STORE_UNAVAILABLE, no
// retry_after), on the upstream protocol and on the HTTP API. The SMPP
// server's submit_sm has no product, fallback or client reference field.
func TestInvalidRefusedForGoodOnEveryIngress(t *testing.T) {
	recv := webhooktest.NewServer(shopWHSecret)
	defer recv.Close()
	h := newHarness(t, withHTTPAndWebhook(recv))
	u := h.connect("shop")

	kakao := func() *upstreampb.Submit {
		return &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_ALIMTALK, SenderKey: "key-1", TemplateCode: "T",
			Recipient: "01012345678", Text: "x"}
	}
	badProduct := sms("", "x")
	badProduct.Product = 257
	badFallback := kakao()
	badFallback.Fallback = 259
	longRef := sms(strings.Repeat("r", message.MaxIndexed+1), "x")
	for _, c := range []struct {
		name   string
		s      *upstreampb.Submit
		status upstreampb.Status
		field  string
	}{
		{"product 257", badProduct, upstreampb.Status_INVALID_REQUEST, "product"},
		{"fallback 259", badFallback, upstreampb.Status_INVALID_REQUEST, "fallback"},
		{"client_ref of 256 bytes", longRef, upstreampb.Status_TOO_LONG, "client_ref"},
	} {
		r := h.submit(u, c.s)
		if r.Status != c.status || !strings.Contains(r.Reason, c.field) || r.RetryAfterMs != 0 || r.MessageId != "" {
			t.Errorf("upstream %s: %v %q retry_after %d, want %v naming %s", c.name, r.Status, r.Reason, r.RetryAfterMs, c.status, c.field)
		}
	}

	product := httpSMS("p-257")
	product.Product = "257"
	fallback := httpSMS("f-259")
	fallback.Product, fallback.SenderKey, fallback.TemplateCode, fallback.Fallback = "alimtalk", "key-1", "T", "259"
	key := httpSMS(strings.Repeat("k", message.MaxIndexed+1))
	for _, c := range []struct {
		name  string
		m     httpapi.MessageRequest
		rule  string
		field string
	}{
		{"product 257", product, "INVALID_REQUEST", "product"},
		{"fallback 259", fallback, "INVALID_REQUEST", "fallback"},
		{"idempotency key of 256 bytes", key, "TOO_LONG", "idempotency_key"},
	} {
		res := h.postMessages(map[string]any{"messages": []httpapi.MessageRequest{c.m}})
		if res.Refused != 1 || res.Results[0].Error == nil {
			t.Errorf("http %s: %+v", c.name, res)
			continue
		}
		if e := res.Results[0].Error; e.Rule != c.rule || e.Field != c.field || e.RetryAfterMs != 0 {
			t.Errorf("http %s: %+v, want %s on %s", c.name, e, c.rule, c.field)
		}
	}
}
