package alimtalk

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

const orderText = "[#{shop}] #{name}님, 주문하신 상품이 발송되었습니다.\n주문번호: #{order}\n#{memo}"

func registry(t testing.TB) *Registry {
	t.Helper()
	r, err := NewRegistry([]Template{
		{SenderKey: "sk", Code: "ORDER_SHIPPED", Text: orderText, MayBeEmpty: []string{"memo"},
			Buttons: []Button{{Type: "DS", Name: "배송조회"}, {Type: "WL", Name: "주문보기", URLMobile: "https://shop.example/o/#{order}"}}},
		{SenderKey: "sk", Code: "ADJ", Text: "코드 #{a}#{b}#{c} 끝"},
		{SenderKey: "sk", Code: "STATIC", Text: "주문하신 상품이 발송되었습니다."},
		{SenderKey: "sk", Code: "EDGES", Text: "#{first}와 #{last}"},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var orderButtons = []Button{{Type: "DS", Name: "배송조회"}, {Type: "WL", Name: "주문보기", URLMobile: "https://shop.example/o/A-17"}}

func TestMatch(t *testing.T) {
	r := registry(t)
	ok := []struct{ code, text string }{
		{"ORDER_SHIPPED", "[커피샵] 홍길동님, 주문하신 상품이 발송되었습니다.\n주문번호: A-17\n"},
		{"ORDER_SHIPPED", "[커피샵] 홍길동님, 주문하신 상품이 발송되었습니다.\r\n주문번호: A-17\r\n문 앞에 놓아 주세요"},
		{"ADJ", "코드 XYZ 끝"},
		{"ADJ", "코드 가나다라마 끝"},
		{"ADJ", "코드 1 2 끝 끝"}, // a variable may hold the literal's text
		{"STATIC", "주문하신 상품이 발송되었습니다."},
		{"EDGES", "사과와 배"},
		{"EDGES", "사과와 배와 귤"},
	}
	for _, c := range ok {
		if err := r.Match("sk", c.code, c.text, buttonsFor(c.code)); err != nil {
			t.Errorf("%s %q: %v", c.code, c.text, err)
		}
	}
	bad := []struct {
		code, text string
		pos        int
		want       string
	}{
		{"ORDER_SHIPPED", "[커피샵] 홍길동님, 주문하신 상품이 발송됐습니다.\n주문번호: A-17\n", 24, "되었습니다"},
		{"ORDER_SHIPPED", "[커피샵] 홍길동님 주문하신 상품이 발송되었습니다.\n주문번호: A-17\n", 11, ", 주문하신"},
		{"ORDER_SHIPPED", "(커피샵) 홍길동님, 주문하신 상품이 발송되었습니다.\n주문번호: A-17\n", 1, "["},
		{"ORDER_SHIPPED", "[커피샵] 님, 주문하신 상품이 발송되었습니다.\n주문번호: A-17\n", 0, ""}, // name may not be empty... but " 님" holds it
		{"ORDER_SHIPPED", "[커피샵] 홍길동님, 주문하신 상품이 발송되었습니다.\n주문번호: A-17", 0, "\n"},
		{"ADJ", "코드 XY 끝", 8, " 끝"}, // three variables need three characters: "XY " holds them
		{"ADJ", "코드 X", 5, "#{…}"},
		{"STATIC", "주문하신 상품이 발송되었습니다!", 17, ""},
		{"STATIC", "주문하신 상품이 발송되었습니다", 17, "."},
		{"EDGES", "와 배", 4, "와 "},
		{"EDGES", "", 1, "#{…}"},
	}
	for _, c := range bad {
		err := r.Match("sk", c.code, c.text, buttonsFor(c.code))
		if c.pos == 0 && err == nil {
			continue // an accepted reading exists; the case documents it
		}
		var m *MismatchError
		if !errors.As(err, &m) || m.Field != "text" {
			t.Errorf("%s %q: %v, want a text mismatch", c.code, c.text, err)
			continue
		}
		if c.pos != 0 && (m.Pos != c.pos || !strings.HasPrefix(m.Want, firstChars(c.want, snippet))) {
			t.Errorf("%s %q: %v (pos %d want %q), want pos %d want %q", c.code, c.text, m, m.Pos, m.Want, c.pos, c.want)
		}
	}
	if err := r.Match("sk", "NO_SUCH_TEMPLATE_XYZ", "x", nil); !errors.Is(err, ErrUnknownTemplate) {
		t.Errorf("unknown code: %v", err)
	}
	if err := r.Match("other", "STATIC", "주문하신 상품이 발송되었습니다.", nil); !errors.Is(err, ErrUnknownTemplate) {
		t.Errorf("another sender profile's code: %v", err)
	}
}

func buttonsFor(code string) []Button {
	if code == "ORDER_SHIPPED" {
		return orderButtons
	}
	return nil
}

func TestMatchButtons(t *testing.T) {
	r := registry(t)
	text := "[커피샵] 홍길동님, 주문하신 상품이 발송되었습니다.\n주문번호: A-17\n"
	cases := []struct {
		name    string
		buttons []Button
		pos     int
		in      string
	}{
		{"none", nil, 1, "no button"},
		{"type", []Button{{Type: "WL", Name: "배송조회", URLMobile: "https://x"}, orderButtons[1]}, 1, "DS"},
		{"name", []Button{{Type: "DS", Name: "배송 조회"}, orderButtons[1]}, 1, "배송 조회"},
		{"extra", append(append([]Button{}, orderButtons...), Button{Type: "BK", Name: "상담"}), 3, "no button"},
		{"url", []Button{orderButtons[0], {Type: "WL", Name: "주문보기", URLMobile: "https://evil.example/o/A-17"}}, 2, "url_mobile"},
	}
	for _, c := range cases {
		var m *MismatchError
		err := r.Match("sk", "ORDER_SHIPPED", text, c.buttons)
		if !errors.As(err, &m) || m.Field != "buttons_json" || m.Pos != c.pos || !strings.Contains(m.Error(), c.in) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if err := r.Match("sk", "STATIC", "주문하신 상품이 발송되었습니다.", orderButtons[:1]); err == nil {
		t.Error("a button on a template without buttons was accepted")
	}
}

func TestParseButtons(t *testing.T) {
	if bs, err := ParseButtons(`[{"type":"WL","name":"바로가기","url_mobile":"https://a","url_pc":"https://b"},{"type":"DS","name":"배송조회"}]`); err != nil || len(bs) != 2 || bs[0].URLPC != "https://b" {
		t.Fatalf("ParseButtons = %v, %v", bs, err)
	}
	for in, field := range map[string]string{
		`{"type":"WL"}`:              "buttons_json",
		`[{"type":"WL","name":"x"}`:  "buttons_json",
		`[{"type":"XX","name":"x"}]`: "buttons_json[0].type",
		`[{"type":"DS"}]`:            "buttons_json[0].name",
		`[{"type":"DS","name":"a"},{"type":"WL","name":"b"}]`: "buttons_json[1].url_mobile",
		`[{"type":"DS","name":"a","colour":"red"}]`:           "buttons_json",
		`[{"type":"DS","name":"아주아주아주아주긴버튼이름입니다"}]`:           "buttons_json[0].name",
		`[] []`: "buttons_json",
		`[{"type":"DS","name":"1"},{"type":"DS","name":"2"},{"type":"DS","name":"3"},{"type":"DS","name":"4"},{"type":"DS","name":"5"},{"type":"DS","name":"6"}]`: "buttons_json",
	} {
		_, err := ParseButtons(in)
		var be *ButtonsError
		if !errors.As(err, &be) || be.Field != field {
			t.Errorf("ParseButtons(%s) = %v, want field %s", in, err, field)
		}
	}
}

func TestTemplateValidate(t *testing.T) {
	for _, tpl := range []Template{
		{SenderKey: "", Code: "A", Text: "x"},
		{SenderKey: "sk", Code: "", Text: "x"},
		{SenderKey: "sk", Code: "A B", Text: "x"},
		{SenderKey: "sk", Code: "A", Text: ""},
		{SenderKey: "sk", Code: "A", Text: "#{open"},
		{SenderKey: "sk", Code: "A", Text: "#{}"},
		{SenderKey: "sk", Code: "A", Text: strings.Repeat("가", 1001)},
		{SenderKey: "sk", Code: "A", Text: "x", Buttons: []Button{{Type: "WL", Name: "x"}}},
	} {
		if err := tpl.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("Validate(%+v) = %v", tpl, err)
		}
	}
}

func TestRegistryPutRemove(t *testing.T) {
	var seen []string
	r, err := NewRegistry(nil, Options{Observer: ObserverFunc(func(tp *Template, removed bool) error {
		if tp.Code == "REFUSE" {
			return errors.New("disk full")
		}
		seen = append(seen, tp.Code)
		return nil
	})})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Put(Template{SenderKey: "sk", Code: "A", Text: "안녕 #{name}"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Match("sk", "A", "안녕 철수", nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Put(Template{SenderKey: "sk", Code: "REFUSE", Text: "x"}); err == nil || r.Get("sk", "REFUSE") != nil {
		t.Fatalf("a change the observer refused: %v", err)
	}
	if err := r.Remove("sk", "A"); err != nil || r.Get("sk", "A") != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := r.Remove("sk", "A"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Remove again: %v", err)
	}
	if strings.Join(seen, ",") != "A,A" {
		t.Fatalf("observer saw %v", seen)
	}
}

// reference matches with a regular expression built from the template:
// the slow, obviously right way.
func reference(tpl string, mayBeEmpty []string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	tpl = crlf(tpl)
	for {
		i := strings.Index(tpl, "#{")
		j := strings.IndexByte(tpl[max(i, 0):], '}')
		if i < 0 || j < 0 {
			break
		}
		b.WriteString(regexp.QuoteMeta(tpl[:i]))
		name := tpl[i+2 : i+j]
		if contains(mayBeEmpty, name) {
			b.WriteString(`.*`)
		} else {
			b.WriteString(`.+`)
		}
		tpl = tpl[i+j+1:]
	}
	b.WriteString(regexp.QuoteMeta(tpl))
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// FuzzMatch checks the matcher against the regular expression, and that a
// mismatch names a position inside the text.
func FuzzMatch(f *testing.F) {
	f.Add("[#{a}] #{b}님 #{c}", "[x] y님 z", "c")
	f.Add("#{a}#{b}#{c}", "ab", "")
	f.Add("코드 #{a}#{b} 끝 #{c}", "코드 1 끝 끝 2", "c")
	f.Add("a\r\nb #{x}", "a\nb \r\n", "")
	f.Add("static", "statics", "")
	f.Fuzz(func(t *testing.T, tpl, text, empty string) {
		if !utf8.ValidString(tpl) || !utf8.ValidString(text) {
			return
		}
		mayBeEmpty := strings.Fields(empty)
		tp := Template{SenderKey: "sk", Code: "F", Text: tpl, MayBeEmpty: mayBeEmpty}
		if tp.Validate() != nil {
			return
		}
		r, err := NewRegistry([]Template{tp}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := r.Match("sk", "F", text, nil)
		want := reference(tpl, mayBeEmpty).MatchString(crlf(text))
		if (got == nil) != want {
			t.Fatalf("template %q text %q: Match = %v, regexp says %v", tpl, text, got, want)
		}
		var m *MismatchError
		if got != nil {
			if !errors.As(got, &m) {
				t.Fatalf("Match = %v", got)
			}
			if n := utf8.RuneCountInString(crlf(text)); m.Pos < 1 || m.Pos > n+1 {
				t.Fatalf("template %q text %q: position %d outside 1..%d", tpl, text, m.Pos, n+1)
			}
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	r := registry(b)
	text := "[커피샵] 홍길동님, 주문하신 상품이 발송되었습니다.\n주문번호: A-17\n문 앞에 놓아 주세요"
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if err := r.Match("sk", "ORDER_SHIPPED", text, orderButtons); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatchLong(b *testing.B) {
	tpl := strings.Repeat("안내 문구가 길게 이어집니다. #{v} ", 40)
	r, err := NewRegistry([]Template{{SenderKey: "sk", Code: "L", Text: tpl}}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	text := strings.ReplaceAll(tpl, "#{v}", "값")
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if err := r.Match("sk", "L", text, nil); err != nil {
			b.Fatal(err)
		}
	}
}
