package pdu

import (
	"reflect"
	"testing"
)

func TestSmokeRoundTrip(t *testing.T) {
	b := &SubmitSM{Source: Address{TON: 1, NPI: 1, Addr: "0101234"}, Dest: Address{Addr: "0105678"}, ShortMessage: []byte("hi")}
	b.TLVs.SetSarMsgRefNum(7)
	p := &PDU{Header: Header{Sequence: 9}, Body: b}
	out, err := p.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Decode(out, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q.Body, p.Body) || q.Command != SubmitSMID || q.Sequence != 9 {
		t.Fatalf("got %+v %+v", q.Header, q.Body)
	}
}
