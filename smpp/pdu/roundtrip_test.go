package pdu

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// roundTripBodies has one filled-in value of every body type, with unknown
// TLVs among the known ones.
func roundTripBodies() []*PDU {
	unknown := withTLVs(func(t *TLVs) {
		_ = t.Add(0x1400, []byte("vendor"))
		t.SetUserMessageReference(7)
		_ = t.Add(0x1401, nil)
	})
	sm := SubmitSM{ServiceType: "CMT", Source: Address{TON: 5, NPI: 0, Addr: "RELAY"},
		Dest: Address{TON: 1, NPI: 1, Addr: "821012345678"}, ESMClass: 0x40, ProtocolID: 1,
		PriorityFlag: 2, ScheduleDeliveryTime: "260101120000000R", ValidityPeriod: "000001000000000R",
		RegisteredDelivery: 1, ReplaceIfPresent: 1, DataCoding: 8, SMDefaultMsgID: 3,
		ShortMessage: ucs2(strings.Repeat("가", 70)), TLVs: unknown}
	dsm := DeliverSM(sm)
	return []*PDU{
		{Header: hdr(BindTransmitterID, 0, 1), Body: &Bind{Kind: BindTransmitterID, SystemID: "a", Password: "b",
			SystemType: "c", InterfaceVersion: 0x34, AddrTON: 1, AddrNPI: 2, AddressRange: "d", TLVs: unknown}},
		{Header: hdr(BindReceiverRespID, 0, 2), Body: &BindResp{Kind: BindReceiverRespID, SystemID: "smsc", TLVs: unknown}},
		{Header: hdr(OutbindID, 0, 3), Body: &Outbind{SystemID: "smsc", Password: "pw"}},
		{Header: hdr(SubmitSMID, 0, 4), Body: &sm},
		{Header: hdr(DeliverSMID, 0, 5), Body: &dsm},
		{Header: hdr(SubmitSMRespID, 0, 6), Body: &SubmitSMResp{MessageID: strings.Repeat("f", 64), TLVs: unknown}},
		{Header: hdr(DeliverSMRespID, 0, 7), Body: &DeliverSMResp{}},
		{Header: hdr(DataSMID, 0, 8), Body: &DataSM{ServiceType: "x", Source: Address{Addr: strings.Repeat("1", 64)},
			Dest: Address{TON: 1, Addr: "2"}, ESMClass: 1, RegisteredDelivery: 1, DataCoding: 8, TLVs: unknown}},
		{Header: hdr(DataSMRespID, StatusDeliveryFailure, 9), Body: &DataSMResp{MessageID: "m", TLVs: unknown}},
		{Header: hdr(QuerySMID, 0, 10), Body: &QuerySM{MessageID: "m", Source: Address{TON: 1, NPI: 1, Addr: "1"}}},
		{Header: hdr(QuerySMRespID, 0, 11), Body: &QuerySMResp{MessageID: "m", FinalDate: "260101120000000+",
			MessageState: StateUndeliverable, ErrorCode: 9}},
		{Header: hdr(CancelSMID, 0, 12), Body: &CancelSM{ServiceType: "s", MessageID: "m",
			Source: Address{Addr: "1"}, Dest: Address{Addr: "2"}}},
		{Header: hdr(ReplaceSMID, 0, 13), Body: &ReplaceSM{MessageID: "m", Source: Address{Addr: "1"},
			ScheduleDeliveryTime: "260101120000000+", RegisteredDelivery: 1, SMDefaultMsgID: 1,
			ShortMessage: make([]byte, MaxShortMessage)}},
		{Header: hdr(SubmitMultiID, 0, 14), Body: &SubmitMulti{ServiceType: "s", Source: Address{Addr: "1"},
			Dests:    []DestAddress{{Flag: DestDistList, DLName: ""}, {Flag: DestSME, Address: Address{TON: 1, Addr: "2"}}},
			ESMClass: 3, DataCoding: 8, ShortMessage: []byte{1}, TLVs: unknown}},
		{Header: hdr(SubmitMultiRespID, 0, 15), Body: &SubmitMultiResp{MessageID: "m",
			Unsuccess: []UnsuccessSME{{Address: Address{Addr: "2"}, Error: StatusInvDstAdr}, {Error: 0xFFFFFFFF}}}},
		{Header: hdr(AlertNotificationID, 0, 16), Body: &AlertNotification{Source: Address{Addr: "1"},
			ESME: Address{Addr: "2"}, TLVs: unknown}},
		{Header: hdr(EnquireLinkID, 0, 17)},
		{Header: hdr(GenericNackID, StatusInvCmdLen, 18)},
		{Header: hdr(SubmitSMRespID, StatusMsgQFul, 19)},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, p := range roundTripBodies() {
		t.Run(p.Command.String(), func(t *testing.T) {
			b, err := p.AppendTo(nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(b, 0)
			if err != nil {
				t.Fatal(err)
			}
			got.Length = 0
			if !reflect.DeepEqual(got, p) {
				t.Fatalf("got\n%#v\nwant\n%#v", got.Body, p.Body)
			}
			// Appending to the decoded short message or TLVs must not
			// disturb anything else of the PDU.
			switch b := got.Body.(type) {
			case *SubmitSM:
				_ = append(b.ShortMessage, 0xFF, 0xFF, 0xFF)
				b.TLVs.SetMessageState(StateDelivered)
				if b.ServiceType != "CMT" || b.Dest.Addr != "821012345678" {
					t.Fatalf("fields changed: %+v", b)
				}
			}
		})
	}
}

func TestCommandNames(t *testing.T) {
	for c := range commandNames {
		if c.IsResponse() != strings.HasSuffix(c.String(), "_resp") && c != GenericNackID {
			t.Errorf("%s: IsResponse %v", c, c.IsResponse())
		}
		if r := c.Response(); !c.IsResponse() && c != OutbindID && c != AlertNotificationID {
			if r.String() != c.String()+"_resp" {
				t.Errorf("%s.Response() = %s", c, r)
			}
		}
	}
	if got := CommandID(0x1234).String(); got != "command_id(0x1234)" {
		t.Errorf("unknown command: %q", got)
	}
	if got := StatusThrottled.String(); got != "ESME_RTHROTTLED" {
		t.Errorf("status name %q", got)
	}
	var err error = StatusThrottled
	if !errors.Is(err, StatusThrottled) || errors.Is(err, StatusMsgQFul) {
		t.Error("Status as error does not match itself only")
	}
}

func TestEncodeRejects(t *testing.T) {
	cases := []struct {
		name string
		p    *PDU
		err  error
	}{
		{"long source", &PDU{Body: &SubmitSM{Source: Address{Addr: strings.Repeat("1", 21)}}}, ErrBadCString},
		{"NUL in string", &PDU{Body: &SubmitSM{ServiceType: "a\x00"}}, ErrBadCString},
		{"long short message", &PDU{Body: &SubmitSM{ShortMessage: make([]byte, 255)}}, ErrShortMessage},
		{"mismatch", &PDU{Header: hdr(DeliverSMID, 0, 1), Body: &SubmitSM{}}, ErrCommandMismatch},
		{"body on enquire_link", &PDU{Header: hdr(EnquireLinkID, 0, 1), Body: &SubmitSMResp{}}, ErrCommandMismatch},
		{"no body on request", &PDU{Header: hdr(SubmitSMID, 0, 1)}, ErrBadField},
		{"unknown command", &PDU{Header: hdr(0x1234, 0, 1)}, ErrUnknownCommand},
		{"bad dest flag", &PDU{Body: &SubmitMulti{Dests: []DestAddress{{Flag: 3}}}}, ErrBadField},
		{"too many dests", &PDU{Body: &SubmitMulti{Dests: make([]DestAddress, 255)}}, ErrBadField},
	}
	for _, c := range cases {
		dst := []byte("keep")
		out, err := c.p.AppendTo(dst)
		if !errors.Is(err, c.err) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.err)
		}
		if string(out) != "keep" {
			t.Errorf("%s: dst changed to %q", c.name, out)
		}
	}
}

