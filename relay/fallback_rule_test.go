package relay

import (
	"testing"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// The fallback leg is decided by one rule, at the door, with what the
// customer may send: a customer that may send LMS but not SMS gets an LMS
// fallback even for a short text, never an SMS it may not send.
func TestFallbackAutoFollowsTheCustomersProducts(t *testing.T) {
	h := newHarness(t, withKakao(func(c *kakaotest.Config) {
		c.Force = map[string]string{"01033334444": "3018"}
	}), func(s *setup) {
		s.cfg.Customers[0].Products = []string{"lms", "alimtalk"}
	})
	u := h.connect("shop")
	r := h.submit(u, alimtalk("fb-lms", "01033334444", upstreampb.Fallback_FALLBACK_AUTO))
	rep := h.waitReport(u, r.MessageId)
	if rep.State != upstreampb.FinalState_DELIVERED || rep.Billed != upstreampb.Product_PRODUCT_LMS {
		t.Fatalf("report %+v: want delivered, billed as LMS (the customer may not send SMS)", rep)
	}
}
