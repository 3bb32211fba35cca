package pdu

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"unsafe"
)

// Maximum lengths of the C-Octet string fields, terminating NUL included, as
// SMPP 3.4 section 5.2 sets them. Part of the wire format.
const (
	maxSystemID     = 16
	maxPassword     = 9
	maxSystemType   = 13
	maxAddressRange = 41
	maxServiceType  = 6
	maxAddr         = 21 // source_addr, destination_addr of most commands
	maxAddrLong     = 65 // data_sm and alert_notification addresses
	maxTime         = 17 // schedule_delivery_time, validity_period, final_date
	maxMessageID    = 65
	maxDLName       = 21
	// MaxShortMessage is the largest short_message SMPP 3.4 allows
	// (sm_length 0..254); longer texts go in the message_payload TLV or
	// are split into segments.
	MaxShortMessage = 254
	// maxDests is the largest number_of_dests of submit_multi.
	maxDests = 254
)

// decoder reads mandatory fields from a body. The first failure sticks; the
// methods after it return zero values.
//
// Strings point into b without copying: b is a buffer this package owns and
// never writes to again, so it stays immutable for the PDU's lifetime.
type decoder struct {
	b   []byte
	off int
	err *fieldError
}

func (d *decoder) fail(status Status, sentinel error, field string) {
	if d.err == nil {
		d.err = errField(status, sentinel, field)
	}
}

func (d *decoder) u8(field string) uint8 {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail(StatusInvCmdLen, ErrTruncated, field)
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) u32(field string) uint32 {
	if d.err != nil {
		return 0
	}
	if len(d.b)-d.off < 4 {
		d.fail(StatusInvCmdLen, ErrTruncated, field)
		return 0
	}
	v := binary.BigEndian.Uint32(d.b[d.off:])
	d.off += 4
	return v
}

// cstring reads a C-Octet string of at most max octets, NUL included. An
// overlong or unterminated string fails with status, the field's own code.
func (d *decoder) cstring(max int, status Status, field string) string {
	if d.err != nil {
		return ""
	}
	rest := d.b[d.off:]
	lim := min(len(rest), max)
	i := bytes.IndexByte(rest[:lim], 0)
	if i < 0 {
		if len(rest) < max {
			d.fail(StatusInvCmdLen, ErrTruncated, field)
		} else {
			d.fail(status, ErrBadCString, field)
		}
		return ""
	}
	d.off += i + 1
	if i == 0 {
		return ""
	}
	return unsafe.String(&rest[0], i)
}

func (d *decoder) address(max int, status Status, field string) Address {
	return Address{
		TON:  d.u8(field),
		NPI:  d.u8(field),
		Addr: d.cstring(max, status, field),
	}
}

// shortMessage reads sm_length and short_message. The slice's capacity is
// clipped so that appending to it cannot write over the fields after it.
func (d *decoder) shortMessage() []byte {
	n := int(d.u8("sm_length"))
	if d.err != nil {
		return nil
	}
	if n > MaxShortMessage || n > len(d.b)-d.off {
		d.fail(StatusInvMsgLen, ErrShortMessage, "short_message")
		return nil
	}
	if n == 0 {
		return nil
	}
	m := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return m
}

// tlvs takes the rest of the body as optional parameters, checking that they
// tile it exactly and that the known ones have the length SMPP 3.4 gives.
func (d *decoder) tlvs() TLVs {
	if d.err != nil {
		return TLVs{}
	}
	rest := d.b[d.off:]
	d.off = len(d.b)
	for b := rest; len(b) > 0; {
		if len(b) < tlvHeaderLen {
			d.fail(StatusInvOptParStream, ErrBadTLV, "truncated tag")
			return TLVs{}
		}
		tag := Tag(binary.BigEndian.Uint16(b))
		n := int(binary.BigEndian.Uint16(b[2:]))
		if n > len(b)-tlvHeaderLen {
			d.fail(StatusInvOptParStream, ErrBadTLV, fmt.Sprintf("%#04x runs past the body", uint16(tag)))
			return TLVs{}
		}
		if want, ok := fixedTLVLen(tag); ok && want != n {
			d.fail(StatusInvOptParLen, ErrBadTLV, fmt.Sprintf("%#04x has length %d, want %d", uint16(tag), n, want))
			return TLVs{}
		}
		switch {
		case tag == TagReceiptedMessageID && n > maxReceiptedMessageID,
			tag == TagAdditionalStatusInfoText && n > maxAdditionalStatusInfoText:
			d.fail(StatusInvOptParamVal, ErrBadTLV, fmt.Sprintf("%#04x longer than allowed", uint16(tag)))
			return TLVs{}
		}
		b = b[tlvHeaderLen+n:]
	}
	if len(rest) == 0 {
		return TLVs{}
	}
	return TLVs{raw: rest[:len(rest):len(rest)]}
}

// encoder appends fields to b. The first failure sticks.
type encoder struct {
	b   []byte
	err error
}

func (e *encoder) u8(v uint8) { e.b = append(e.b, v) }

func (e *encoder) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }

func (e *encoder) cstring(s string, max int, field string) {
	if e.err != nil {
		return
	}
	if len(s) >= max {
		e.err = fmt.Errorf("%w: %s longer than %d octets", ErrBadCString, field, max-1)
		return
	}
	if strings.IndexByte(s, 0) >= 0 {
		e.err = fmt.Errorf("%w: %s contains NUL", ErrBadCString, field)
		return
	}
	e.b = append(append(e.b, s...), 0)
}

func (e *encoder) address(a Address, max int, field string) {
	e.u8(a.TON)
	e.u8(a.NPI)
	e.cstring(a.Addr, max, field)
}

func (e *encoder) shortMessage(m []byte) {
	if e.err != nil {
		return
	}
	if len(m) > MaxShortMessage {
		e.err = fmt.Errorf("%w: %d octets, at most %d", ErrShortMessage, len(m), MaxShortMessage)
		return
	}
	e.b = append(append(e.b, uint8(len(m))), m...)
}

func (e *encoder) tlvs(t TLVs) { e.b = append(e.b, t.raw...) }
