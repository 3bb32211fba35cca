package smppserver

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
)

func sms(from, to string) *pdu.SubmitSM {
	return &pdu.SubmitSM{Source: pdu.Address{TON: 0, NPI: 1, Addr: from}, Dest: pdu.Address{TON: 0, NPI: 1, Addr: to},
		ShortMessage: []byte("hello")}
}

// TestSubmitRefusals: each rule of the door and of SMPP answers with its
// own command_status, and nothing refused is stored.
func TestSubmitRefusals(t *testing.T) {
	h := newHarness(t, Config{})
	s := h.esme("demo", "demopass", smpp.BindTransceiver, nil)
	abs := func(d time.Duration) string { // an absolute SMPP time, UTC
		return time.Now().UTC().Add(d).Format("060102150405") + "000+"
	}
	for _, tc := range []struct {
		name string
		edit func(*pdu.SubmitSM)
		want pdu.Status
	}{
		{"unregistered sender", func(sm *pdu.SubmitSM) { sm.Source.Addr = "0299990000" }, pdu.StatusInvSrcAdr},
		{"alphanumeric sender", func(sm *pdu.SubmitSM) { sm.Source = pdu.Address{TON: 5, Addr: "SHOP"} }, pdu.StatusInvSrcTON},
		{"foreign sender", func(sm *pdu.SubmitSM) { sm.Source = pdu.Address{TON: 1, Addr: "12125550100"} }, pdu.StatusInvSrcAdr},
		{"foreign recipient", func(sm *pdu.SubmitSM) { sm.Dest = pdu.Address{TON: 1, Addr: "447700900000"} }, pdu.StatusInvDstAdr},
		{"abbreviated recipient", func(sm *pdu.SubmitSM) { sm.Dest.TON = 6 }, pdu.StatusInvDstTON},
		{"not a mobile", func(sm *pdu.SubmitSM) { sm.Dest.Addr = "0212345678" }, pdu.StatusInvDstAdr},
		{"empty text", func(sm *pdu.SubmitSM) { sm.ShortMessage = nil }, pdu.StatusInvMsgLen},
		{"over the LMS limit", func(sm *pdu.SubmitSM) {
			sm.ShortMessage = nil
			_ = sm.TLVs.SetMessagePayload([]byte(strings.Repeat("a", 2001)))
		}, pdu.StatusInvMsgLen},
		{"odd UCS2", func(sm *pdu.SubmitSM) { sm.DataCoding, sm.ShortMessage = 0x08, []byte{0xAC} }, pdu.StatusInvMsgLen},
		{"binary", func(sm *pdu.SubmitSM) { sm.DataCoding = 0x04 }, pdu.StatusSubmitFail},
		{"schedule beyond 48 h", func(sm *pdu.SubmitSM) { sm.ScheduleDeliveryTime = abs(49 * time.Hour) }, pdu.StatusInvSched},
		{"relative schedule beyond 48 h", func(sm *pdu.SubmitSM) { sm.ScheduleDeliveryTime = "000003000000000R" }, pdu.StatusInvSched},
		{"validity beyond 48 h", func(sm *pdu.SubmitSM) { sm.ValidityPeriod = "000002010000000R" }, pdu.StatusInvExpiry},
		{"validity past", func(sm *pdu.SubmitSM) { sm.ValidityPeriod = abs(-time.Hour) }, pdu.StatusInvExpiry},
		{"bad time", func(sm *pdu.SubmitSM) { sm.ValidityPeriod = "26130100000000+" + "0" }, pdu.StatusInvExpiry},
		{"schedule past its own validity", func(sm *pdu.SubmitSM) {
			sm.ScheduleDeliveryTime, sm.ValidityPeriod = "000000020000000R", "000000010000000R"
		}, pdu.StatusInvSched},
		{"schedule too close to its deadline", func(sm *pdu.SubmitSM) { sm.ScheduleDeliveryTime = abs(48*time.Hour - 30*time.Second) }, pdu.StatusInvSched},
		{"receipt type", func(sm *pdu.SubmitSM) { sm.ESMClass = 0x04 }, pdu.StatusInvEsmClass},
		{"broken UDH", func(sm *pdu.SubmitSM) { sm.ESMClass, sm.ShortMessage = 0x40, []byte{9, 0, 3} }, pdu.StatusInvEsmClass},
	} {
		sm := sms("0212345678", "01012345678")
		tc.edit(sm)
		if id, st := submit(t, s, sm); st != tc.want {
			t.Errorf("%s: %v (id %q), want %v", tc.name, st, id, tc.want)
		}
	}
	if n := len(h.accepted); n != 0 {
		t.Fatalf("%d refused messages were accepted", n)
	}
	// Inside the window, they are taken.
	for _, edit := range []func(*pdu.SubmitSM){
		func(sm *pdu.SubmitSM) { sm.ScheduleDeliveryTime = abs(47 * time.Hour) },
		func(sm *pdu.SubmitSM) { sm.ValidityPeriod = "000001000000000R" },
		func(sm *pdu.SubmitSM) { sm.Dest = pdu.Address{TON: 1, Addr: "+821012345678"} },
		func(sm *pdu.SubmitSM) { sm.Source = pdu.Address{TON: 2, Addr: "02-1234-5678"} },
		func(sm *pdu.SubmitSM) { // KS C 5601, 82 EUC-KR bytes: an LMS
			sm.DataCoding, sm.ShortMessage = 0x0E, append([]byte("ab"), []byte(strings.Repeat("\xb0\xa1", 40))...)
		},
	} {
		sm := sms("0212345678", "01012345678")
		edit(sm)
		if _, st := submit(t, s, sm); st != pdu.StatusOK {
			t.Errorf("%+v: %v", sm, st)
		}
	}
	// The scheduled one waits in the store for its time; the other four go
	// to dispatch at once.
	if n := h.st.Scheduled(); n != 1 {
		t.Errorf("%d messages scheduled in the store, want 1", n)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.accepted) != 4 || h.accepted[3].Product.String() != "lms" || h.accepted[1].Recipient != "01012345678" {
		t.Fatalf("accepted %+v", h.accepted)
	}
}

