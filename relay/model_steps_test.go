package relay

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// modelStep is one step of a model run: what it does (kind) and its
// choices (a, b), all drawn from the seed, so a sequence prints and
// replays as it is.
type modelStep struct {
	kind modelKind
	a, b int
}

type modelKind uint8

const (
	stepSubmit  modelKind = iota // a: product; b: recipient, fallback and length choices
	stepCarrier                  // a: carrier fault; b: which carrier
	stepKakao                    // a: Kakao fault; b: how many calls it answers
	stepAdvance                  // a: index into modelJumps
	stepRestart                  // a clean Shutdown and Start
	stepCrash                    // an abrupt close that skips the drain, then Start
	stepCreds                    // a: 0 wrong carrier password, 1 right one; then Start again
	stepSwap                     // b: the carrier restarts, its message ids start over at 1
	stepPayment                  // a card approval: payment AlimTalk to the merchant and the buyer
)

// The products a submit step picks from.
var modelProducts = [...]string{"sms", "lms", "alimtalk", "friendtalk_text", "friendtalk_image"}

// Kakao's answer for a submit, by recipient (kakaotest Force).
var modelKakaoTo = [...]struct{ to, what string }{
	{"01000001000", "1000"},
	{"01000001001", "1000"},
	{"01000003005", "3005"}, // its final result shows after modelKakaoFinal
	{"01000003018", "3018"}, // cannot receive: falls back
	{"01000003008", "3008"},
}

const modelKakaoFinal = 30 * time.Hour

var modelCarrierFaults = [...]struct {
	name string
	b    smpptest.Behavior
	kick bool
}{
	{name: "normal"},
	{name: "early-receipts", b: smpptest.Behavior{ReceiptBeforeResp: true}},
	{name: "duplicate-receipts", b: smpptest.Behavior{DuplicateReceipts: true}},
	{name: "throttled", b: smpptest.Behavior{BusyEvery: 2, BusyBurst: 2, BusyStatus: pdu.StatusThrottled}},
	{name: "bind-down", b: smpptest.Behavior{CloseAfter: 2}},
	{name: "kick", kick: true},
	{name: "nack", b: smpptest.Behavior{NackEvery: 3}},
	{name: "early-and-duplicate", b: smpptest.Behavior{ReceiptBeforeResp: true, DuplicateReceipts: true}},
}

var modelKakaoFaults = [...]string{kakaotest.OutcomeHTTP500, kakaotest.OutcomeHTTP503, kakaotest.OutcomeHTTP429, "3018", "3005"}

var modelJumps = [...]time.Duration{
	10 * time.Second, 5 * time.Minute, 40 * time.Minute, 3 * time.Hour, 12 * time.Hour, 30 * time.Hour, 60 * time.Hour,
}

func (s modelStep) String() string {
	switch s.kind {
	case stepSubmit:
		to, fb, long := modelSubmitChoices(s.b)
		if p := modelProducts[s.a]; p == "sms" || p == "lms" {
			return fmt.Sprintf("submit %s long=%v", p, long)
		}
		return fmt.Sprintf("submit %s to=%s fallback=%s long=%v truncate=%v", modelProducts[s.a], to, fb, long, (s.b/128)%2 == 1)
	case stepCarrier:
		return fmt.Sprintf("carrier %s: %s", modelCarrierName(s.b), modelCarrierFaults[s.a].name)
	case stepKakao:
		return fmt.Sprintf("kakao answers the next %d sends %s", s.b, modelKakaoFaults[s.a])
	case stepAdvance:
		return fmt.Sprintf("clock +%v", modelJumps[s.a])
	case stepRestart:
		return "restart"
	case stepCrash:
		return "crash"
	case stepCreds:
		if s.a == 0 {
			return "carrier password wrong, restart"
		}
		return "carrier password right, restart"
	case stepSwap:
		return fmt.Sprintf("carrier %s restarts, ids from 1, relay restarts", modelCarrierName(s.b))
	case stepPayment:
		return "payment event: card approval"
	}
	return "?"
}

func modelCarrierName(b int) string { return [...]string{"a", "b"}[b%2] }

var modelFallbacks = [...]string{"none", "sms", "lms", "auto"}

// modelSubmitChoices unpacks a submit's b: the Kakao recipient, the
// fallback mode, and whether the text is long (over the SMS limit).
func modelSubmitChoices(b int) (to, fallback string, long bool) {
	return modelKakaoTo[b%len(modelKakaoTo)].to, modelFallbacks[(b/8)%4], (b/32)%3 == 0
}

// genSteps draws n steps from seed.
func genSteps(seed uint64, n int) []modelStep {
	rng := rand.New(rand.NewPCG(seed, 0x6d6f64656c))
	weights := []struct {
		k modelKind
		w int
	}{{stepSubmit, 50}, {stepAdvance, 16}, {stepCarrier, 10}, {stepKakao, 8},
		{stepRestart, 4}, {stepCrash, 5}, {stepCreds, 4}, {stepSwap, 3}, {stepPayment, 4}}
	total := 0
	for _, w := range weights {
		total += w.w
	}
	out := make([]modelStep, 0, n)
	for range n {
		r := rng.IntN(total)
		var k modelKind
		for _, w := range weights {
			if r < w.w {
				k = w.k
				break
			}
			r -= w.w
		}
		s := modelStep{kind: k, b: rng.IntN(1 << 10)}
		switch k {
		case stepSubmit:
			s.a = rng.IntN(len(modelProducts))
		case stepCarrier:
			s.a = rng.IntN(len(modelCarrierFaults))
		case stepKakao:
			s.a, s.b = rng.IntN(len(modelKakaoFaults)), 1+rng.IntN(6)
		case stepAdvance:
			s.a = rng.IntN(len(modelJumps))
		case stepCreds:
			s.a = min(1, rng.IntN(3)) // wrong one time in three
		}
		out = append(out, s)
	}
	return out
}
