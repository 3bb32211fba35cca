package relay

import (
	"net/http"
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// TestPaymentTemplatesCheckedAtRunTime: the configuration check ties each
// payment subscription to the registered templates it renders; run-time
// changes keep that tie. A template a subscription uses cannot be removed
// or given another text, and a subscription put at run time must name
// registered templates with its texts; otherwise every event of the MID
// would be refused at the door as TEMPLATE_MISMATCH.
func TestPaymentTemplatesCheckedAtRunTime(t *testing.T) {
	h := newHarness(t, withPayments, withAdmin, withKakao(nil))
	const used = "/api/v1/customers/shop/templates/key-1/PAY_buyer_approval"

	if code, body := h.adminCall("DELETE", used, ""); code != http.StatusConflict || !strings.Contains(body, `shop_mid`) {
		t.Errorf("removing a template a subscription uses: %d %s", code, body)
	}
	if code, body := h.adminCall("PUT", used, `{"text":"#{order_name} 결제 완료"}`); code != http.StatusConflict || !strings.Contains(body, `shop_mid`) {
		t.Errorf("changing the text of a template a subscription uses: %d %s", code, body)
	}
	// The same text again (a button-less re-registration) is no change.
	if code, body := h.adminCall("PUT", used, `{"text":"#{order_name} 결제 완료 #{amount}"}`); code != http.StatusOK {
		t.Errorf("re-registering a used template unchanged: %d %s", code, body)
	}
	// A template no subscription uses comes and goes freely.
	free := "/api/v1/customers/shop/templates/key-1/SHOP_NOTICE"
	if code, body := h.adminCall("PUT", free, `{"text":"공지 #{text}"}`); code != http.StatusOK {
		t.Fatalf("put: %d %s", code, body)
	}
	if code, body := h.adminCall("DELETE", free, ""); code != http.StatusNoContent {
		t.Errorf("removing an unused template: %d %s", code, body)
	}

	sub := func(code, text string) string {
		return `{"customer":"shop","sender_key":"key-1",
			"merchant":{"events":["approval"],"recipients":["01099990000"]},"buyer":{"events":[]},
			"templates":[{"audience":"merchant","event":"approval","code":"` + code + `","text":"` + text + `"}]}`
	}
	for _, c := range []struct{ name, code, text, want string }{
		{"unregistered code", "NO_SUCH_TEMPLATE_XYZ", "[승인] #{order_name} #{amount}", `"NO_SUCH_TEMPLATE_XYZ" is not registered for sender profile "key-1"`},
		{"other text", "PAY_merchant_approval", "[승인] #{order_name}", `"PAY_merchant_approval" differs from the registered text`},
	} {
		if code, body := h.adminCall("PUT", "/api/v1/payments/new_mid", sub(c.code, c.text)); code != http.StatusBadRequest || !strings.Contains(strings.ReplaceAll(body, `\"`, `"`), c.want) {
			t.Errorf("%s: %d %s", c.name, code, body)
		}
	}
	if code, body := h.adminCall("PUT", "/api/v1/payments/new_mid", sub("PAY_merchant_approval", "[승인] #{order_name} #{amount}")); code != http.StatusOK {
		t.Fatalf("a subscription of registered templates: %d %s", code, body)
	}
	// Now new_mid uses PAY_merchant_approval as well; shop_mid still works.
	if code, body := h.adminCall("DELETE", "/api/v1/customers/shop/templates/key-1/PAY_merchant_approval", ""); code != http.StatusConflict ||
		!strings.Contains(body, "new_mid") || !strings.Contains(body, "shop_mid") {
		t.Errorf("removing a template two subscriptions use: %d %s", code, body)
	}
	pg := h.connect("pg")
	if r := h.payment(pg, paymentEvent("ev-1", upstreampb.PaymentEventKind_APPROVAL_COMPLETED, upstreampb.PaymentMethod_CARD)); r.Status != upstreampb.Status_OK {
		t.Fatalf("approval after the refused changes: %v", r)
	}
}
