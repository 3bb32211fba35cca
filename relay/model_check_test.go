package relay

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// modelViolation is an invariant the relay broke: which rule, what was
// seen, at which step.
type modelViolation struct {
	rule, detail string
	step         int
}

func (v *modelViolation) String() string {
	return fmt.Sprintf("step %d: %s: %s", v.step, v.rule, v.detail)
}

func violation(rule, format string, args ...any) *modelViolation {
	return &modelViolation{rule: rule, detail: fmt.Sprintf(format, args...)}
}

// check is every invariant that must hold at any moment.
func (w *modelWorld) check() *modelViolation {
	if v := w.checkDeadlines(); v != nil {
		return v
	}
	for _, s := range w.h.sims {
		if v := w.checkBytesOf(s); v != nil {
			return v
		}
	}
	if v := w.checkReports(); v != nil {
		return v
	}
	if w.stats.Steps%10 == 0 {
		if v := w.checkFinalStable(); v != nil {
			return v
		}
		return w.checkBilling()
	}
	return nil
}

// checkDeadlines reads every message not yet seen final: a final one is
// judged once (judgeFinal); an open one must not be past its deadline.
func (w *modelWorld) checkDeadlines() *modelViolation {
	now := w.h.now.Now()
	for _, m := range w.msgs {
		if m.final != nil {
			continue
		}
		r, err := w.h.d.Store().Get(m.id)
		if err != nil {
			return violation("lost", "message %d (%v): %v", m.n, m.id, err)
		}
		if !r.State.Final() {
			m.open = r.State
			if !now.Before(m.deadline) {
				return violation("deadline", "message %d (%v, %v) is %v at %v, its deadline %v passed",
					m.n, m.id, m.product, r.State, now, m.deadline)
			}
			continue
		}
		if v := w.judgeFinal(m, r); v != nil {
			return v
		}
		m.final = r
		if v := w.judgeExpiry(m, r); v != nil {
			return v
		}
		end := fmt.Sprintf("%v/leg%d/%v/%s", m.product, r.Leg, r.State, r.Result.Code)
		if r.State == message.StateExpired {
			end += "/from-" + m.open.String()
		}
		w.stats.Ends[end]++
		w.trace("message %d (%v, accepted at step %d) final: %s", m.n, m.id, m.step, end)
		switch r.State {
		case message.StateDelivered:
			w.stats.Delivered++
		case message.StateFailed:
			w.stats.Failed++
		default:
			w.stats.Expired++
		}
	}
	return nil
}

// judgeExpiry: a message sent to a carrier that is still there, has been
// reachable since and owed its receipt before the deadline, must not
// expire waiting: the receipt went to another message, or nowhere.
func (w *modelWorld) judgeExpiry(m *modelMsg, r *message.Message) *modelViolation {
	if r.State == message.StateExpired && m.open == message.StateSent && m.lastSim != nil &&
		w.gone[m.lastSim].IsZero() && !w.badPass && w.credsEpoch == m.credsEpoch &&
		m.sentAt.Add(modelReceiptDue).Before(m.deadline) {
		return violation("receipt", "message %d (%v, sent at %v) expired waiting for a receipt its carrier sent",
			m.n, m.id, m.sentAt)
	}
	return nil
}

// legProduct is the product of the leg a record is on: the message's own,
// or the SMS/LMS its fallback leg was decided as.
func legProduct(r *message.Message) message.Product {
	if r.Leg == 0 {
		return r.Product
	}
	return r.Billed
}

