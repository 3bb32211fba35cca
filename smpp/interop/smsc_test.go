package interop

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/smpptest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNodeESMEAgainstSimulatedSMSC runs node-smpp's client against our
// simulated SMSC: it binds, submits, and must get responses and receipts
// it can parse.
func TestNodeESMEAgainstSimulatedSMSC(t *testing.T) {
	srv, err := smpptest.NewServer(smpptest.Config{
		Users:        map[string]string{"nodeesme": "pw"},
		IDBase:       10,
		IDWidth:      10,
		ReceiptDelay: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const n = 12
	esme := startNode(t, 2*time.Minute, "esme.js", strings.TrimPrefix(srv.Addr(), "127.0.0.1:"), "nodeesme", "pw", strconv.Itoa(n))
	var sum struct {
		Bound, Unbound bool
		Submitted      int
		Responses      int
		Matched        int
		Errors, IDs    []string
		Receipts       []struct {
			ID, Stat string
			TLVID    string `json:"tlv_id"`
			TLVState *int   `json:"tlv_state"`
		}
	}
	if !esme.next(t, 30*time.Second, &sum) {
		t.Fatal("esme.js printed no summary")
	}
	if !sum.Bound || sum.Submitted != n || sum.Responses != n || len(sum.Errors) != 0 || !sum.Unbound {
		t.Fatalf("node ESME summary: %+v", sum)
	}
	if sum.Matched != n || len(sum.Receipts) != n {
		t.Fatalf("node ESME matched %d receipts of %d (got %d)", sum.Matched, n, len(sum.Receipts))
	}
	for _, r := range sum.Receipts {
		if r.Stat != "DELIVRD" || r.TLVID != r.ID || r.TLVState == nil || *r.TLVState != 2 || len(r.ID) != 10 {
			t.Fatalf("receipt as node read it: %+v", r)
		}
	}
	// What node-smpp sent decodes on our side: the Korean ones are UCS2.
	subs := srv.Submitted()
	if len(subs) != n {
		t.Fatalf("server recorded %d submits", len(subs))
	}
	korean := 0
	for _, s := range subs {
		text, err := coding.DataCoding(s.SM.DataCoding).Decode(s.SM.ShortMessage)
		if err != nil {
			t.Fatalf("decode %x (dc %#x): %v", s.SM.ShortMessage, s.SM.DataCoding, err)
		}
		if strings.HasPrefix(text, "안녕하세요 interop ") {
			if s.SM.DataCoding != uint8(coding.UCS2) {
				t.Fatalf("Korean text came with data_coding %#x", s.SM.DataCoding)
			}
			korean++
		} else if !strings.HasPrefix(text, "hello interop ") {
			t.Fatalf("decoded %q", text)
		}
	}
	if korean != n/2 {
		t.Fatalf("%d Korean submits decoded, want %d", korean, n/2)
	}
	if st := srv.Stats(); st.DeliverAcks != n || st.Binds != 1 {
		t.Fatalf("server stats %+v", st)
	}
}
