package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// TestOutOfSchemaRefusedForGood sends, through the upstream protocol, values
// no schema or store limit allows: enum numbers the protocol does not define
// (they must not wrap onto defined ones: 257 is not SMS, 259 is not auto)
// and a client reference longer than the store keys. Pass: each is refused
// with a permanent status naming the field, with no retry_after, and nothing
// is stored; a good submit beside them is accepted.
func TestOutOfSchemaRefusedForGood(t *testing.T) {
	c, err := NewCarrier("alpha", smpptest.Config{Users: map[string]string{"relay": CarrierPassword}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	dir := t.TempDir()
	s := &Setup{DataDir: dir + "/data", Customers: []string{"shop"}, Carriers: []*Carrier{c}, Binds: 1}
	p, err := StartInproc(dir, s, relay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := client.Dial(ctx, p.D.UpstreamAddr(), client.Options{Customer: "shop", Secret: Secret})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sms := func(ref string) *upstreampb.Submit {
		return &upstreampb.Submit{ClientRef: ref, Product: upstreampb.Product_PRODUCT_SMS,
			Sender: "0212345678", Recipient: "01012345678", Text: "hello"}
	}
	alim := func(ref string) *upstreampb.Submit {
		return &upstreampb.Submit{ClientRef: ref, Product: upstreampb.Product_PRODUCT_ALIMTALK, Sender: "0212345678",
			Recipient: "01012345678", Text: "hello", SenderKey: "faults-key", TemplateCode: "FAULTS_01"}
	}
	for _, c := range []struct {
		name   string
		sub    *upstreampb.Submit
		status upstreampb.Status
		field  string
	}{
		{"product 257", func() *upstreampb.Submit { s := sms("p257"); s.Product = 257; return s }(),
			upstreampb.Status_INVALID_REQUEST, "product"},
		{"product -1", func() *upstreampb.Submit { s := sms("pneg"); s.Product = -1; return s }(),
			upstreampb.Status_INVALID_REQUEST, "product"},
		{"fallback 259", func() *upstreampb.Submit { s := alim("f259"); s.Fallback = 259; return s }(),
			upstreampb.Status_INVALID_REQUEST, "fallback"},
		{"client_ref of 256 bytes", sms(strings.Repeat("r", 256)), upstreampb.Status_TOO_LONG, "client_ref"},
	} {
		r, err := cl.Submit(ctx, c.sub)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.Status != c.status || r.Field != c.field || r.RetryAfterMs != 0 || r.MessageId != "" {
			t.Errorf("%s: %v field=%q retry_after=%dms id=%q (%s), want %v naming %q, no retry_after",
				c.name, r.Status, r.Field, r.RetryAfterMs, r.MessageId, r.Reason, c.status, c.field)
		}
	}
	r, err := cl.Submit(ctx, sms(strings.Repeat("r", 255)))
	if err != nil || r.Status != upstreampb.Status_OK {
		t.Fatalf("a client_ref of 255 bytes: %v %v", r, err)
	}
}
