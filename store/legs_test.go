package store

import (
	"context"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// TestLegsKeepTheFallenBackKakaoLeg: an AlimTalk that Kakao cannot deliver
// (3018) falls back to SMS; the Kakao leg's result and times stay in the
// legs table while the record goes on with the SMS leg.
func TestLegsKeepTheFallenBackKakaoLeg(t *testing.T) {
	c := newClock()
	s := openTest(t, nil, c)
	defer s.Close()
	ctx := context.Background()
	m := sms("c1", "r1")
	m.Product, m.Kakao.SenderKey, m.Kakao.TemplateCode = message.ProductAlimTalk, "sk", "T1"
	id := mustAccept(t, s, m)
	kakaoSent := c.Now()
	if err := s.MarkQueued(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSending(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Transition(ctx, id, message.StateKakaoSent, nil); err != nil {
		t.Fatal(err)
	}
	kakao := message.Result{Source: message.SourceKakao, Code: "3018", Reason: "cannot receive"}
	c.Add(3e9)
	fellBack := c.Now()
	err := s.Advance(ctx, id, message.StateKakaoSent, []message.State{message.StateQueued}, func(r *message.Message) {
		r.Leg++
		r.Billed = message.ProductSMS
		r.Result = kakao
		r.Carrier, r.CarrierMsgID, r.SentAt = "", "", time.Time{}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(id); got.Result != (message.Result{}) || got.Leg != 1 {
		t.Fatalf("the SMS leg starts with %+v, leg %d", got.Result, got.Leg)
	}
	c.Add(1e9)
	if err := s.MarkSending(ctx, id, "skt"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordSubmitResp(ctx, id, "skt", "M1", c.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyReceipt(ctx, Receipt{Carrier: "skt", CarrierMsgID: "M1", Delivered: true, Final: true,
		Result: message.Result{Source: message.SourceReceipt, Code: "DELIVRD"}}); err != nil {
		t.Fatal(err)
	}
	legs, err := s.Legs(id)
	if err != nil || len(legs) != 1 {
		t.Fatalf("legs %+v, %v", legs, err)
	}
	l := legs[0]
	if l.N != 0 || l.Product != message.ProductAlimTalk || l.Result != kakao || !l.SentAt.Equal(kakaoSent) || !l.EndedAt.Equal(fellBack) || l.Attempts != 1 {
		t.Fatalf("Kakao leg %+v", l)
	}
	got, _ := s.Get(id)
	if got.State != message.StateDelivered || got.Billed != message.ProductSMS || got.Result.Code != "DELIVRD" {
		t.Fatalf("record after the SMS leg: %+v", got)
	}
	if legs, _ := s.Legs(id + 1); len(legs) != 0 {
		t.Fatalf("another id's legs: %+v", legs)
	}
	mustVerify(t, s)
}

func FuzzDecodeLeg(f *testing.F) {
	f.Add(encodeLeg(&Leg{N: 0, Product: message.ProductAlimTalk, Result: message.Result{Source: message.SourceKakao, Code: "3018"}}))
	f.Add([]byte{1, 0, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := decodeLeg(b)
		if err != nil {
			return
		}
		back, err := decodeLeg(encodeLeg(&l))
		if err != nil || back.N != l.N || back.Result != l.Result || !back.SentAt.Equal(l.SentAt) || !back.EndedAt.Equal(l.EndedAt) {
			t.Fatalf("round trip %+v → %+v, %v", l, back, err)
		}
	})
}
