package dispatch

import (
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
)

func lmsMessage(subject string) *message.Message {
	return &message.Message{Product: message.ProductLMS, Sender: "0212345678", Recipient: "01012345678",
		Text: strings.Repeat("가", 100), Subject: subject}
}

// TestEncodeCarriesLMSSubject: an LMS subject goes in the TLV the carrier
// names, in the carrier's data coding; a carrier with none gets none.
func TestEncodeCarriesLMSSubject(t *testing.T) {
	for _, tc := range []struct {
		lmsSubject string
		want       pdu.Tag
	}{{"0x1500", 0x1500}, {"0x3FFF", 0x3fff}, {"none", 0}, {"", 0}} {
		cc := CarrierConfig{Name: "a", Addr: "127.0.0.1:1", SystemID: "r", LMSSubject: tc.lmsSubject}
		cc.SetDefaults()
		if err := cc.Validate(); err != nil {
			t.Fatalf("lms_subject %q: %v", tc.lmsSubject, err)
		}
		tag, err := cc.SubjectTag()
		if err != nil || tag != tc.want {
			t.Fatalf("lms_subject %q: tag %#x, %v", tc.lmsSubject, tag, err)
		}
		c := &carrier{name: "a", cfg: cc, dc: coding.EUCKR, subject: tag}
		var sm pdu.SubmitSM
		if _, err := c.encode(lmsMessage("주문 안내"), &sm, nil, time.Hour); err != nil {
			t.Fatal(err)
		}
		if tc.want == 0 {
			if sm.TLVs.Len() != 1 {
				t.Fatalf("lms_subject %q: TLVs %v, want the payload only", tc.lmsSubject, sm.TLVs)
			}
			continue
		}
		v, ok := sm.TLVs.Get(tc.want)
		if s, _ := coding.EUCKR.Decode(v); !ok || s != "주문 안내" {
			t.Fatalf("lms_subject %q: subject TLV %q %v", tc.lmsSubject, v, ok)
		}
		// An SMS carries no subject, whatever the carrier says.
		sms := lmsMessage("")
		sms.Product, sms.Text = message.ProductSMS, "짧은 문자"
		if _, err := c.encode(sms, &sm, nil, time.Hour); err != nil || sm.TLVs.Len() != 0 {
			t.Fatalf("SMS: TLVs %v, %v", sm.TLVs, err)
		}
	}
}

// TestLMSSubjectSetting: lms_subject is none or a vendor TLV tag; a
// simulated carrier carries subjects unless told otherwise.
func TestLMSSubjectSetting(t *testing.T) {
	for _, bad := range []string{"0x0424", "0x4000", "subject", "1500", "0x"} {
		cc := CarrierConfig{Name: "a", Addr: "127.0.0.1:1", SystemID: "r", LMSSubject: bad}
		cc.SetDefaults()
		if err := cc.Validate(); err == nil || !strings.Contains(err.Error(), "lms_subject") {
			t.Fatalf("lms_subject %q: %v", bad, err)
		}
	}
	sim := CarrierConfig{Name: "s", Addr: "sim"}
	sim.SetDefaults()
	if tag, err := sim.SubjectTag(); err != nil || tag == 0 {
		t.Fatalf("a simulated carrier drops subjects: %#x %v", tag, err)
	}
}

// TestSubjectWarnings: a route that can send an LMS to a carrier that
// drops subjects is named, with the carrier; SMS-only routes are not.
func TestSubjectWarnings(t *testing.T) {
	carriers := []CarrierConfig{
		{Name: "tagged", LMSSubject: "0x1500"},
		{Name: "none", LMSSubject: "none"},
		{Name: "unset"},
	}
	routes := []route.Config{
		{Products: []string{"sms"}, Carriers: []route.Weighted{{Name: "none"}}},
		{Products: []string{"lms"}, Carriers: []route.Weighted{{Name: "tagged"}}, Failover: []string{"none"}},
		{Carriers: []route.Weighted{{Name: "unset"}, {Name: "tagged"}}},
	}
	w := SubjectWarnings(carriers, routes)
	if len(w) != 2 || !strings.Contains(w[0], `route 2`) || !strings.Contains(w[0], `"none"`) ||
		!strings.Contains(w[1], `route 3`) || !strings.Contains(w[1], `"unset"`) {
		t.Fatalf("warnings %q", w)
	}
	if w := SubjectWarnings(carriers, []route.Config{{Products: []string{"lms"}, Carriers: []route.Weighted{{Name: "tagged"}}}}); len(w) != 0 {
		t.Fatalf("warnings %q for a carrier that takes subjects", w)
	}
}
