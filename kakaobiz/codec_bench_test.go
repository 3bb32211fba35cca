package kakaobiz

import "testing"

func BenchmarkEncodeRequest(b *testing.B) {
	r := &Request{
		Serial: "0194f3a2b1c00001", Type: AlimTalk, SenderKey: "2662e99eb7a1f21abb3955278e9955f5a9a99b62",
		TemplateCode: "order_001", Recipient: "01012345678", Text: "[Shop] 주문이 접수되었습니다.\n주문번호: 1234",
		Title: "주문 접수", Buttons: []byte(`[{"name":"배송조회","type":"DS"}]`),
	}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendRequest(buf[:0], r)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeAnswer(b *testing.B) {
	body := []byte(`{"code":"1000","message":"success","uid":"K123456","cid":"0194f3a2b1c00001","received_at":"2026-03-02T10:00:00+09:00"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		x, err := interpret(200, 0, body, nil)
		if err != nil || x.decision.Action != Delivered {
			b.Fatal(x, err)
		}
	}
}
