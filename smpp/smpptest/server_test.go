package smpptest_test

import (
	"errors"
	"io"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/receipt"
	"github.com/msgrelay/relay/smpp/smpptest"
)

func TestBindCredentialsAndLimits(t *testing.T) {
	srv := start(t, smpptest.Config{Users: map[string]string{"relay": "secret"}, MaxBinds: 1})
	if st := dial(t, srv).bind(pdu.BindTransceiverID, "relay", "wrong"); st != pdu.StatusInvPaswd {
		t.Fatalf("wrong password: %s", st)
	}
	if st := dial(t, srv).bind(pdu.BindTransceiverID, "nobody", "x"); st != pdu.StatusInvSysID {
		t.Fatalf("unknown system_id: %s", st)
	}
	a := dial(t, srv)
	if st := a.bind(pdu.BindTransmitterID, "relay", "secret"); st != pdu.StatusOK {
		t.Fatalf("bind: %s", st)
	}
	if st := a.bind(pdu.BindTransmitterID, "relay", "secret"); st != pdu.StatusAlyBnd {
		t.Fatalf("second bind on one socket: %s", st)
	}
	if st := dial(t, srv).bind(pdu.BindReceiverID, "relay", "secret"); st != pdu.StatusAlyBnd {
		t.Fatalf("bind over MaxBinds: %s", st)
	}
	if now, most := srv.OpenSockets("relay"); now != 1 || most != 1 {
		t.Fatalf("open sockets %d, most %d", now, most)
	}
	if st := srv.Stats(); st.Binds != 1 || st.BindsRefused != 4 {
		t.Fatalf("stats %+v", st)
	}
}

func TestIDsAndReceiptInOtherBase(t *testing.T) {
	srv := start(t, smpptest.Config{IDBase: 16, IDUpper: true, IDWidth: 8, IDStart: 0xABCDEF, ReceiptOtherBase: true})
	e := dial(t, srv)
	e.bind(pdu.BindTransceiverID, "relay", "")
	seq := e.submit(true)
	resp := e.read()
	id := resp.Body.(*pdu.SubmitSMResp).MessageID
	if resp.Sequence != seq || id != "00ABCDEF" {
		t.Fatalf("resp seq %d id %q", resp.Sequence, id)
	}
	d := e.read()
	dsm := d.Body.(*pdu.DeliverSM)
	tlvID, _ := dsm.TLVs.ReceiptedMessageID()
	r, err := receipt.Parse(string(dsm.ShortMessage), receipt.TLVs{}, nil)
	if err != nil || r.ID != "11259375" || tlvID != "11259375" || r.Stat != receipt.StatDelivered || dsm.ESMClass != 0x04 {
		t.Fatalf("receipt %q (tlv id %q): %+v %v", dsm.ShortMessage, tlvID, r, err)
	}
	e.respond(d)
	e.submit(false)
	if id := e.read().Body.(*pdu.SubmitSMResp).MessageID; id != "00ABCDF0" {
		t.Fatalf("second id %q", id)
	}
}

func TestFailureMixIsRepeatable(t *testing.T) {
	stats := func() string {
		srv := start(t, smpptest.Config{FailRatio: 0.5, Seed: 7, Receipts: smpptest.ReceiptTLV})
		e := dial(t, srv)
		e.bind(pdu.BindTransceiverID, "relay", "")
		out := ""
		for range 20 {
			e.submit(true)
			e.read() // submit_sm_resp
			st, _ := e.read().Body.(*pdu.DeliverSM).TLVs.MessageState()
			out += strconv.Itoa(int(st))
		}
		return out
	}
	a, b := stats(), stats()
	if a != b {
		t.Fatalf("same seed, different mix: %s vs %s", a, b)
	}
	if !contains(a, '2') || !contains(a, '5') {
		t.Fatalf("mix %s has not both DELIVERED and UNDELIVERABLE", a)
	}
}

func contains(s string, c byte) bool {
	for i := range len(s) {
		if s[i] == c {
			return true
		}
	}
	return false
}

func TestReceiptOrderAndDuplicates(t *testing.T) {
	srv := start(t, smpptest.Config{Behavior: smpptest.Behavior{ReceiptBeforeResp: true, DuplicateReceipts: true}})
	e := dial(t, srv)
	e.bind(pdu.BindTransceiverID, "relay", "")
	e.submit(true)
	for i, want := range []pdu.CommandID{pdu.DeliverSMID, pdu.DeliverSMID, pdu.SubmitSMRespID} {
		if p := e.read(); p.Command != want {
			t.Fatalf("PDU %d is %s, want %s", i, p.Command, want)
		}
	}
}

