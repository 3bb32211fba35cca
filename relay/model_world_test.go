package relay

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// modelWorld is the relay under test and the model of it the test keeps:
// every accepted message, what was seen of it, and the carriers' and
// upstream's records read so far.
type modelWorld struct {
	t          *testing.T
	h          *harness
	u          *upstreamClient
	pg         *upstreamClient   // the payment system, sending payment events
	clients    []*upstreamClient // connections whose reports are not all read
	reported   map[*modelMsg]bool
	msgs       []*modelMsg // accepted, in order; msgs[i].n == i
	byID       map[string]*modelMsg
	byTag      map[int]*modelMsg              // by the number in its text's tag, "m<n>."
	seen       map[*smpptest.Server]int       // carrier submits already checked
	gone       map[*smpptest.Server]time.Time // carriers swapped out, when
	credsEpoch int                            // times the carriers' password went wrong
	badPass    bool
	stats      modelStats
}

// modelMsg is one accepted message as the model knows it.
type modelMsg struct {
	n          int
	id         message.ID
	product    message.Product
	accepted   time.Time
	deadline   time.Time
	final      *message.Message // the final record, once seen
	smpp       int              // submits the carriers received for it
	open       message.State    // the last open state seen
	step       int              // the step that accepted it
	lastSim    *smpptest.Server // the carrier that got its last submit
	credsEpoch int              // the world's credsEpoch then
	sentAt     time.Time        // the model's clock when that submit was seen
}

// modelStats are the figures of a run.
type modelStats struct {
	Steps, Accepted, Refused, Delivered, Failed, Expired int
	Payments, CarrierSubmits, Restarts, Crashes, Jumps   int
	DuplicateReports, Violations                         int
	Refusals                                             map[string]int
	Ends                                                 map[string]int // product/leg/state/result code
}

func (s modelStats) String() string {
	return fmt.Sprintf("steps=%d payments=%d accepted=%d refused=%d delivered=%d failed=%d expired=%d carrier_submits=%d "+
		"restarts=%d crashes=%d jumps=%d duplicate_reports=%d violations=%d refusals=%v ends=%v",
		s.Steps, s.Payments, s.Accepted, s.Refused, s.Delivered, s.Failed, s.Expired, s.CarrierSubmits,
		s.Restarts, s.Crashes, s.Jumps, s.DuplicateReports, s.Violations, s.Refusals, s.Ends)
}

func newModelWorld(t *testing.T, seed uint64) *modelWorld {
	force := map[string]string{}
	for _, k := range modelKakaoTo {
		force[k.to] = k.what
	}
	h := newHarness(t, withPayments, withKakao(func(c *kakaotest.Config) {
		c.Force, c.FinalAfter, c.RetryAfter, c.Seed = force, modelKakaoFinal, -1, seed
	}), func(s *setup) {
		for i, name := range []string{"a", "b"} {
			sc := s.sims[name]
			sc.Clock, sc.ReceiptDelay, sc.FailRatio = s.clock, modelReceiptDelay[i], 0.1
			sc.Seed, sc.MaxRecorded = seed+uint64(i), 1<<20
		}
		s.cfg.Dispatch.MaxAttempts = 3
	})
	w := &modelWorld{t: t, h: h, byID: map[string]*modelMsg{}, byTag: map[int]*modelMsg{}, reported: map[*modelMsg]bool{}, seen: map[*smpptest.Server]int{}, gone: map[*smpptest.Server]time.Time{},
		stats: modelStats{Refusals: map[string]int{}, Ends: map[string]int{}}}
	w.reconnect()
	return w
}

// trace logs a run's steps and ends with RELAY_MODEL_TRACE set.
func (w *modelWorld) trace(format string, args ...any) {
	if modelTrace {
		w.t.Logf(format, args...)
	}
}

var modelTrace = os.Getenv("RELAY_MODEL_TRACE") != ""

