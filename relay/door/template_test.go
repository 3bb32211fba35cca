package door

import (
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/message"
)

func templateChecker(t testing.TB) *Checker {
	t.Helper()
	reg, err := alimtalk.NewRegistry([]alimtalk.Template{{
		SenderKey: "key-shop", Code: "T1", Text: "#{name}님, 주문이 접수되었습니다.",
		Buttons: []alimtalk.Button{{Type: "WL", Name: "주문보기", URLMobile: "https://shop.example/#{order}"}},
	}}, alimtalk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	k, err := New(DefaultConfig(), Options{Templates: reg})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const t1Buttons = `[{"type":"WL","name":"주문보기","url_mobile":"https://shop.example/A-1"}]`

// TestTemplateChecked: an AlimTalk must name a registered template and
// match it (issue case: NO_SUCH_TEMPLATE_XYZ was delivered), and invalid
// buttons_json is refused at the door naming the field (issue case: it
// failed later at Kakao).
func TestTemplateChecked(t *testing.T) {
	k := templateChecker(t)
	at := func(code, text, buttons string) Request {
		r := kakao(message.ProductAlimTalk, text)
		r.Kakao.TemplateCode, r.Kakao.Buttons = code, buttons
		return r
	}
	if _, r := k.Check(testCustomer(), at("T1", "홍길동님, 주문이 접수되었습니다.", t1Buttons), noon); r != nil {
		t.Fatalf("a matching AlimTalk refused: %v", r)
	}
	cases := []struct {
		name  string
		req   Request
		rule  string
		field string
		in    string
	}{
		{"unknown code", at("NO_SUCH_TEMPLATE_XYZ", "홍길동님, 주문이 접수되었습니다.", t1Buttons), RuleTemplateMismatch, "template_code", "NO_SUCH_TEMPLATE_XYZ"},
		{"text differs", at("T1", "홍길동님, 주문이 취소되었습니다.", t1Buttons), RuleTemplateMismatch, "text", "character 11"},
		{"button differs", at("T1", "홍길동님, 주문이 접수되었습니다.", `[{"type":"WL","name":"바로가기","url_mobile":"https://shop.example/A-1"}]`), RuleTemplateMismatch, "buttons_json", "바로가기"},
		{"buttons not JSON", at("T1", "홍길동님, 주문이 접수되었습니다.", `[{"type":"WL",`), RuleInvalidRequest, "buttons_json", "buttons_json"},
		{"button without name", at("T1", "홍길동님, 주문이 접수되었습니다.", `[{"type":"WL","url_mobile":"https://x"}]`), RuleInvalidRequest, "buttons_json[0].name", "no name"},
		{"friendtalk bad button type", func() Request {
			r := kakao(message.ProductFriendTalkText, "안녕하세요")
			r.Kakao.Buttons = `[{"type":"ZZ","name":"x"}]`
			return r
		}(), RuleInvalidRequest, "buttons_json[0].type", "ZZ"},
	}
	for _, c := range cases {
		_, r := k.Check(testCustomer(), c.req, noon)
		if r == nil || r.Rule != c.rule || r.Field != c.field || !strings.Contains(r.Reason, c.in) {
			t.Errorf("%s: %v (field %q), want %s on %s naming %q", c.name, r, fieldOf(r), c.rule, c.field, c.in)
		}
	}
	_, r := k.Check(testCustomer(), at("T1", "홍길동님, 주문이 취소되었습니다.", t1Buttons), noon)
	if r == nil || r.Measured != 11 || r.Value != "11" {
		t.Fatalf("mismatch position: %+v", r)
	}
}

func fieldOf(r *Refusal) string {
	if r == nil {
		return ""
	}
	return r.Field
}

func TestTemplateCheckDoesNotAllocate(t *testing.T) {
	k := templateChecker(t)
	req := kakao(message.ProductAlimTalk, "홍길동님, 주문이 접수되었습니다.")
	req.Kakao.Buttons = ""
	k2, err := New(DefaultConfig(), Options{Templates: mustRegistry(t, alimtalk.Template{SenderKey: "key-shop", Code: "T1", Text: "#{name}님, 주문이 접수되었습니다."})})
	if err != nil {
		t.Fatal(err)
	}
	_ = k
	if _, r := k2.Check(testCustomer(), req, noon); r != nil {
		t.Fatal(r)
	}
	c := testCustomer()
	if n := testing.AllocsPerRun(100, func() { k2.Check(c, req, noon) }); n != 0 {
		t.Fatalf("%v allocations per matching AlimTalk", n)
	}
}

func mustRegistry(t testing.TB, ts ...alimtalk.Template) *alimtalk.Registry {
	r, err := alimtalk.NewRegistry(ts, alimtalk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