func TestRefusals(t *testing.T) {
	srv := start(t, smpptest.Config{Behavior: smpptest.Behavior{
		NackEvery: 3, BusyEvery: 1, BusyBurst: 1, BusyStatus: pdu.StatusMsgQFul,
	}})
	e := dial(t, srv)
	e.bind(pdu.BindTransceiverID, "relay", "")
	var got []string
	for range 4 {
		e.submit(false)
		p := e.read()
		got = append(got, p.Command.String()+"/"+p.Status.String())
	}
	want := []string{"submit_sm_resp/ESME_ROK", "submit_sm_resp/ESME_RMSGQFUL", "generic_nack/ESME_RSYSERR", "submit_sm_resp/ESME_RMSGQFUL"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("answers %v, want %v", got, want)
		}
	}
}

func TestTPSLimit(t *testing.T) {
	clk := &manualClock{now: time.Unix(1_800_000_000, 0)}
	srv := start(t, smpptest.Config{TPS: 3, Clock: clk})
	e := dial(t, srv)
	e.bind(pdu.BindTransceiverID, "relay", "")
	var st []pdu.Status
	for range 5 {
		e.submit(false)
		st = append(st, e.read().Status)
	}
	if st[2] != pdu.StatusOK || st[3] != pdu.StatusThrottled || st[4] != pdu.StatusThrottled {
		t.Fatalf("statuses %v", st)
	}
	clk.Add(time.Second)
	e.submit(false)
	if s := e.read().Status; s != pdu.StatusOK {
		t.Fatalf("next second: %s", s)
	}
	if n := srv.Stats().Throttled; n != 2 {
		t.Fatalf("throttled %d", n)
	}
}

func TestDropAndDelayWithInjectedClock(t *testing.T) {
	clk := &manualClock{now: time.Unix(1_800_000_000, 0)}
	srv := start(t, smpptest.Config{Clock: clk, ReceiptDelay: time.Hour, Behavior: smpptest.Behavior{DropEvery: 2}})
	e := dial(t, srv)
	e.bind(pdu.BindTransceiverID, "relay", "")
	e.submit(true) // answered, receipt in an hour
	e.submit(true) // dropped
	e.submit(true) // answered, receipt in an hour
	for range 2 {
		if p := e.read(); p.Command != pdu.SubmitSMRespID {
			t.Fatalf("got %s", p.Command)
		}
	}
	pending := clk.waitPending(t, 2)
	if len(pending) != 2 {
		t.Fatalf("%d receipts scheduled, want 2: the dropped submit got one", len(pending))
	}
	pending[0]()
	if p := e.read(); p.Command != pdu.DeliverSMID {
		t.Fatalf("got %s after the delay", p.Command)
	}
	if n := len(srv.Submitted()); n != 3 {
		t.Fatalf("recorded %d submits", n)
	}
}