// The simulated carriers' receipt delays; a receipt is due at the latest
// modelReceiptDue after its submit (the longest delay, and a hop's slack).
var modelReceiptDelay = [2]time.Duration{20 * time.Minute, time.Hour}

const modelReceiptDue = time.Hour + time.Minute

func (w *modelWorld) reconnect() {
	if w.u != nil {
		w.u.Close()
		w.pg.Close()
	}
	w.u, w.pg = w.h.connect("shop"), w.h.connect("pg")
	w.clients = append(w.clients, w.u)
}

// do runs one step, lets the relay settle and checks the invariants.
func (w *modelWorld) do(s modelStep) *modelViolation {
	w.stats.Steps++
	w.trace("step %d: %v", w.stats.Steps-1, s)
	switch s.kind {
	case stepSubmit:
		w.submit(s)
	case stepCarrier:
		f := modelCarrierFaults[s.a]
		sim := w.h.sims[modelCarrierName(s.b)]
		sim.SetBehavior(f.b)
		if f.kick {
			sim.Kick("relay")
		}
	case stepKakao:
		w.h.kakao.Burst(modelKakaoFaults[s.a], s.b)
	case stepAdvance:
		w.stats.Jumps++
		if v := w.advance(modelJumps[s.a]); v != nil {
			return v
		}
	case stepRestart:
		w.stats.Restarts++
		w.restart(func() { w.h.stop() })
	case stepCrash:
		w.stats.Crashes++
		w.restart(w.crash)
	case stepCreds:
		w.badPass = s.a == 0
		if w.badPass {
			w.credsEpoch++
		}
		w.restart(func() {
			w.h.stop()
			for i := range w.h.cfg.Carriers {
				w.h.cfg.Carriers[i].Password = map[bool]string{true: "wrong", false: "pw"}[w.badPass]
			}
		})
	case stepPayment:
		w.payment()
	case stepSwap:
		w.restart(func() {
			w.h.stop()
			w.swapCarrier(modelCarrierName(s.b))
		})
	}
	w.settle()
	if modelTrace {
		var b strings.Builder
		for _, m := range w.msgs {
			if r, err := w.h.d.Store().Get(m.id); err == nil && !r.State.Final() {
				fmt.Fprintf(&b, " %d:%v/leg%d/attempts%d", m.n, r.State, r.Leg, r.Attempts)
			}
		}
		w.trace("open after step %d:%s", w.stats.Steps-1, b.String())
	}
	return w.check()
}

// crash ends the daemon as a failed Start is undone: no drain of the
// windows, sends in flight ended where they stand, open messages left for
// recovery; the next Start must pick every one of them up.
func (w *modelWorld) crash() {
	if w.h.d != nil {
		w.h.d.abort()
		w.h.d = nil
	}
}

func (w *modelWorld) restart(stop func()) {
	w.u.Close()
	stop()
	w.h.noBindWait = w.badPass
	w.h.start()
	w.reconnect()
}

