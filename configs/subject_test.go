package configs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/coding"
)

// TestDevLMSSubjectReachesCarrier: an LMS sent through the dev relay
// reaches its simulated carrier with its subject, and the dev
// configuration warns of no carrier that would drop one.
func TestDevLMSSubjectReachesCarrier(t *testing.T) {
	cfg, err := relay.LoadConfig("dev.toml")
	if err != nil {
		t.Fatal(err)
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Fatalf("dev.toml warnings: %q", w)
	}
	d := devRelay(t)
	const subject = "주문 배송 안내"
	submitAndWait(t, d, "configs-subject", 30*time.Second, &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_LMS, ClientRef: "configs-lms",
		Sender: "0212345678", Recipient: "01012345678", Subject: subject, Text: "주문하신 상품이 오늘 발송되었습니다. 감사합니다."})
	var got []string
	for _, sim := range d.Simulators() {
		for _, s := range sim.Submitted() {
			if s.Subject == nil {
				t.Errorf("a submit reached the carrier without a subject")
				continue
			}
			text, err := coding.EUCKR.Decode(s.Subject)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, text)
		}
	}
	if len(got) != 1 || got[0] != subject {
		t.Fatalf("subjects at the carriers %q, want one %q", got, subject)
	}
}

// TestProductionExampleWarnsOfDroppedSubjects: the example's carriers take
// no subject until their tag is filled in, and the check says so for each
// carrier the LMS route leads to.
func TestProductionExampleWarnsOfDroppedSubjects(t *testing.T) {
	cfg, err := relay.LoadConfig("production.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Warnings()
	if len(w) == 0 {
		t.Fatal("no warning for LMS routed to carriers with lms_subject = none")
	}
	for _, s := range w {
		if !strings.Contains(s, "drops LMS subjects") {
			t.Errorf("warning %q", s)
		}
	}
}
