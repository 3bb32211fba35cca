package pdu

import (
	"bytes"
	"strings"
	"testing"
)

// korean70 is a submit_sm carrying 70 Hangul syllables in UCS2 (140 octets),
// the largest single-part Korean SMS.
func korean70() *PDU {
	text := strings.Repeat("안녕하세요고객님주문하신상품", 5)
	return &PDU{Header: Header{Sequence: 12345}, Body: &SubmitSM{
		Source: Address{TON: 2, NPI: 1, Addr: "15880000"}, Dest: Address{TON: 1, NPI: 1, Addr: "821012345678"},
		RegisteredDelivery: 1, DataCoding: 8, ShortMessage: ucs2(text)}}
}

func TestKorean70(t *testing.T) {
	b, err := korean70().AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(korean70().Body.(*SubmitSM).ShortMessage); n != 140 {
		t.Fatalf("short message %d octets", n)
	}
	buf := make([]byte, 0, 512)
	if a := testing.AllocsPerRun(100, func() { _, _ = korean70static.AppendTo(buf[:0]) }); a != 0 {
		t.Errorf("encode: %v allocations", a)
	}
	if a := testing.AllocsPerRun(100, func() { _, _ = Decode(b, 0) }); a > 2 {
		t.Errorf("decode: %v allocations", a)
	}
	r := bytes.NewReader(nil)
	rd := NewReader(r, 0)
	if a := testing.AllocsPerRun(100, func() {
		r.Reset(b)
		_, _ = rd.Read()
	}); a > 2 {
		t.Errorf("read: %v allocations", a)
	}
}

var korean70static = korean70()

func BenchmarkEncodeSubmitSMKorean70(b *testing.B) {
	p := korean70()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = p.AppendTo(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeSubmitSMKorean70(b *testing.B) {
	in, err := korean70().AppendTo(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(in, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadSubmitSMKorean70(b *testing.B) {
	one, err := korean70().AppendTo(nil)
	if err != nil {
		b.Fatal(err)
	}
	stream := bytes.Repeat(one, 1024)
	r := bytes.NewReader(stream)
	rd := NewReader(r, 0)
	b.SetBytes(int64(len(one)))
	b.ReportAllocs()
	for b.Loop() {
		if r.Len() == 0 {
			r.Reset(stream)
		}
		if _, err := rd.Read(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeDeliverSMReceipt(b *testing.B) {
	p := vectorWant["deliver_sm_receipt"]
	in, err := p.AppendTo(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		q, err := Decode(in, 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := q.Body.(*DeliverSM).TLVs.MessageState(); !ok {
			b.Fatal("no message_state")
		}
	}
}