// TestThrottled: over the customer's rate the answer is ESME_RTHROTTLED.
func TestThrottled(t *testing.T) {
	h := newHarness(t, Config{})
	s := h.esme("slow", "slowpass", smpp.BindTransmitter, nil)
	if _, st := submit(t, s, sms("0299998888", "01012345678")); st != pdu.StatusOK {
		t.Fatal(st)
	}
	// The client pauses after a throttle; one refusal is enough.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := s.Submit(ctx, sms("0299998888", "01012345678"))
	var st pdu.Status
	if !errors.As(err, &st) || st != pdu.StatusThrottled {
		t.Fatalf("second submit: %v, want ESME_RTHROTTLED", err)
	}
}

// rawBind binds over a plain socket and returns the bind response status.
func rawBind(t *testing.T, addr string, kind pdu.CommandID, systemID, password string) (net.Conn, pdu.Status) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return nc, bindOn(t, nc, kind, systemID, password)
}

// bindOn sends one bind on nc, which it closes when the test ends, and
// returns the answer's status.
func bindOn(t *testing.T, nc net.Conn, kind pdu.CommandID, systemID, password string) pdu.Status {
	t.Helper()
	t.Cleanup(func() { nc.Close() })
	b, err := (&pdu.PDU{Header: pdu.Header{Command: kind, Sequence: 1},
		Body: &pdu.Bind{Kind: kind, SystemID: systemID, Password: password, InterfaceVersion: 0x34}}).AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	p, err := pdu.NewReader(nc, 0).Read()
	if err != nil {
		t.Fatal(err)
	}
	if p.Command != kind.Response() || p.Sequence != 1 {
		t.Fatalf("answer %v", p.Header)
	}
	return p.Status
}

// TestBindRefusals: wrong password, unknown system_id, a network the
// customer does not allow, the bind cap; submits on a receiver bind.
func TestBindRefusals(t *testing.T) {
	h := newHarness(t, Config{})
	for _, tc := range []struct {
		id, pw string
		want   pdu.Status
	}{
		{"demo", "wrong", pdu.StatusInvPaswd},
		{"nobody", "demopass", pdu.StatusInvPaswd},
		{"demo", "", pdu.StatusInvPaswd},
		{"lan", "lanpass", pdu.StatusBindFail}, // only from 10.0.0.0/8
		{"loop", "looppass", pdu.StatusOK},     // 127.0.0.1/32 is one of its networks
		{"demo", "demopass", pdu.StatusOK},
		{"demo", "demopass", pdu.StatusOK},
		{"demo", "demopass", pdu.StatusOK},
		{"demo", "demopass", pdu.StatusBindFail}, // smpp_binds = 3
	} {
		if _, st := rawBind(t, h.addr, pdu.BindTransceiverID, tc.id, tc.pw); st != tc.want {
			t.Errorf("bind %s/%s: %v, want %v", tc.id, tc.pw, st, tc.want)
		}
	}
}

func TestSubmitOnReceiverBind(t *testing.T) {
	h := newHarness(t, Config{})
	nc, st := rawBind(t, h.addr, pdu.BindReceiverID, "slow", "slowpass")
	if st != pdu.StatusOK {
		t.Fatal(st)
	}
	b, _ := (&pdu.PDU{Header: pdu.Header{Command: pdu.SubmitSMID, Sequence: 2}, Body: sms("0299998888", "01012345678")}).AppendTo(nil)
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	p, err := pdu.NewReader(nc, 0).Read()
	if err != nil || p.Command != pdu.SubmitSMRespID || p.Status != pdu.StatusInvBnd {
		t.Fatalf("submit on a receiver: %v %v", p, err)
	}
}

