package upstream

import (
	"errors"
	"testing"

	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

func TestProductNamesAgree(t *testing.T) {
	for _, p := range append(message.Products, message.ProductAuto) {
		wp := ProductToPB(p)
		if got, want := wp.String(), "PRODUCT_"+upper(p.String()); got != want {
			t.Errorf("%v: wire name %s, want %s", p, got, want)
		}
		back, err := ProductFromPB(wp)
		if err != nil || back != p {
			t.Errorf("%v: back %v %v", p, back, err)
		}
	}
	if _, err := ProductFromPB(upstreampb.Product(99)); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("product 99: %v", err)
	}
	if _, err := ProductFromPB(upstreampb.Product_PRODUCT_UNSPECIFIED); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("unspecified product: %v", err)
	}
	for f := message.FallbackNone; f <= message.FallbackAuto; f++ {
		wf := upstreampb.Fallback(f)
		if got, want := wf.String(), "FALLBACK_"+upper(f.String()); got != want {
			t.Errorf("%v: wire name %s, want %s", f, got, want)
		}
	}
	if _, err := FallbackFromPB(upstreampb.Fallback(7)); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("fallback 7: %v", err)
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// TestRequestFromSubmitRefusesUnknownEnums: a number outside the schema is
// refused naming its field, never narrowed onto a defined value.
func TestRequestFromSubmitRefusesUnknownEnums(t *testing.T) {
	for _, c := range []struct {
		s     *upstreampb.Submit
		field string
	}{
		{&upstreampb.Submit{Product: 257, Text: "x"}, "product"},
		{&upstreampb.Submit{Product: -3, Text: "x"}, "product"},
		{&upstreampb.Submit{Product: upstreampb.Product_PRODUCT_ALIMTALK, Fallback: 259}, "fallback"},
	} {
		if _, r := RequestFromSubmit(c.s); r == nil || r.Rule != door.RuleInvalidRequest || r.Field != c.field {
			t.Errorf("%v: %+v, want INVALID_REQUEST naming %s", c.s, r, c.field)
		}
	}
	r, ref := RequestFromSubmit(&upstreampb.Submit{ClientRef: "a", Product: upstreampb.Product_PRODUCT_LMS,
		Fallback: upstreampb.Fallback_FALLBACK_NONE, Title: "t", ButtonsJson: "[]"})
	if ref != nil || r.Product != message.ProductLMS || r.ClientRef != "a" || r.Title != "t" || r.Kakao.Buttons != "[]" {
		t.Errorf("a good submit: %+v %v", r, ref)
	}
}
