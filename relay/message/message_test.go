package message

import (
	"errors"
	"testing"
	"time"
)

func TestTransitions(t *testing.T) {
	ok := [][2]State{
		{StateAccepted, StateQueued},
		{StateQueued, StateSending},
		{StateSending, StateSent},
		{StateSent, StateDelivered},
		{StateSent, StateExpired},
		{StateQueued, StateKakaoSending},
		{StateKakaoSending, StateKakaoSent},
		{StateKakaoSent, StateQueued}, // fallback leg
		{StateSending, StateQueued},   // retryable
	}
	for _, c := range ok {
		if err := CheckTransition(c[0], c[1]); err != nil {
			t.Errorf("%s → %s: %v", c[0], c[1], err)
		}
	}
	bad := [][2]State{
		{StateDelivered, StateFailed},
		{StateFailed, StateDelivered},
		{StateExpired, StateDelivered},
		{StateAccepted, StateSent},
		{StateSent, StateQueued},
		{StateUnknown, StateQueued},
		{State(200), StateQueued},
	}
	for _, c := range bad {
		if err := CheckTransition(c[0], c[1]); !errors.Is(err, ErrIllegalTransition) {
			t.Errorf("%s → %s: got %v, want illegal", c[0], c[1], err)
		}
	}
	// No final state leads anywhere.
	for s := State(0); s < 12; s++ {
		if !s.Final() {
			continue
		}
		for to := State(0); to < 12; to++ {
			if CheckTransition(s, to) == nil {
				t.Errorf("final %s → %s allowed", s, to)
			}
		}
	}
}

func TestIDOrderAndForm(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	g := IDGen{Now: func() time.Time { return now }}
	a := g.Next()
	b := g.Next()
	now = now.Add(-time.Hour) // clock steps back
	c := g.Next()
	if !(a < b && b < c) {
		t.Fatalf("ids not increasing: %v %v %v", a, b, c)
	}
	if got := a.Time(); !got.Equal(now.Add(time.Hour)) {
		t.Fatalf("Time() = %v", got)
	}
	p, err := ParseID(a.String())
	if err != nil || p != a {
		t.Fatalf("ParseID(%q) = %v, %v", a.String(), p, err)
	}
	if _, err := ParseID("xyz"); !errors.Is(err, ErrBadID) {
		t.Fatalf("ParseID(xyz) err = %v", err)
	}
	g.Observe(c + 100)
	if d := g.Next(); d <= c+100 {
		t.Fatalf("Observe ignored: %v", d)
	}
}

func TestNamesRoundTrip(t *testing.T) {
	for _, p := range append(Products, ProductAuto) {
		q, err := ParseProduct(p.String())
		if err != nil || q != p {
			t.Errorf("product %v: %v %v", p, q, err)
		}
	}
	for s := StateAccepted; s <= StateExpired; s++ {
		q, err := ParseState(s.String())
		if err != nil || q != s {
			t.Errorf("state %v: %v %v", s, q, err)
		}
	}
	for f := FallbackNone; f <= FallbackAuto; f++ {
		q, err := ParseFallback(f.String())
		if err != nil || q != f {
			t.Errorf("fallback %v: %v %v", f, q, err)
		}
	}
}

// TestDeadlineOf: the submitter's own validity shortens the deadline,
// never lengthens it; none leaves acceptance + validity.
func TestDeadlineOf(t *testing.T) {
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	limit := at.Add(47 * time.Hour)
	for _, c := range []struct{ own, want time.Time }{
		{time.Time{}, limit},
		{at.Add(time.Hour), at.Add(time.Hour)},
		{limit, limit},
		{at.Add(ResultWindow), limit},
	} {
		if got := DeadlineOf(at, 47*time.Hour, c.own); !got.Equal(c.want) {
			t.Fatalf("own %v: %v, want %v", c.own, got, c.want)
		}
	}
}

// TestReportDoor: an SMPP message's report goes back by SMPP; the
// upstream protocol's and the HTTP API's by the upstream protocol.
func TestReportDoor(t *testing.T) {
	for in, want := range map[Ingress]Ingress{
		IngressUpstream: IngressUpstream, IngressSMPP: IngressSMPP, IngressHTTP: IngressUpstream,
	} {
		if got := in.ReportDoor(); got != want {
			t.Errorf("%v.ReportDoor() = %v, want %v", in, got, want)
		}
	}
}
