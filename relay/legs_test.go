package relay

import (
	"testing"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// TestFallbackKeepsTheKakaoLeg: the merchant's message detail needs each
// leg's result; an AlimTalk that Kakao cannot deliver (3018) keeps its
// Kakao leg's code and time when it falls back to SMS.
func TestFallbackKeepsTheKakaoLeg(t *testing.T) {
	h := newHarness(t, withKakao(func(c *kakaotest.Config) {
		c.Force = map[string]string{"01033334444": "3018"}
	}))
	u := h.connect("shop")
	r := h.submit(u, alimtalk("leg-1", "01033334444", upstreampb.Fallback_FALLBACK_AUTO))
	if rep := h.waitReport(u, r.MessageId); rep.State != upstreampb.FinalState_DELIVERED {
		t.Fatalf("report %+v", rep)
	}
	id := mustID(t, r.MessageId)
	legs, err := h.d.Store().Legs(id)
	if err != nil || len(legs) != 1 {
		t.Fatalf("legs %+v, %v", legs, err)
	}
	if l := legs[0]; l.Product != message.ProductAlimTalk || l.Result.Code != "3018" || l.Result.Source != message.SourceKakao || l.EndedAt.IsZero() {
		t.Fatalf("Kakao leg %+v", l)
	}
	if m, _ := h.d.Store().Get(id); m.Leg != 1 || m.Billed != message.ProductSMS || m.Result.Code == "3018" {
		t.Fatalf("record after the SMS leg: %+v", m)
	}
}
