package smpptest

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/receipt"
)

// submit answers one submit_sm, misbehaving as the Behavior says; the
// checks run in the order of the fields of Behavior that matter here.
func (p *peer) submit(q *pdu.PDU) {
	p.mu.Lock()
	kind := p.mu.kind
	p.mu.Unlock()
	if kind != pdu.BindTransmitterID && kind != pdu.BindTransceiverID {
		p.send(&pdu.PDU{Header: pdu.Header{Command: pdu.SubmitSMRespID, Status: pdu.StatusInvBnd, Sequence: q.Sequence}})
		return
	}
	p.s.submits.Add(1)
	p.n++
	n := p.n
	b := p.s.behavior()
	switch {
	case b.CloseAfter > 0 && n >= b.CloseAfter:
		p.close(false)
		return
	case b.ResetAfter > 0 && n >= b.ResetAfter:
		p.close(true)
		return
	case b.HalfOpenAfter > 0 && n >= b.HalfOpenAfter:
		p.halfOpen.Store(true)
		return
	}
	if st := p.refusal(n, b); st != pdu.StatusOK {
		if st == pdu.StatusThrottled || st == pdu.StatusMsgQFul {
			p.s.throttled.Add(1)
		}
		p.later(b.RespDelay, &pdu.PDU{Header: pdu.Header{Command: pdu.SubmitSMRespID, Status: st, Sequence: q.Sequence}})
		return
	}
	if b.NackEvery > 0 && n%b.NackEvery == 0 {
		p.later(b.RespDelay, &pdu.PDU{Header: pdu.Header{Command: pdu.GenericNackID, Status: pdu.StatusSysErr, Sequence: q.Sequence}})
		return
	}
	sm := q.Body.(*pdu.SubmitSM)
	id := p.s.formatID(p.s.ids.Add(1), false)
	sub := Submitted{SystemID: p.systemID(), MessageID: id, SM: sm}
	if tag := p.s.cfg.SubjectTag; tag != 0 {
		if v, ok := sm.TLVs.Get(tag); ok {
			sub.Subject = append([]byte{}, v...)
			p.s.subjects.Add(1)
			p.s.cfg.Logger.Debug("smpptest: LMS subject", "id", id, "bytes", len(v))
		}
	}
	p.s.record(sub)
	p.s.setState(id, pdu.StateEnroute)
	if b.DropEvery > 0 && n%b.DropEvery == 0 {
		return // accepted, never answered
	}
	resp := newSubmitSMResp(q.Sequence, id)
	wantReceipt := sm.RegisteredDelivery&0x03 != 0 && p.s.cfg.Receipts != ReceiptNone
	if wantReceipt && b.ReceiptBeforeResp {
		p.receipt(sm, id, b, 0)
		wantReceipt = false
	}
	p.later(b.RespDelay, resp)
	if wantReceipt {
		p.receipt(sm, id, b, b.RespDelay+p.s.cfg.ReceiptDelay)
	}
	if b.UnbindAfter > 0 && n == b.UnbindAfter {
		p.request(pdu.UnbindID, nil)
	}
}

// refusal is the status a submit is refused with for rate, or StatusOK.
func (p *peer) refusal(n int, b Behavior) pdu.Status {
	if tps := p.s.cfg.TPS; tps > 0 {
		now := p.s.cfg.Clock.Now()
		if now.Sub(p.secStart) >= time.Second {
			p.secStart, p.secCount = now, 0
		}
		p.secCount++
		if p.secCount > tps {
			return pdu.StatusThrottled
		}
	}
	if b.BusyEvery > 0 && b.BusyBurst > 0 && (n-1)%(b.BusyEvery+b.BusyBurst) >= b.BusyEvery {
		if b.BusyStatus != pdu.StatusOK {
			return b.BusyStatus
		}
		return pdu.StatusThrottled
	}
	return pdu.StatusOK
}

// later sends q after d (at once when d is zero).
func (p *peer) later(d time.Duration, q *pdu.PDU) {
	if d <= 0 {
		p.send(q)
		return
	}
	p.s.schedule(d, func() { p.send(q) })
}

// newSubmitSMResp is a submit_sm_resp, its body in the same allocation.
func newSubmitSMResp(seq uint32, id string) *pdu.PDU {
	a := &struct {
		p    pdu.PDU
		body pdu.SubmitSMResp
	}{}
	a.body.MessageID = id
	a.p = pdu.PDU{Header: pdu.Header{Command: pdu.SubmitSMRespID, Sequence: seq}, Body: &a.body}
	return &a.p
}

// receipt sends the receipt of message id after d, to the socket the
// Behavior picks, twice if it says so.
func (p *peer) receipt(sm *pdu.SubmitSM, id string, b Behavior, d time.Duration) {
	fail := p.s.failNext()
	submitted := p.s.cfg.Clock.Now()
	copies, elsewhere := 1+btoi(b.DuplicateReceipts), b.ReceiptsElsewhere
	if d <= 0 {
		p.sendReceipt(sm, id, fail, submitted, copies, elsewhere)
		return
	}
	send := func() { p.sendReceipt(sm, id, fail, submitted, copies, elsewhere) }
	rc := &dueReceipt{systemID: p.systemID(), copies: copies,
		body: func() *pdu.DeliverSM { return p.s.receiptBody(sm, id, fail, submitted) }}
	if !p.s.scheduleReceipt(d, rc, send) {
		p.s.receiptsDropped.Add(1)
	}
}