func TestConnectionMisbehaviour(t *testing.T) {
	t.Run("close", func(t *testing.T) {
		srv := start(t, smpptest.Config{Behavior: smpptest.Behavior{CloseAfter: 2}})
		e := dial(t, srv)
		e.bind(pdu.BindTransceiverID, "relay", "")
		e.submit(false)
		e.read()
		e.submit(false)
		if _, err := e.rd.Read(); !errors.Is(err, io.EOF) {
			t.Fatalf("read after CloseAfter: %v", err)
		}
	})
	t.Run("close set on a connection past N", func(t *testing.T) {
		srv := start(t, smpptest.Config{})
		e := dial(t, srv)
		e.bind(pdu.BindTransceiverID, "relay", "")
		for range 3 {
			e.submit(false)
			e.read()
		}
		srv.SetBehavior(smpptest.Behavior{CloseAfter: 2})
		e.submit(false)
		if _, err := e.rd.Read(); !errors.Is(err, io.EOF) {
			t.Fatalf("read after CloseAfter set past it: %v", err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		srv := start(t, smpptest.Config{Behavior: smpptest.Behavior{ResetAfter: 1}})
		e := dial(t, srv)
		e.bind(pdu.BindTransceiverID, "relay", "")
		e.submit(false)
		if _, err := e.rd.Read(); !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("read after ResetAfter: %v", err)
		}
	})
	t.Run("half-open", func(t *testing.T) {
		srv := start(t, smpptest.Config{Behavior: smpptest.Behavior{HalfOpenAfter: 1}})
		e := dial(t, srv)
		e.bind(pdu.BindTransceiverID, "relay", "")
		e.submit(false)
		e.send(pdu.EnquireLinkID, nil)
		_ = e.nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if p, err := e.rd.Read(); err == nil {
			t.Fatalf("half-open socket answered %s", p.Command)
		}
	})
	t.Run("enquire and unbind", func(t *testing.T) {
		srv := start(t, smpptest.Config{Behavior: smpptest.Behavior{EnquireLinkEvery: 20 * time.Millisecond, UnbindAfter: 1}})
		e := dial(t, srv)
		e.bind(pdu.BindTransceiverID, "relay", "")
		e.submit(false)
		var unbound bool
		for !unbound {
			p := e.read()
			switch p.Command {
			case pdu.EnquireLinkID:
				e.respond(p)
			case pdu.UnbindID:
				e.respond(p)
				unbound = true
			}
		}
		if _, err := e.rd.Read(); err == nil {
			t.Fatal("socket still open after unbind_resp")
		}
	})
}

func TestReceiptsElsewhere(t *testing.T) {
	srv := start(t, smpptest.Config{Behavior: smpptest.Behavior{ReceiptsElsewhere: true}})
	tx, rx := dial(t, srv), dial(t, srv)
	tx.bind(pdu.BindTransceiverID, "relay", "")
	rx.bind(pdu.BindReceiverID, "relay", "")
	tx.submit(true)
	id := tx.read().Body.(*pdu.SubmitSMResp).MessageID
	d := rx.read()
	if got, _ := d.Body.(*pdu.DeliverSM).TLVs.ReceiptedMessageID(); got != id {
		t.Fatalf("receipt on the other bind for %q, want %q", got, id)
	}
	rx.respond(d)
	waitStat(t, srv, func(st smpptest.Stats) bool {
		return st.DeliverAcks == 1 && st.ReceiptsOwnESME+st.ReceiptsOtherESME == 1
	})
	if st := srv.Stats(); st.ReceiptsOwnESME != 1 || st.ReceiptsOtherESME != 0 {
		t.Fatalf("receipts on the submitting ESME's binds %d, on another's %d; want 1, 0", st.ReceiptsOwnESME, st.ReceiptsOtherESME)
	}
}

// Two instances of an ESME on one host, each with its own system_type: a
// receipt goes to the other instance's bind, never to another bind of the
// submitting one while the other has one.
func TestReceiptsElsewhereOtherESME(t *testing.T) {
	srv := start(t, smpptest.Config{Behavior: smpptest.Behavior{ReceiptsElsewhere: true}})
	tx, own, other := dial(t, srv), dial(t, srv), dial(t, srv)
	tx.bindAs(pdu.BindTransceiverID, "relay", "", "node1")
	own.bindAs(pdu.BindReceiverID, "relay", "", "node1")
	other.bindAs(pdu.BindReceiverID, "relay", "", "node2")
	const n = 20
	ids := map[string]bool{}
	for range n {
		tx.submit(true)
		ids[tx.read().Body.(*pdu.SubmitSMResp).MessageID] = true
	}
	for range n {
		d := other.read()
		id, _ := d.Body.(*pdu.DeliverSM).TLVs.ReceiptedMessageID()
		if !ids[id] {
			t.Fatalf("receipt for %q on node2, not one of the submits", id)
		}
		delete(ids, id)
		other.respond(d)
	}
	// The sender counts a receipt once it is queued on the bind, so the
	// ESME may read the last one before it is counted.
	waitStat(t, srv, func(st smpptest.Stats) bool { return st.Receipts == n && st.ReceiptsOtherESME == n })
	if st := srv.Stats(); st.ReceiptsOwnESME != 0 {
		t.Fatalf("receipts %d, on another ESME's bind %d, on its own %d; want %d, %[4]d, 0",
			st.Receipts, st.ReceiptsOtherESME, st.ReceiptsOwnESME, n)
	}
}

func TestRefusedReceiptIsRedelivered(t *testing.T) {
	clk := &manualClock{now: time.Unix(1_800_000_000, 0)}
	srv := start(t, smpptest.Config{Clock: clk, MaxRedeliveries: 1})
	e := dial(t, srv)
	e.bind(pdu.BindTransceiverID, "relay", "")
	e.submit(true)
	id := e.read().Body.(*pdu.SubmitSMResp).MessageID
	refuse := func() {
		d := e.read()
		if got, _ := d.Body.(*pdu.DeliverSM).TLVs.ReceiptedMessageID(); d.Command != pdu.DeliverSMID || got != id {
			t.Fatalf("got %s for %q, want the receipt of %q", d.Command, got, id)
		}
		b, _ := (&pdu.PDU{Header: pdu.Header{Command: pdu.DeliverSMRespID, Status: pdu.StatusRxTAppn, Sequence: d.Sequence}}).AppendTo(nil)
		if _, err := e.nc.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	refuse()
	clk.waitPending(t, 1)[0]() // RedeliverDelay passes
	refuse()
	// MaxRedeliveries reached: nothing more is scheduled.
	e.send(pdu.EnquireLinkID, nil)
	if p := e.read(); p.Command != pdu.EnquireLinkRespID {
		t.Fatalf("got %s", p.Command)
	}
	if p := clk.waitPending(t, 1); len(p) != 1 {
		t.Fatalf("%d redeliveries scheduled, want 1", len(p))
	}
	if st := srv.Stats(); st.Redelivered != 1 || st.DeliverNacks != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// A receipt refused again and again is sent again later each time, as an
// SMSC backs off from an ESME that keeps refusing: each wait doubles from
// RedeliverDelay up to RedeliverMaxDelay, less a random quarter at most
// (receipts refused together do not all come back together).
func TestRefusedReceiptBacksOff(t *testing.T) {
	clk := &manualClock{now: time.Unix(1_800_000_000, 0)}
	srv := start(t, smpptest.Config{Clock: clk, RedeliverDelay: time.Second, RedeliverMaxDelay: 8 * time.Second, MaxRedeliveries: 100})
	e := dial(t, srv)
	e.bind(pdu.BindTransceiverID, "relay", "")
	e.submit(true)
	e.read() // submit_sm_resp
	refuse := func() {
		d := e.read()
		if d.Command != pdu.DeliverSMID {
			t.Fatalf("got %s, want a deliver_sm", d.Command)
		}
		b, _ := (&pdu.PDU{Header: pdu.Header{Command: pdu.DeliverSMRespID, Status: pdu.StatusRxTAppn, Sequence: d.Sequence}}).AppendTo(nil)
		if _, err := e.nc.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	refuse()
	for i, want := range []time.Duration{1, 2, 4, 8, 8, 8} {
		want *= time.Second
		p := clk.waitPending(t, i+1)
		if got := clk.delay(i); got > want || got < want*3/4 {
			t.Fatalf("refusal %d: sent again after %v, want %v less a quarter at most", i+1, got, want)
		}
		p[i]()
		refuse()
	}
}

// A receipt that falls due while no socket of its system_id can receive
// is kept and goes out on the next receiving bind; so does one sent on a
// socket that closed before answering it. DropUnbound drops them instead.
func TestReceiptsKeptUntilTheNextBind(t *testing.T) {
	for _, drop := range []bool{false, true} {
		clk := &manualClock{now: time.Unix(1_800_000_000, 0)}
		srv := start(t, smpptest.Config{Clock: clk, ReceiptDelay: time.Hour, Behavior: smpptest.Behavior{DropUnbound: drop}})
		e := dial(t, srv)
		e.bind(pdu.BindTransceiverID, "relay", "")
		e.submit(true)
		first := e.read().Body.(*pdu.SubmitSMResp).MessageID
		e.submit(true)
		second := e.read().Body.(*pdu.SubmitSMResp).MessageID
		due := clk.waitPending(t, 2)
		due[0]() // the first receipt goes out and is never answered
		if p := e.read(); p.Command != pdu.DeliverSMID {
			t.Fatalf("got %s", p.Command)
		}
		e.nc.Close()
		waitStat(t, srv, func(st smpptest.Stats) bool { return st.Open == 0 })
		due[1]() // the second falls due with nobody bound
		if st := srv.Stats(); drop && st.ReceiptsDrop != 2 || !drop && st.ReceiptsKept != 2 {
			t.Fatalf("drop=%v: stats %+v", drop, st)
		}
		if drop {
			continue
		}
		again := dial(t, srv)
		again.bind(pdu.BindReceiverID, "relay", "")
		got := again.receipts(2)
		if !got[first] || !got[second] {
			t.Fatalf("after rebinding got receipts %v, want %q and %q", got, first, second)
		}
		waitStat(t, srv, func(st smpptest.Stats) bool { return st.DeliverAcks == 2 && st.ReceiptsKept == 0 })
	}
}

// A receipt left unanswered by a socket that closes goes out again on
// another receiving bind of its system_id that is already up, after
// RedeliverDelay, as an SMSC retries: it does not wait for a bind that
// may never come.
func TestKeptReceiptGoesToABindAlreadyUp(t *testing.T) {
	clk := &manualClock{now: time.Unix(1_800_000_000, 0)}
	srv := start(t, smpptest.Config{Clock: clk, ReceiptDelay: time.Hour})
	a, b := dial(t, srv), dial(t, srv)
	a.bind(pdu.BindTransceiverID, "relay", "")
	b.bind(pdu.BindReceiverID, "relay", "")
	// b's reader looks for kept receipts just after its bind_resp; one
	// round trip on b makes sure it has, or it could take the receipt
	// kept below at once (2 runs in 300 at load 10) instead of after
	// RedeliverDelay.
	b.send(pdu.EnquireLinkID, nil)
	if p := b.read(); p.Command != pdu.EnquireLinkRespID {
		t.Fatalf("got %s", p.Command)
	}
	a.submit(true)
	id := a.read().Body.(*pdu.SubmitSMResp).MessageID
	clk.waitPending(t, 1)[0]() // the receipt goes out on a, which never answers
	if p := a.read(); p.Command != pdu.DeliverSMID {
		t.Fatalf("got %s", p.Command)
	}
	a.nc.Close()
	waitStat(t, srv, func(st smpptest.Stats) bool { return st.Open == 1 && st.ReceiptsKept == 1 })
	clk.waitPending(t, 2)[1]() // RedeliverDelay passes
	if got := b.receipts(1); !got[id] {
		t.Fatalf("b got receipts %v, want %q", got, id)
	}
	waitStat(t, srv, func(st smpptest.Stats) bool { return st.DeliverAcks == 1 && st.ReceiptsKept == 0 })
}

func waitStat(t *testing.T, srv *smpptest.Server, ok func(smpptest.Stats) bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(srv.Stats()); {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", srv.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

// query_sm knows at least the last MaxRecorded messages, and forgets older
// ones.
func TestQueryRemembersTheLastMessages(t *testing.T) {
	srv := start(t, smpptest.Config{MaxRecorded: 4})
	e := dial(t, srv)
	e.bind(pdu.BindTransmitterID, "relay", "")
	var ids []string
	for range 9 {
		seq := e.submit(false)
		p := e.read()
		if p.Command != pdu.SubmitSMRespID || p.Sequence != seq || p.Status != pdu.StatusOK {
			t.Fatalf("submit answered with %s seq %d status %v", p.Command, p.Sequence, p.Status)
		}
		ids = append(ids, p.Body.(*pdu.SubmitSMResp).MessageID)
	}
	query := func(id string) pdu.Status {
		seq := e.send(pdu.QuerySMID, &pdu.QuerySM{MessageID: id, Source: pdu.Address{Addr: "15884954"}})
		p := e.read()
		if p.Command != pdu.QuerySMRespID || p.Sequence != seq {
			t.Fatalf("query_sm answered with %s seq %d", p.Command, p.Sequence)
		}
		return p.Status
	}
	for i, id := range ids[len(ids)-4:] {
		if st := query(id); st != pdu.StatusOK {
			t.Errorf("query_sm of message %d of the last 4: %v", i+1, st)
		}
	}
	if st := query(ids[0]); st != pdu.StatusQueryFail {
		t.Errorf("query_sm of the first of 9 messages, 4 remembered: %v, want ESME_RQUERYFAIL", st)
	}
}

// TestSubmittedRecordsSubject: the SMSC reads an LMS subject from the TLV
// it is configured with, records it with the submit and counts it, so a
// test can assert that a subject reached the carrier.
func TestSubmittedRecordsSubject(t *testing.T) {
	srv := start(t, smpptest.Config{SubjectTag: 0x1500, Receipts: smpptest.ReceiptNone})
	e := dial(t, srv)
	e.bind(pdu.BindTransceiverID, "relay", "")
	for _, subject := range []string{"주문 안내", ""} {
		sm := &pdu.SubmitSM{Source: pdu.Address{Addr: "15884954"}, Dest: pdu.Address{Addr: "01012345678"}, DataCoding: 0x0E}
		if err := sm.TLVs.Add(pdu.TagMessagePayload, []byte("long text")); err != nil {
			t.Fatal(err)
		}
		if subject != "" {
			b, _ := coding.EUCKR.Encode(subject)
			if err := sm.TLVs.Add(0x1500, b); err != nil {
				t.Fatal(err)
			}
		}
		e.send(pdu.SubmitSMID, sm)
		e.read()
	}
	got := srv.Submitted()
	if len(got) != 2 {
		t.Fatalf("%d submits recorded", len(got))
	}
	if s, err := coding.EUCKR.Decode(got[0].Subject); err != nil || s != "주문 안내" {
		t.Fatalf("subject recorded %q (%v)", got[0].Subject, err)
	}
	if got[1].Subject != nil {
		t.Fatalf("a submit without a subject recorded %q", got[1].Subject)
	}
	if st := srv.Stats(); st.Subjects != 1 {
		t.Fatalf("subjects counted %d", st.Subjects)
	}
}

// TestSendReceiptForAnyID: a test can make the SMSC send a receipt for an
// id it never issued, or is about to issue.
func TestSendReceiptForAnyID(t *testing.T) {
	srv := start(t, smpptest.Config{})
	if srv.SendReceipt("relay", "1", true) {
		t.Fatal("a receipt went out with nobody bound")
	}
	e := dial(t, srv)
	e.bind(pdu.BindTransceiverID, "relay", "")
	if !srv.SendReceipt("relay", "1", false) {
		t.Fatal("receipt not sent")
	}
	d := e.read()
	dsm, ok := d.Body.(*pdu.DeliverSM)
	if !ok {
		t.Fatalf("got %s", d.Command)
	}
	r, err := receipt.Parse(string(dsm.ShortMessage), receipt.TLVs{}, nil)
	if err != nil || r.ID != "1" || r.Stat != receipt.StatUndeliverable {
		t.Fatalf("receipt %q: %+v %v", dsm.ShortMessage, r, err)
	}
	e.respond(d)
	if st := srv.Stats(); st.Receipts != 1 {
		t.Fatalf("receipts counted %d", st.Receipts)
	}
}

// A server closed with receipts pending hands them on: the next server
// restores them, delivers them on the next bind, and goes on numbering
// after the ids it handed out, as an SMSC that outlives a restart does.
func TestReceiptsKeptAcrossAClose(t *testing.T) {
	clk := &manualClock{now: time.Unix(1_800_000_000, 0)}
	srv := start(t, smpptest.Config{Clock: clk, ReceiptDelay: time.Hour})
	e := dial(t, srv)
	e.bind(pdu.BindTransceiverID, "relay", "")
	var ids []string
	for range 2 {
		e.submit(true)
		ids = append(ids, e.read().Body.(*pdu.SubmitSMResp).MessageID)
	}
	clk.waitPending(t, 2)
	kept, err := srv.CloseKeeping()
	if err != nil {
		t.Fatal(err)
	}
	if len(kept.Receipts) != 2 || kept.NextID != 3 || !kept.Receipts[0].Due.Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("kept %+v", kept)
	}

	clk.Add(2 * time.Hour) // both fall due while no server runs
	next := start(t, smpptest.Config{Clock: clk, ReceiptDelay: time.Hour, IDStart: kept.NextID})
	if err := next.Restore(kept.Receipts); err != nil {
		t.Fatal(err)
	}
	if st := next.Stats(); st.ReceiptsKept != 2 {
		t.Fatalf("restored receipts waiting for a bind: %+v", st)
	}
	again := dial(t, next)
	again.bind(pdu.BindTransceiverID, "relay", "")
	got := again.receipts(2)
	if !got[ids[0]] || !got[ids[1]] {
		t.Fatalf("receipts after the restart %v, want %v", got, ids)
	}
	again.submit(false)
	if id := again.read().Body.(*pdu.SubmitSMResp).MessageID; id == ids[0] || id == ids[1] {
		t.Fatalf("the next server handed out %s again", id)
	}
}
