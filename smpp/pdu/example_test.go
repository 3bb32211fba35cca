package pdu_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/msgrelay/relay/smpp/pdu"
)

func Example() {
	sm := &pdu.SubmitSM{
		Source:             pdu.Address{TON: 2, NPI: 1, Addr: "15880000"},
		Dest:               pdu.Address{TON: 1, NPI: 1, Addr: "821012345678"},
		RegisteredDelivery: 1,
		DataCoding:         0x08,
		ShortMessage:       []byte{0xC5, 0x48, 0xB1, 0x55}, // "안녕" in UCS2
	}
	sm.TLVs.SetUserMessageReference(7)
	buf, err := (&pdu.PDU{Header: pdu.Header{Sequence: 1}, Body: sm}).AppendTo(nil)
	if err != nil {
		panic(err)
	}

	r := pdu.NewReader(bytes.NewReader(buf), 0)
	p, err := r.Read()
	var de *pdu.DecodeError
	if errors.As(err, &de) {
		// Answer with de.Status (generic_nack or the request's *_resp);
		// close the connection if de.Fatal.
		return
	}
	got := p.Body.(*pdu.SubmitSM)
	ref, _ := got.TLVs.UserMessageReference()
	fmt.Println(p.Command, p.Length, got.Dest.Addr, len(got.ShortMessage), ref)
	// Output: submit_sm 63 821012345678 4 7
}