// sendReceipt builds the receipt now (a cancel_sm may have come since the
// submit) and sends copies of it.
func (p *peer) sendReceipt(sm *pdu.SubmitSM, id string, fail bool, submitted time.Time, copies int, elsewhere bool) {
	body := p.s.receiptBody(sm, id, fail, submitted)
	for range copies {
		if to, ok := p.s.route(p, body, 0, elsewhere); ok {
			p.s.receipts.Add(1)
			if to.esme() != p.esme() {
				p.s.receiptsOtherESME.Add(1)
			} else {
				p.s.receiptsOwnESME.Add(1)
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// receiptBody builds the deliver_sm of a receipt.
func (s *Server) receiptBody(sm *pdu.SubmitSM, id string, fail bool, submitted time.Time) *pdu.DeliverSM {
	stat, state, errCode, dlvrd := receipt.StatDelivered, pdu.StateDelivered, "000", 1
	if fail {
		stat, state, errCode, dlvrd = receipt.StatUndeliverable, pdu.StateUndeliverable, "001", 0
	}
	if cur, _ := s.state(id); cur == pdu.StateDeleted {
		stat, state, errCode, dlvrd = receipt.StatDeleted, pdu.StateDeleted, "000", 0
	}
	s.setState(id, state)
	rid := id
	if s.cfg.ReceiptOtherBase {
		n, _ := strconv.ParseUint(id, s.cfg.IDBase, 64)
		rid = strconv.FormatUint(n, 26-s.cfg.IDBase) // 10 ↔ 16
	}
	// The receipt with room for its text and its TLVs, in one allocation.
	x := new(struct {
		d    pdu.DeliverSM
		text [receiptRoom]byte
		tlvs [receiptTLVRoom]byte
	})
	d := &x.d
	d.Source, d.Dest, d.ESMClass = sm.Dest, sm.Source, 0x04
	if s.cfg.Receipts != ReceiptTLV {
		text := sm.ShortMessage
		if len(text) > 20 {
			text = text[:20]
		}
		if sm.DataCoding != 0 && sm.DataCoding != 1 && sm.DataCoding != 3 {
			text = nil // the text: field is 7-bit ASCII; do not echo binary
		}
		r := receipt.Receipt{
			ID: rid, Sub: 1, Dlvrd: dlvrd, Stat: stat, Err: errCode, Text: string(text),
			Submitted: submitted.Truncate(time.Minute),
			Done:      s.cfg.Clock.Now().Truncate(time.Minute),
		}
		d.ShortMessage = receipt.Format(x.text[:0], r, cmp.Or(s.cfg.Location, korea))
	}
	if s.cfg.Receipts != ReceiptText {
		// d's TLVs are empty: Add is Set without the search, and takes a
		// value it copies, so the C string is built on the stack.
		var cs [72]byte
		d.TLVs.Use(x.tlvs[:])
		_ = d.TLVs.Add(pdu.TagReceiptedMessageID, append(append(cs[:0], rid...), 0))
		_ = d.TLVs.Add(pdu.TagMessageState, []byte{byte(state)})
	}
	return d
}

// receiptRoom and receiptTLVRoom are the room a receipt's allocation keeps
// for its text and its TLVs: the text of an id of up to 30 characters fits
// (receipt.Format asks for 100 octets besides the id, the 3 of err and the
// 20 of text), and so do the TLVs of such an id. A longer one grows into
// an allocation of its own.
const (
	receiptRoom    = 100 + 30 + 3 + 20
	receiptTLVRoom = 4 + 30 + 1 + 4 + 1
)

// korea is the default zone of receipt dates: Korea Standard Time, which
// has no daylight saving time.
var korea = time.FixedZone("KST", 9*3600)

// formatID writes message number n as the server's ids look.
func (s *Server) formatID(n uint64, _ bool) string { return s.cfg.formatIDWith(n) }

func (c Config) formatIDWith(n uint64) string {
	id := strconv.FormatUint(n, c.IDBase)
	if c.IDUpper {
		id = strings.ToUpper(id)
	}
	if len(id) < c.IDWidth {
		id = strings.Repeat("0", c.IDWidth-len(id)) + id
	}
	return id
}

// SendReceipt sends a final receipt for message id to a bound receiving
// socket of systemID, whether or not this server issued the id: a receipt
// from before a restart, or for an id the SMSC is about to hand out again,
// as carriers whose ids wrap around do. It reports whether it went out.
func (s *Server) SendReceipt(systemID, id string, delivered bool) bool {
	to := s.boundReceiver(systemID, nil, "")
	if to == nil {
		return false
	}
	d := s.receiptBody(&pdu.SubmitSM{}, id, !delivered, s.cfg.Clock.Now())
	if !to.deliver(d, 0) {
		return false
	}
	s.receipts.Add(1)
	return true
}