// TestEnquireLinkAndUnbind: the server answers enquire_link, probes an
// idle ESME itself, and answers unbind before it closes.
func TestEnquireLinkAndUnbind(t *testing.T) {
	h := newHarness(t, Config{EnquireLink: 50 * time.Millisecond})
	nc, st := rawBind(t, h.addr, pdu.BindTransceiverID, "slow", "slowpass")
	if st != pdu.StatusOK {
		t.Fatal(st)
	}
	rd := pdu.NewReader(nc, 0)
	write := func(p *pdu.PDU) {
		b, _ := p.AppendTo(nil)
		if _, err := nc.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	write(&pdu.PDU{Header: pdu.Header{Command: pdu.EnquireLinkID, Sequence: 7}})
	sawResp, sawProbe := false, false
	for !sawResp || !sawProbe {
		p, err := rd.Read()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case p.Command == pdu.EnquireLinkRespID && p.Sequence == 7:
			sawResp = true
		case p.Command == pdu.EnquireLinkID:
			sawProbe = true
			write(&pdu.PDU{Header: pdu.Header{Command: pdu.EnquireLinkRespID, Sequence: p.Sequence}})
		}
	}
	write(&pdu.PDU{Header: pdu.Header{Command: pdu.UnbindID, Sequence: 8}})
	for {
		p, err := rd.Read()
		if err != nil {
			t.Fatalf("no unbind_resp: %v", err)
		}
		if p.Command == pdu.UnbindRespID && p.Sequence == 8 {
			break
		}
	}
	if _, err := rd.Read(); err == nil {
		t.Fatal("the socket stayed open after unbind")
	}
}

// TestBindThrottled: past the shared throttle's burst of wrong passwords
// for a system_id from one source, even the right one is refused before
// it is checked. The throttle's clock stands still: on real time, six
// binds that took over a second on a busy machine (each wrong password is
// hashed) let the bucket refill, and the right password got through.
func TestBindThrottled(t *testing.T) {
	at := time.Now()
	h := newHarness(t, Config{Auth: authguard.Config{Now: func() time.Time { return at }}})
	for range 5 { // authguard's default FailBurst
		if _, st := rawBind(t, h.addr, pdu.BindTransmitterID, "slow", "guess"); st != pdu.StatusInvPaswd {
			t.Fatalf("wrong password: %v", st)
		}
	}
	if _, st := rawBind(t, h.addr, pdu.BindTransmitterID, "slow", "slowpass"); st != pdu.StatusBindFail {
		t.Fatalf("right password after the burst: %v, want ESME_RBINDFAIL", st)
	}
	if _, st := rawBind(t, h.addr, pdu.BindTransmitterID, "demo", "demopass"); st != pdu.StatusOK {
		t.Fatalf("another customer from the same source: %v", st)
	}
}

// TestServiceTypeChoosesProduct: service_type "SMS" and "LMS" choose the
// product and hold the message to its limits; an LMS takes its subject
// from TagSubject in the submit's data_coding; empty and "CMT" are auto;
// any other service_type is refused.
func TestServiceTypeChoosesProduct(t *testing.T) {
	h := newHarness(t, Config{})
	s := h.esme("demo", "demopass", smpp.BindTransceiver, nil)
	long := strings.Repeat("a", 81)
	subject, _ := coding.UCS2.Encode("주문 안내")
	for _, tc := range []struct {
		name, serviceType, text string
		subject                 []byte
		dc                      uint8
		want                    pdu.Status
	}{
		{"unknown service", "WAP", "hello", nil, 0, pdu.StatusInvSerTyp},
		{"SMS over its limit", "SMS", long, nil, 0, pdu.StatusInvMsgLen},
		{"LMS without a subject", "LMS", "hello", nil, 0, pdu.StatusMissingOptParam},
		{"subject not text in its coding", "LMS", "hello", []byte{0xAC}, 0x08, pdu.StatusInvOptParamVal},
	} {
		sm := sms("0212345678", "01012345678")
		sm.ServiceType, sm.ShortMessage = tc.serviceType, []byte(tc.text)
		if tc.dc == 0x08 {
			sm.DataCoding, sm.ShortMessage = 0x08, []byte{0, 'h', 0, 'i'}
		}
		if tc.subject != nil {
			_ = sm.TLVs.Set(TagSubject, tc.subject)
		}
		if id, st := submit(t, s, sm); st != tc.want {
			t.Errorf("%s: %v (id %q), want %v", tc.name, st, id, tc.want)
		}
	}
	for _, tc := range []struct {
		serviceType, text string
		want              string
	}{
		{"", "short", "sms"},
		{"CMT", long, "lms"},
		{"SMS", "short", "sms"},
		{"lms", "short", "lms"},
	} {
		sm := sms("0212345678", "01012345678")
		sm.ServiceType, sm.ShortMessage = tc.serviceType, []byte(tc.text)
		sm.DataCoding = 0x08
		sm.ShortMessage, _ = coding.UCS2.Encode(tc.text)
		_ = sm.TLVs.Set(TagSubject, subject)
		if _, st := submit(t, s, sm); st != pdu.StatusOK {
			t.Errorf("service_type %q: %v", tc.serviceType, st)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.accepted) != 4 {
		t.Fatalf("accepted %d, want 4", len(h.accepted))
	}
	for i, want := range []string{"sms", "lms", "sms", "lms"} {
		m := h.accepted[i]
		if m.Product.String() != want || (want == "lms" && m.Subject != "주문 안내") {
			t.Errorf("accepted %d: %s with subject %q, want %s", i, m.Product, m.Subject, want)
		}
	}
}