func TestTLVsGrowThenAddAllocatesNothing(t *testing.T) {
	id := []byte("1234567890\x00")
	allocs := testing.AllocsPerRun(100, func() {
		var tl TLVs
		tl.Grow(4 + len(id) + 4 + 1)
		_ = tl.Add(TagReceiptedMessageID, id)
		_ = tl.Add(TagMessageState, []byte{2})
		if tl.Len() != 2 {
			t.Fatal("two parameters added, Len", tl.Len())
		}
	})
	if allocs > 1 {
		t.Fatalf("Grow and two Adds: %v allocations, want 1", allocs)
	}
}

// TestTLVsUse: parameters added after Use go into the caller's room,
// without an allocation, and one that does not fit moves them out of it
// without writing past it.
func TestTLVsUse(t *testing.T) {
	id := []byte("1234567890\x00")
	var room [4 + 11 + 4 + 1 + 3]byte
	allocs := testing.AllocsPerRun(100, func() {
		var tl TLVs
		tl.Use(room[: len(room)-3 : len(room)-3])
		_ = tl.Add(TagReceiptedMessageID, id)
		_ = tl.Add(TagMessageState, []byte{2})
		if tl.Len() != 2 || &tl.Raw()[0] != &room[0] {
			t.Fatal("two parameters added, Len", tl.Len())
		}
	})
	if allocs != 0 {
		t.Fatalf("Use and two Adds: %v allocations, want 0", allocs)
	}
	room = [len(room)]byte{}
	var tl TLVs
	tl.Use(room[: len(room)-3 : len(room)-3])
	_ = tl.Add(TagReceiptedMessageID, id)
	_ = tl.Add(TagMessageState, []byte{2})
	_ = tl.Add(TagMessageState, []byte{3})
	if room[len(room)-3] != 0 || tl.Len() != 3 || &tl.Raw()[0] == &room[0] {
		t.Fatalf("an Add past the room: room %x, Len %d", room, tl.Len())
	}
	if v, _ := tl.ReceiptedMessageID(); v != "1234567890" {
		t.Fatalf("receipted_message_id %q", v)
	}
}