// swapCarrier replaces a simulated SMSC by a new one with the same
// configuration: its message ids start over at 1, as a carrier's do after
// its own restart. Receipts the old one still owed are lost with it.
func (w *modelWorld) swapCarrier(name string) {
	old := w.h.sims[name]
	w.checkBytesOf(old) // what it recorded, before it goes
	cfg := smpptest.Config{Users: map[string]string{"relay": "pw"}, Clock: w.h.now,
		ReceiptDelay: modelReceiptDelay[0], FailRatio: 0.1, MaxRecorded: 1 << 20}
	s, err := smpptest.NewServer(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(s.Close)
	old.Close()
	w.gone[old] = w.h.now.Now()
	w.h.sims[name] = s
	for i := range w.h.cfg.Carriers {
		if w.h.cfg.Carriers[i].Name == name {
			w.h.cfg.Carriers[i].Addr = s.Addr()
		}
	}
}

func (w *modelWorld) submit(s modelStep) {
	to, fb, long := modelSubmitChoices(s.b)
	n := len(w.msgs) + w.stats.Refused
	tag := fmt.Sprintf("m%d.", n)
	sub := &upstreampb.Submit{ClientRef: fmt.Sprintf("model-%d", n), Sender: "0212345678", Recipient: to,
		SenderKey: "key-1", Truncate: (s.b/128)%2 == 1}
	sub.Fallback = upstreampb.Fallback(upstreampb.Fallback_value["FALLBACK_"+strings.ToUpper(fb)])
	text := tag + " 안내 드립니다"
	if long {
		text = tag + " " + strings.Repeat("가", 60)
	}
	switch modelProducts[s.a] {
	case "sms":
		sub.Product, sub.Recipient, sub.Fallback, sub.SenderKey = upstreampb.Product_PRODUCT_SMS, w.phone(n), 0, ""
		sub.Text = text // long: refused at the door
	case "lms":
		sub.Product, sub.Recipient, sub.Fallback, sub.SenderKey = upstreampb.Product_PRODUCT_LMS, w.phone(n), 0, ""
		sub.Subject, sub.Text = "공지", text+strings.Repeat(" 긴 본문", 10*(s.b%8))
	case "alimtalk":
		sub.Product, sub.TemplateCode = upstreampb.Product_PRODUCT_ALIMTALK, "ORDER_SHIPPED"
		invoice := "1234-5678"
		if long {
			invoice = strings.Repeat("1234-", 12)
		}
		sub.Text = "[" + tag + "] 주문하신 상품이 발송되었습니다. 운송장 " + invoice
	case "friendtalk_text":
		sub.Product, sub.Text = upstreampb.Product_PRODUCT_FRIENDTALK_TEXT, text
	case "friendtalk_image":
		sub.Product, sub.Text, sub.ImageUrl = upstreampb.Product_PRODUCT_FRIENDTALK_IMAGE, text, "https://img.example.com/m.png"
	}
	r := w.h.submit(w.u, sub)
	if r.Status != upstreampb.Status_OK {
		w.stats.Refused++
		w.stats.Refusals[r.Status.String()]++
		return
	}
	mm := w.track(r.MessageId)
	w.byTag[n] = mm
}

// payment sends a card approval for the merchant "shop": two payment
// AlimTalk, to the merchant and to the buyer, accepted as one event.
func (w *modelWorld) payment() {
	w.stats.Payments++
	r := w.h.payment(w.pg, paymentEvent(fmt.Sprintf("model-ev-%d", w.stats.Payments),
		upstreampb.PaymentEventKind_APPROVAL_COMPLETED, upstreampb.PaymentMethod_CARD))
	if r.Status != upstreampb.Status_OK {
		w.stats.Refused++
		w.stats.Refusals["payment "+r.Status.String()]++
		return
	}
	for _, sid := range r.MessageIds {
		w.track(sid)
	}
}

// track adds an accepted message to the model.
func (w *modelWorld) track(sid string) *modelMsg {
	id := mustID(w.t, sid)
	m, err := w.h.d.Store().Get(id)
	if err != nil {
		w.t.Fatalf("accepted %s not in the store: %v", sid, err)
	}
	mm := &modelMsg{n: len(w.msgs), step: w.stats.Steps - 1, id: id, product: m.Product, accepted: m.AcceptedAt,
		deadline: m.AcceptedAt.Add(w.h.cfg.Dispatch.Validity)}
	w.msgs = append(w.msgs, mm)
	w.byID[sid] = mm
	w.stats.Accepted++
	return mm
}

// phone is a distinct mobile number per message, for SMS and LMS.
func (w *modelWorld) phone(n int) string { return fmt.Sprintf("0109%07d", n) }

// advance moves the clock by d in hops: to every timer of the simulated
// carriers (a receipt falling due) and every open message's deadline on
// the way, where the relay gets to act (a settle) and its periodic expiry
// scan and 3005 poll run, as they would every expiry_scan; then to the end.
func (w *modelWorld) advance(d time.Duration) *modelViolation {
	end := w.h.now.Now().Add(d)
	for {
		now := w.h.now.Now()
		next, timer := end, false
		if at, ok := w.nextTimer(); ok && at.Before(next) {
			next, timer = at, true
		}
		for _, m := range w.msgs {
			if m.final == nil && m.deadline.After(now) && m.deadline.Before(next) {
				next, timer = m.deadline, false
			}
		}
		w.h.now.Advance(next.Sub(now))
		if timer {
			w.settle()
		}
		ctx := context.Background()
		w.h.d.disp.PollKakao(ctx)
		w.h.d.ExpireNow(ctx)
		if v := w.checkDeadlines(); v != nil {
			return v
		}
		if !next.Before(end) {
			return nil
		}
	}
}

// nextTimer is when the manual clock's earliest pending timer falls due.
func (w *modelWorld) nextTimer() (time.Time, bool) {
	c := w.h.now
	c.mu.Lock()
	defer c.mu.Unlock()
	var at time.Time
	for _, tm := range c.timers {
		if !tm.stopped && (at.IsZero() || tm.at.Before(at)) {
			at = tm.at
		}
	}
	return at, !at.IsZero()
}

// settle polls until no open message is on its way through the relay
// (accepted, queued or sending on a channel that is up) and the open
// messages' states stay put for a few polls, or five seconds pass. Retries
// and their backoff run on real time while the model's clock stands
// still; without this, the next clock jump would expire messages the
// relay was still retrying. It only paces the run: no check depends on it.
func (w *modelWorld) settle() {
	deadline := time.Now().Add(5 * time.Second)
	last, still := "", 0
	for still < 3 && time.Now().Before(deadline) {
		var b strings.Builder
		busy := false
		live := false
		for _, c := range w.h.d.disp.Carriers() {
			live = live || w.h.d.disp.Live(c)
		}
		for _, m := range w.msgs {
			if m.final != nil {
				continue
			}
			r, err := w.h.d.Store().Get(m.id)
			if err != nil {
				continue
			}
			fmt.Fprintf(&b, "%d:%d;", m.n, r.State)
			switch r.State {
			case message.StateAccepted, message.StateQueued, message.StateSending, message.StateKakaoSending:
				busy = busy || legProduct(r).Kakao() || live
			}
		}
		for _, s := range w.h.sims {
			fmt.Fprintf(&b, "%d,", s.Stats().Receipts)
		}
		if cur := b.String(); cur == last && !busy {
			still++
		} else {
			last, still = cur, 0
		}
		time.Sleep(5 * time.Millisecond) // polling the relay's progress
	}
}

// finish runs the clock past every deadline and checks what must hold at
// the end: every message final, reported, billed as delivered.
func (w *modelWorld) finish() *modelViolation {
	if w.badPass {
		w.badPass = false
		w.restart(func() {
			w.h.stop()
			for i := range w.h.cfg.Carriers {
				w.h.cfg.Carriers[i].Password = "pw"
			}
		})
	}
	w.settle()
	if v := w.advance(w.h.cfg.Dispatch.Validity + time.Hour); v != nil {
		return v
	}
	w.settle()
	if v := w.check(); v != nil {
		return v
	}
	for _, m := range w.msgs {
		if m.final == nil {
			return violation("deadline", "message %d (%v) not final at the end", m.n, m.id)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		missing, v := w.unreported()
		if v != nil {
			return v
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return violation("report", "%d final messages never reported, e.g. %v", len(missing), missing[:min(5, len(missing))])
		}
		time.Sleep(5 * time.Millisecond) // polling the report stream
	}
	if v := w.checkReports(); v != nil {
		return v
	}
	if v := w.checkFinalStable(); v != nil {
		return v
	}
	return w.checkBilling()
}

func (w *modelWorld) unreported() ([]int, *modelViolation) {
	if v := w.checkReports(); v != nil {
		return nil, v
	}
	var missing []int
	for _, m := range w.msgs {
		if !w.reported[m] {
			missing = append(missing, m.n)
		}
	}
	return missing, nil
}