func (w *modelWorld) judgeFinal(m *modelMsg, r *message.Message) *modelViolation {
	if !r.SentAt.IsZero() && r.FinalAt.Before(r.SentAt) {
		return violation("final_at", "message %d: final_at %v before sent_at %v", m.n, r.FinalAt, r.SentAt)
	}
	if r.FinalAt.After(m.deadline) {
		return violation("deadline", "message %d: final at %v, %v after acceptance (validity %v)",
			m.n, r.FinalAt, r.FinalAt.Sub(m.accepted), w.h.cfg.Dispatch.Validity)
	}
	if m.product.Kakao() {
		code, accepted := w.h.kakao.Result(m.id.String())
		if r.State == message.StateDelivered && r.Leg == 0 && code != "1000" {
			return violation("billing", "message %d delivered and billed as %v, Kakao says %q (accepted %v)", m.n, r.Billed, code, accepted)
		}
		if code == "1000" && m.smpp > 0 {
			return violation("channel", "message %d delivered by Kakao and also sent to a carrier %d times", m.n, m.smpp)
		}
	}
	if r.State != message.StateDelivered {
		return nil
	}
	leg := legProduct(r)
	if r.Billed != leg || leg == message.ProductUnknown {
		return violation("billing", "message %d delivered on leg %d (%v) but billed as %v", m.n, r.Leg, leg, r.Billed)
	}
	if gone := w.gone[m.lastSim]; leg.SMPP() && m.lastSim != nil && !gone.IsZero() && r.FinalAt.After(gone) {
		return violation("receipt", "message %d delivered at %v by a receipt its carrier could not have sent: "+
			"that carrier was gone at %v (another message's receipt, its id reused)", m.n, r.FinalAt, gone)
	}
	// (A payment AlimTalk's text carries no tag: its submits are not
	// told apart.)
	if leg.SMPP() && m.smpp == 0 && m.product != message.ProductPaymentAlimTalk {
		// The carriers' records may not have been read since the send.
		for _, s := range w.h.sims {
			w.checkBytesOf(s)
		}
		if m.smpp == 0 {
			return violation("billing", "message %d delivered and billed as %v, no carrier ever got it", m.n, leg)
		}
	}
	return nil
}

var modelTag = regexp.MustCompile(`m([0-9]+)\.`)

// checkBytesOf reads a carrier's submits not read yet: each must be the
// leg of a message on an SMS or LMS leg, within that product's limit.
func (w *modelWorld) checkBytesOf(s *smpptest.Server) *modelViolation {
	subs := s.Submitted()
	from := w.seen[s]
	w.seen[s] = len(subs)
	for _, sub := range subs[min(from, len(subs)):] {
		w.stats.CarrierSubmits++
		body := sub.SM.ShortMessage
		if p, ok := sub.SM.TLVs.MessagePayload(); ok {
			body = p
		}
		tag := modelTag.FindSubmatch(body)
		if tag == nil {
			if len(body) > w.h.cfg.Door.LMSBytes {
				return violation("bytes", "an unrecognised submit of %d bytes, over the LMS limit %d", len(body), w.h.cfg.Door.LMSBytes)
			}
			continue
		}
		n, _ := strconv.Atoi(string(tag[1]))
		m := w.byTag[n]
		if m == nil {
			return violation("bytes", "a carrier got text tagged m%d., no accepted message has it", n)
		}
		m.smpp++
		m.lastSim, m.credsEpoch, m.sentAt = s, w.credsEpoch, w.h.now.Now()
		r, err := w.h.d.Store().Get(m.id)
		if err != nil {
			return violation("lost", "message %d: %v", m.n, err)
		}
		limit := map[message.Product]int{message.ProductSMS: w.h.cfg.Door.SMSBytes, message.ProductLMS: w.h.cfg.Door.LMSBytes}[legProduct(r)]
		if limit == 0 {
			return violation("bytes", "message %d on leg %d (%v) reached a carrier", m.n, r.Leg, legProduct(r))
		}
		if len(body) > limit {
			return violation("bytes", "message %d went to the carrier as %v of %d bytes, limit %d", m.n, legProduct(r), len(body), limit)
		}
	}
	return nil
}

