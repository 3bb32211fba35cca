package faults

import (
	"context"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp/smpptest"
)

// TestDeadLinkDetected makes the carrier go silent (half-open: the socket
// stays open, nothing is answered, enquire_link included) with a submit
// in the window, and after an idle spell in which only enquire_link was
// exchanged. Pass: the relay closes the dead socket within enquire-link
// interval + response timeout + two keep-alive ticks (+ 150 ms, + three
// times the worst scheduling lag measured meanwhile: the two ticks and the
// close are each a wake-up the machine's load delays), every message is
// delivered exactly once, one socket per bind afterwards.
//
// This found a bug, since fixed in smpp: a submit that expired in the same
// keep-alive tick as the unanswered enquire_link was never finished, and
// its message stayed "sending".
func TestDeadLinkDetected(t *testing.T) {
	const el, rt = time.Second, 700 * time.Millisecond
	for _, idle := range []bool{false, true} {
		name := "half-open mid-window"
		if idle {
			name = "enquire_link unanswered after an idle spell"
		}
		t.Run(name, func(t *testing.T) {
			r := newCarrierRig(t, smpptest.Config{}, Setup{Binds: 1, ResponseTimeout: rt, EnquireLink: el}, 1)
			srv := r.c.Server()
			l := r.loader("dead", 0, 0)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if idle {
				// One message goes through, then the link idles through
				// at least one enquire_link.
				l.Messages = 1
				l.Run(ctx)
				waitFor(t, "an enquire_link on the idle link", 30*time.Second, func() bool { return srv.Stats().EnquireLinks > 0 })
			}
			before, els := srv.Stats(), srv.Stats().EnquireLinks
			// The next submit makes the socket half-open.
			srv.SetBehavior(smpptest.Behavior{HalfOpenAfter: 1})
			l.Messages++
			done := make(chan struct{})
			go func() { defer close(done); l.Run(ctx) }()
			waitFor(t, "the submit that freezes the link", 30*time.Second, func() bool { return srv.Stats().Submits > before.Submits })
			srv.SetBehavior(smpptest.Behavior{}) // the next socket behaves
			t0 := time.Now()
			lag := NewLagMeter()
			// Only hit if the relay never notices: the timing check is below.
			found := waitFor(t, "the relay closing the dead socket", 30*time.Second, func() bool {
				now, _ := srv.OpenSockets("relay")
				return now == 0
			})
			worst := lag.Stop()
			waitFor(t, "a new bind", 30*time.Second, func() bool { return srv.Stats().Binds > before.Binds })
			rebound := time.Since(t0)
			<-done
			t.Logf("dead link closed after %v, rebound after %v (enquire_link %v + response timeout %v, scheduling lag up to %v); enquire_links before %d",
				found.Round(time.Millisecond), rebound.Round(time.Millisecond), el, rt, worst.Round(time.Millisecond), els)
			// The keep-alive looks every min(el, rt)/4: once to see the
			// idle link, once to see the probe expired.
			if limit := el + rt + 2*(rt/4) + 150*time.Millisecond + 3*worst; found > limit {
				t.Errorf("dead link noticed after %v > enquire_link %v + response timeout %v (+ two keep-alive ticks, 150ms, 3 × lag %v)", found, el, rt, worst)
			}
			v := r.run(l, 30*time.Second, nil)
			if v.Delivered != l.Messages { // handset copies: run's rule
				t.Errorf("%v", v)
			}
		})
	}
}
