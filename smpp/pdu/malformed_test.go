package pdu

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// rawPDU builds a PDU with the given command and body, command_length
// computed.
func rawPDU(cmd CommandID, body []byte) []byte {
	b := appendHeader(nil, Header{Command: cmd, Sequence: 77}, uint32(HeaderLen+len(body)))
	return append(b, body...)
}

func submitBody(sm []byte, smLen byte, tail []byte) []byte {
	b := []byte("\x00\x01\x011588\x00\x01\x01010\x00\x00\x00\x00\x00\x00\x01\x00\x08\x00")
	b = append(b, smLen)
	b = append(b, sm...)
	return append(b, tail...)
}

func TestDecodeMalformed(t *testing.T) {
	long := func(n int) string { return strings.Repeat("9", n) }
	cases := []struct {
		name   string
		in     []byte
		err    error
		status Status
		fatal  bool
	}{
		{"short header", []byte{0, 0, 0, 16, 0, 0}, ErrCommandLength, StatusInvCmdLen, true},
		{"length below 16", func() []byte { b := rawPDU(EnquireLinkID, nil); b[3] = 15; return b }(), ErrCommandLength, StatusInvCmdLen, true},
		{"length over max", func() []byte { b := rawPDU(EnquireLinkID, nil); binary.BigEndian.PutUint32(b, 1<<30); return b }(), ErrCommandLength, StatusInvCmdLen, true},
		{"length disagrees", append(rawPDU(EnquireLinkID, nil), 0), ErrCommandLength, StatusInvCmdLen, true},
		{"unknown command", rawPDU(0x00000222, []byte{1, 2}), ErrUnknownCommand, StatusInvCmdID, false},
		{"body on enquire_link", rawPDU(EnquireLinkID, []byte{0}), ErrUnexpectedBody, StatusInvCmdLen, false},
		{"truncated submit_sm", rawPDU(SubmitSMID, []byte("\x00\x01\x01158")), ErrTruncated, StatusInvCmdLen, false},
		{"submit_sm without body", rawPDU(SubmitSMID, nil), ErrTruncated, StatusInvCmdLen, false},
		{"source too long", rawPDU(SubmitSMID, []byte("\x00\x01\x01"+long(30)+"\x00")), ErrBadCString, StatusInvSrcAdr, false},
		{"system_id too long", rawPDU(BindTransceiverID, []byte(long(16)+"\x00pw\x00\x00\x34\x00\x00\x00")), ErrBadCString, StatusInvSysID, false},
		{"password too long", rawPDU(BindTransceiverID, []byte("id\x00"+long(9)+"\x00\x00\x34\x00\x00\x00")), ErrBadCString, StatusInvPaswd, false},
		{"message_id too long", rawPDU(SubmitSMRespID, []byte(long(65)+"\x00")), ErrBadCString, StatusInvMsgID, false},
		{"sm_length past body", rawPDU(SubmitSMID, submitBody([]byte("abc"), 4, nil)), ErrShortMessage, StatusInvMsgLen, false},
		{"sm_length 255", rawPDU(SubmitSMID, submitBody(make([]byte, 255), 255, nil)), ErrShortMessage, StatusInvMsgLen, false},
		{"tlv stream cut", rawPDU(SubmitSMID, submitBody([]byte("a"), 1, []byte{0x02, 0x04, 0x00})), ErrBadTLV, StatusInvOptParStream, false},
		{"tlv value cut", rawPDU(SubmitSMID, submitBody([]byte("a"), 1, []byte{0x02, 0x04, 0x00, 0x02, 0x01})), ErrBadTLV, StatusInvOptParStream, false},
		{"tlv wrong length", rawPDU(SubmitSMID, submitBody([]byte("a"), 1, []byte{0x04, 0x27, 0x00, 0x02, 0x00, 0x02})), ErrBadTLV, StatusInvOptParLen, false},
		{"receipted id too long", rawPDU(DeliverSMID, submitBody(nil, 0, append([]byte{0x00, 0x1E, 0x00, 66}, make([]byte, 66)...))), ErrBadTLV, StatusInvOptParamVal, false},
		{"bad dest_flag", rawPDU(SubmitMultiID, []byte("\x00\x00\x00a\x00\x01\x03xx")), ErrBadField, StatusInvDestFlag, false},
		{"number_of_dests beyond body", rawPDU(SubmitMultiID, []byte("\x00\x00\x00a\x00\xfe\x01")), ErrBadField, StatusInvNumDests, false},
		{"no_unsuccess beyond body", rawPDU(SubmitMultiRespID, []byte("m\x00\x09")), ErrBadField, StatusInvNumDests, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Decode(c.in, 4096)
			if p != nil {
				t.Fatalf("decoded %+v", p)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err %v is not a *DecodeError", err)
			}
			if !errors.Is(err, c.err) || de.Status != c.status || de.Fatal != c.fatal {
				t.Fatalf("got %v (status %s, fatal %v), want %v, %s, %v", err, de.Status, de.Fatal, c.err, c.status, c.fatal)
			}
			if !c.fatal && de.Header.Sequence != 77 {
				t.Fatalf("sequence %d lost", de.Header.Sequence)
			}
		})
	}
}

