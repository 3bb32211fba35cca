package relay

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/httpapi"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/relay/webhook/webhooktest"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
)

// bindESME binds an ESME to the daemon's SMPP server, as shop unless cfg
// names another system_id, a transceiver unless cfg.Mode says otherwise,
// and closes it when the test ends.
func (h *harness) bindESME(cfg smpp.Config) *smpp.Session {
	h.t.Helper()
	cfg.Addr = h.d.SMPPAddr()
	if cfg.SystemID == "" {
		cfg.SystemID, cfg.Password = "shop", "shoppass"
	}
	s, err := smpp.Dial(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { s.Close(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitBound(ctx); err != nil {
		h.t.Fatal(err)
	}
	return s
}

// submitSM sends one SMS over the ESME with the given SMPP times and
// returns its message id, failing the test on any refusal.
func (h *harness) submitSM(s *smpp.Session, text, schedule, validity string) message.ID {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := s.Submit(ctx, &pdu.SubmitSM{Source: pdu.Address{Addr: "0212345678"}, Dest: pdu.Address{Addr: "01098765432"},
		ShortMessage: []byte(text), ScheduleDeliveryTime: schedule, ValidityPeriod: validity, RegisteredDelivery: 1})
	if err != nil {
		h.t.Fatalf("submit_sm (schedule %q, validity %q): %v", schedule, validity, err)
	}
	id, err := message.ParseID(resp.MessageID)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// TestSMPPValidityShorterThanRelays: an ESME asks for a validity of one
// hour (relative form) while no carrier is up. Pass: the message is not
// expired before acceptance + 1 h and is expired at it, long before the
// relay's own 47 h; the deadline is kept in the store.
func TestSMPPValidityShorterThanRelays(t *testing.T) {
	h := newHarness(t, withSMPPServer, func(s *setup) {
		s.noBindWait = true
		for i := range s.cfg.Carriers {
			s.cfg.Carriers[i].Password = "wrong"
		}
	})
	e := h.bindESME(smpp.Config{})
	accepted := h.now.Now()
	id := h.submitSM(e, "valid for an hour", "", "000000010000000R")
	m, err := h.d.Store().Get(id)
	if err != nil || !m.Deadline.Equal(accepted.Add(time.Hour)) {
		t.Fatalf("stored deadline %v (%v), want acceptance + 1h", m.Deadline, err)
	}
	h.now.Advance(time.Hour - h.cfg.Dispatch.ExpiryScan - time.Second)
	if n := h.d.ExpireNow(context.Background()); n != 0 {
		t.Fatalf("expired %d before its deadline", n)
	}
	h.now.Advance(time.Second)
	if n := h.d.ExpireNow(context.Background()); n != 1 {
		t.Fatalf("expired %d one scan before its deadline, want 1", n)
	}
	m, err = h.d.Store().Get(id)
	if err != nil || m.State != message.StateExpired || m.FinalAt.After(accepted.Add(time.Hour)) {
		t.Fatalf("after its deadline: %+v %v", m, err)
	}
}

// TestSMPPScheduleHeldAcrossRestart: an ESME schedules an SMS an hour
// ahead (absolute form, in Korean time). Pass: it is not sent while later
// messages are, not after a restart either, and is sent and delivered once
// the hour has passed, within its deadline.
func TestSMPPScheduleHeldAcrossRestart(t *testing.T) {
	h := newHarness(t, withSMPPServer)
	e := h.bindESME(smpp.Config{})
	at := h.now.Now().Add(time.Hour).In(time.FixedZone("KST", 9*3600))
	schedule := at.Format("060102150405") + "036+" // tenths 0, 36 quarter hours = +09:00
	sched := h.submitSM(e, "in an hour", schedule, "")
	if m, _ := h.d.Store().Get(sched); !m.NotBefore.Equal(at.Truncate(time.Second)) {
		t.Fatalf("stored not-before %v, want %v", m.NotBefore, at)
	}
	u := h.connect("shop")
	// A message submitted after it goes out at once: once it is
	// delivered, the scheduled one has had every chance to be sent.
	notSentYet := func(ref string) {
		t.Helper()
		r := h.submit(u, sms(ref, "at once"))
		if rep := h.waitReport(u, r.MessageId); rep.State != upstreampb.FinalState_DELIVERED {
			t.Fatalf("report %+v", rep)
		}
		m, err := h.d.Store().Get(sched)
		if err != nil || m.State != message.StateAccepted || m.Attempts != 0 {
			t.Fatalf("the scheduled message before its time: %+v %v", m, err)
		}
		for _, s := range h.carrierSubmits() {
			if string(s.SM.ShortMessage) == "in an hour" {
				t.Fatal("the scheduled message reached a carrier before its time")
			}
		}
	}
	notSentYet("before-restart")
	h.now.Advance(30 * time.Minute)
	h.restart()
	if n := h.d.Store().Scheduled(); n != 1 {
		t.Fatalf("after the restart the store holds %d scheduled messages, want 1", n)
	}
	u = h.connect("shop")
	notSentYet("after-restart")
	h.now.Advance(30 * time.Minute)
	h.waitFor("the scheduled message delivered", func() bool {
		m, err := h.d.Store().Get(sched)
		return err == nil && m.State == message.StateDelivered
	})
	m, _ := h.d.Store().Get(sched)
	if m.SentAt.Before(at) || m.FinalAt.After(h.d.Store().Deadline(m)) {
		t.Fatalf("sent %v (scheduled %v), final %v, deadline %v", m.SentAt, at, m.FinalAt, h.d.Store().Deadline(m))
	}
}

// TestScheduleAndValidityOnEveryDoor: the upstream protocol (send_at_ms,
// expires_at_ms) and the HTTP API (send_at, expires_at) take the same
// times as SMPP: kept with the message, and a schedule later than a
// minute before the deadline refused naming the field.
func TestScheduleAndValidityOnEveryDoor(t *testing.T) {
	recv := webhooktest.NewServer(shopWHSecret)
	defer recv.Close()
	h := newHarness(t, withHTTPAndWebhook(recv))
	now := h.now.Now()
	sendAt, expires := now.Add(time.Hour), now.Add(2*time.Hour)

	u := h.connect("shop")
	s := sms("up-sched", "scheduled upstream")
	s.SendAtMs, s.ExpiresAtMs = sendAt.UnixMilli(), expires.UnixMilli()
	r := h.submit(u, s)
	if r.Status != upstreampb.Status_OK {
		t.Fatalf("upstream: %v %s", r.Status, r.Reason)
	}
	m, err := h.d.Store().Get(mustID(t, r.MessageId))
	if err != nil || !m.NotBefore.Equal(sendAt.Truncate(time.Millisecond)) || !m.Deadline.Equal(expires.Truncate(time.Millisecond)) {
		t.Fatalf("upstream message stored %v / %v (%v), want %v / %v", m.NotBefore, m.Deadline, err, sendAt, expires)
	}
	late := sms("up-late", "scheduled past its validity")
	late.SendAtMs, late.ExpiresAtMs = expires.UnixMilli(), sendAt.UnixMilli()
	if r := h.submit(u, late); r.Status != upstreampb.Status_INVALID_REQUEST || r.Field != "schedule" {
		t.Fatalf("upstream schedule past its validity: %v field %q", r.Status, r.Field)
	}

	ok := httpSMS("http-sched")
	ok.SendAt, ok.ExpiresAt = &sendAt, &expires
	past := httpSMS("http-past")
	gone := now.Add(-time.Minute)
	past.ExpiresAt = &gone
	out := h.postMessages(map[string]any{"messages": []httpapi.MessageRequest{ok, past}})
	if len(out.Results) != 2 || out.Results[0].MessageID == "" || out.Results[1].Error == nil || out.Results[1].Error.Field != "validity" {
		t.Fatalf("HTTP answers %+v", out.Results)
	}
	m, err = h.d.Store().Get(mustID(t, out.Results[0].MessageID))
	if err != nil || !m.NotBefore.Equal(sendAt) || !m.Deadline.Equal(expires) {
		t.Fatalf("HTTP message stored %v / %v (%v), want %v / %v", m.NotBefore, m.Deadline, err, sendAt, expires)
	}
	req, _ := http.NewRequest("GET", "http://"+h.d.HTTPAddr()+"/v1/messages/"+out.Results[0].MessageID, nil)
	req.Header.Set("Authorization", "Bearer "+shopAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v httpapi.MessageView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.SendAt == nil || !v.SendAt.Equal(sendAt) ||
		v.Deadline == nil || !v.Deadline.Equal(expires) {
		t.Fatalf("GET shows send_at %v, deadline %v (%v)", v.SendAt, v.Deadline, err)
	}
}