var modelStates = map[message.State]upstreampb.FinalState{
	message.StateDelivered: upstreampb.FinalState_DELIVERED,
	message.StateFailed:    upstreampb.FinalState_FAILED,
	message.StateExpired:   upstreampb.FinalState_EXPIRED,
}

// checkReports: every report received is of a message final in the
// store, with its state, billed product and times. Each report is judged
// once: a final record never changes (checkFinalStable).
func (w *modelWorld) checkReports() *modelViolation {
	for _, c := range w.clients {
		c.mu.Lock()
		var fresh []*upstreampb.Report
		for id, reps := range c.reports {
			fresh = append(fresh, reps...)
			delete(c.reports, id)
		}
		c.mu.Unlock()
		for _, rep := range fresh {
			m := w.byID[rep.MessageId]
			if m == nil {
				return violation("report", "a report for %s, no message the model accepted", rep.MessageId)
			}
			if w.reported[m] {
				w.stats.DuplicateReports++
			}
			w.reported[m] = true
			r, err := w.h.d.Store().Get(m.id)
			if err != nil {
				return violation("lost", "message %d: %v", m.n, err)
			}
			billed := upstreampb.Product_PRODUCT_UNSPECIFIED
			if r.State == message.StateDelivered {
				billed = upstreampb.Product(r.Billed)
			}
			if want, ok := modelStates[r.State]; !ok || rep.State != want || rep.Billed != billed ||
				rep.FinalAtMs != r.FinalAt.UnixMilli() {
				return violation("report", "message %d reported %v billed %v final %d; the store has %v billed %v final %d",
					m.n, rep.State, rep.Billed, rep.FinalAtMs, r.State, billed, r.FinalAt.UnixMilli())
			}
		}
	}
	if n := len(w.clients); n > 1 {
		w.clients = w.clients[n-1:] // the closed ones have no more to give
	}
	return nil
}

// checkFinalStable reads every message seen final again: its result must
// not have changed.
func (w *modelWorld) checkFinalStable() *modelViolation {
	for _, m := range w.msgs {
		if m.final == nil {
			continue
		}
		r, err := w.h.d.Store().Get(m.id)
		if err != nil {
			return violation("lost", "message %d: %v", m.n, err)
		}
		f := m.final
		if r.State != f.State || !r.FinalAt.Equal(f.FinalAt) || r.Billed != f.Billed || r.Result != f.Result {
			return violation("final", "message %d was final %v billed %v at %v (%s), now %v billed %v at %v (%s)",
				m.n, f.State, f.Billed, f.FinalAt, f.Result.Code, r.State, r.Billed, r.FinalAt, r.Result.Code)
		}
	}
	return nil
}

// checkBilling: the billing counters, summed over the months of the run,
// equal the delivered records by billed product. The two are written in
// one batch; reading both is not, so it reads again until they agree or
// 30 seconds pass (a busy machine can hold the batch that long).
func (w *modelWorld) checkBilling() *modelViolation {
	deadline := time.Now().Add(30 * time.Second)
	for {
		want := map[message.Product]uint64{}
		for _, m := range w.msgs {
			r, err := w.h.d.Store().Get(m.id)
			if err != nil {
				return violation("lost", "message %d: %v", m.n, err)
			}
			if r.State == message.StateDelivered {
				want[r.Billed]++
			}
		}
		got := map[message.Product]uint64{}
		start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		for mo := start; !mo.After(w.h.now.Now().AddDate(0, 1, 0)); mo = mo.AddDate(0, 1, 0) {
			c, err := w.h.d.Store().MonthCounts("shop", mo.Format("2006-01"))
			if err != nil {
				w.t.Fatal(err)
			}
			for p, n := range c {
				got[p] += n
			}
		}
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return nil
		}
		if time.Now().After(deadline) {
			return violation("billing", "counters %v, delivered records %v", got, want)
		}
		time.Sleep(5 * time.Millisecond) // polling two reads into agreement
	}
}