// TestDecodeTolerant covers what real SMSCs send that SMPP 3.4 frowns upon
// but a relay must accept, or lose a result.
func TestDecodeTolerant(t *testing.T) {
	// A failing submit_sm_resp with no body.
	p, err := Decode(rawPDU(SubmitSMRespID, nil), 0)
	if err != nil || p.Body != nil {
		t.Fatalf("bodiless resp: %v %v", p, err)
	}
	// A submit_sm_resp carrying a TLV after message_id.
	body := append([]byte("abc\x00"), 0x14, 0x00, 0x00, 0x01, 0x07)
	p, err = Decode(rawPDU(SubmitSMRespID, body), 0)
	if err != nil || p.Body.(*SubmitSMResp).MessageID != "abc" {
		t.Fatalf("resp with TLV: %v %v", p, err)
	}
	if v, ok := p.Body.(*SubmitSMResp).TLVs.Get(0x1400); !ok || string(v) != "\x07" {
		t.Fatalf("unknown TLV lost: %v", p.Body)
	}
	// receipted_message_id without its NUL.
	p, err = Decode(rawPDU(DeliverSMID, submitBody(nil, 0, []byte{0x00, 0x1E, 0x00, 0x02, 'a', 'b'})), 0)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := p.Body.(*DeliverSM).TLVs.ReceiptedMessageID(); !ok || id != "ab" {
		t.Fatalf("receipted id %q %v", id, ok)
	}
}

func TestDecodeErrorReply(t *testing.T) {
	cases := []struct {
		in   []byte
		want Header
	}{
		{rawPDU(SubmitSMID, []byte("\x00\x01")), hdr(SubmitSMRespID, StatusInvCmdLen, 77)},
		{rawPDU(0x222, nil), hdr(GenericNackID, StatusInvCmdID, 77)},
		{rawPDU(SubmitSMRespID, []byte("x")), hdr(GenericNackID, StatusInvCmdLen, 77)},
		{rawPDU(OutbindID, []byte("x")), hdr(GenericNackID, StatusInvCmdLen, 77)},
		{append(rawPDU(EnquireLinkID, nil), 0), hdr(GenericNackID, StatusInvCmdLen, 77)},
	}
	for _, c := range cases {
		_, err := Decode(c.in, 0)
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("%x: %v", c.in, err)
		}
		r := de.Reply()
		if r.Header != c.want || r.Body != nil {
			t.Errorf("%x: reply %+v, want %+v", c.in, r.Header, c.want)
		}
		if _, err := r.AppendTo(nil); err != nil {
			t.Errorf("reply does not encode: %v", err)
		}
	}
}
