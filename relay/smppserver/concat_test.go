package smppserver

import (
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
)

// submitParts sends the parts at once (each part's answer waits for the
// whole message) and returns their ids and statuses in order.
func submitParts(t *testing.T, s *smpp.Session, parts []*pdu.SubmitSM) ([]string, []pdu.Status) {
	ids := make([]string, len(parts))
	sts := make([]pdu.Status, len(parts))
	var wg sync.WaitGroup
	for i, sm := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], sts[i] = submit(t, s, sm)
		}()
	}
	wg.Wait()
	return ids, sts
}

func splitParts(t *testing.T, text string, m coding.Method, ref uint16) []*pdu.SubmitSM {
	ps, err := coding.Split(text, coding.UCS2, coding.DefaultLimits(coding.UCS2, m), m, ref)
	if err != nil {
		t.Fatal(err)
	}
	var out []*pdu.SubmitSM
	for _, p := range ps {
		sm := sms("0212345678", "01012345678")
		sm.DataCoding, sm.ShortMessage = 0x08, p.ShortMessage(nil)
		if m == coding.UDH8 || m == coding.UDH16 {
			sm.ESMClass = 0x40
		} else {
			sm.TLVs.SetSarMsgRefNum(p.Ref)
			sm.TLVs.SetSarTotalSegments(p.Total)
			sm.TLVs.SetSarSegmentSeqnum(p.Seq)
		}
		out = append(out, sm)
	}
	return out
}

// TestConcatenated: a 3-part UCS2 message, by UDH and by SAR, is stored
// once as one LMS (product auto), and every part is answered with its id.
func TestConcatenated(t *testing.T) {
	h := newHarness(t, Config{})
	s := h.esme("demo", "demopass", smpp.BindTransceiver, nil)
	text := ""
	for len([]rune(text)) < 150 {
		text += "결제가 완료되었습니다. "
	}
	for i, m := range []coding.Method{coding.UDH8, coding.UDH16, coding.SAR} {
		parts := splitParts(t, text, m, uint16(40+i))
		if len(parts) != 3 {
			t.Fatalf("%v: %d parts", m, len(parts))
		}
		ids, sts := submitParts(t, s, parts)
		for j := range parts {
			if sts[j] != pdu.StatusOK || ids[j] != ids[0] {
				t.Fatalf("%v part %d: %v %q (first %q)", m, j, sts[j], ids[j], ids[0])
			}
		}
		id, _ := message.ParseID(ids[0])
		got, err := h.st.Get(id)
		if err != nil || got.Text != text || got.Product != message.ProductLMS {
			t.Fatalf("%v: stored %+v %v", m, got, err)
		}
	}
	if len(h.accepted) != 3 {
		t.Fatalf("%d messages accepted, want 3", len(h.accepted))
	}
}

// TestPartsBounded: parts waiting are bounded per customer, and parts
// whose siblings never come are refused after the timeout.
func TestPartsBounded(t *testing.T) {
	h := newHarness(t, Config{MaxParts: 2, PartsTimeout: 200 * time.Millisecond})
	s := h.esme("demo", "demopass", smpp.BindTransceiver, nil)
	var parts []*pdu.SubmitSM
	for ref := range 3 { // three messages, each missing its second part
		parts = append(parts, splitParts(t, longText(), coding.UDH8, uint16(ref))[0])
	}
	start := time.Now()
	_, sts := submitParts(t, s, parts)
	full, expired := 0, 0
	for _, st := range sts {
		switch st {
		case pdu.StatusMsgQFul:
			full++
		case pdu.StatusSubmitFail:
			expired++
		default:
			t.Errorf("part answered %v", st)
		}
	}
	if full != 1 || expired != 2 || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("%d refused as full, %d expired after %v", full, expired, time.Since(start))
	}
	if h.srv.parts.waiting() != 0 || len(h.accepted) != 0 {
		t.Fatalf("%d parts still waiting, %d accepted", h.srv.parts.waiting(), len(h.accepted))
	}
}

func longText() string {
	s := ""
	for len([]rune(s)) < 100 {
		s += "가나다라마바사 "
	}
	return s
}
