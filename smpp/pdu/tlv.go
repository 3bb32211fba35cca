package pdu

import (
	"encoding/binary"
	"fmt"
	"iter"
	"slices"
)

// Tag is the tag of an optional parameter (TLV). Its values are part of the
// wire format (SMPP 3.4 section 5.3.2).
type Tag uint16

// Optional parameter tags of SMPP 3.4.
const (
	TagDestAddrSubunit          Tag = 0x0005
	TagDestNetworkType          Tag = 0x0006
	TagDestBearerType           Tag = 0x0007
	TagDestTelematicsID         Tag = 0x0008
	TagSourceAddrSubunit        Tag = 0x000D
	TagSourceNetworkType        Tag = 0x000E
	TagSourceBearerType         Tag = 0x000F
	TagSourceTelematicsID       Tag = 0x0010
	TagQosTimeToLive            Tag = 0x0017
	TagPayloadType              Tag = 0x0019
	TagAdditionalStatusInfoText Tag = 0x001D
	TagReceiptedMessageID       Tag = 0x001E
	TagMsMsgWaitFacilities      Tag = 0x0030
	TagPrivacyIndicator         Tag = 0x0201
	TagSourceSubaddress         Tag = 0x0202
	TagDestSubaddress           Tag = 0x0203
	TagUserMessageReference     Tag = 0x0204
	TagUserResponseCode         Tag = 0x0205
	TagSourcePort               Tag = 0x020A
	TagDestinationPort          Tag = 0x020B
	TagSarMsgRefNum             Tag = 0x020C
	TagLanguageIndicator        Tag = 0x020D
	TagSarTotalSegments         Tag = 0x020E
	TagSarSegmentSeqnum         Tag = 0x020F
	TagSCInterfaceVersion       Tag = 0x0210
	TagCallbackNumPresInd       Tag = 0x0302
	TagCallbackNumAtag          Tag = 0x0303
	TagNumberOfMessages         Tag = 0x0304
	TagCallbackNum              Tag = 0x0381
	TagDpfResult                Tag = 0x0420
	TagSetDpf                   Tag = 0x0421
	TagMsAvailabilityStatus     Tag = 0x0422
	TagNetworkErrorCode         Tag = 0x0423
	TagMessagePayload           Tag = 0x0424
	TagDeliveryFailureReason    Tag = 0x0425
	TagMoreMessagesToSend       Tag = 0x0426
	TagMessageState             Tag = 0x0427
	TagUssdServiceOp            Tag = 0x0501
	TagDisplayTime              Tag = 0x1201
	TagSmsSignal                Tag = 0x1203
	TagMsValidity               Tag = 0x1204
	TagAlertOnMessageDelivery   Tag = 0x130C
	TagItsReplyType             Tag = 0x1380
	TagItsSessionInfo           Tag = 0x1383
)

// tlvHeaderLen is the length of a TLV's tag and length fields.
const tlvHeaderLen = 4

// maxReceiptedMessageID and maxAdditionalStatusInfoText are the SMPP 3.4
// maximum lengths of those C-Octet string TLVs, NUL included.
const (
	maxReceiptedMessageID       = 65
	maxAdditionalStatusInfoText = 256
)

// fixedTLVLen gives the length SMPP 3.4 requires for the fixed-size
// parameters this package checks on decode.
func fixedTLVLen(t Tag) (int, bool) {
	switch t {
	case TagAlertOnMessageDelivery:
		return 0, true
	case TagDestAddrSubunit, TagDestNetworkType, TagDestBearerType,
		TagSourceAddrSubunit, TagSourceNetworkType, TagSourceBearerType,
		TagPayloadType, TagMsMsgWaitFacilities, TagPrivacyIndicator,
		TagUserResponseCode, TagLanguageIndicator, TagSarTotalSegments,
		TagSarSegmentSeqnum, TagSCInterfaceVersion, TagCallbackNumPresInd,
		TagNumberOfMessages, TagDpfResult, TagSetDpf, TagMsAvailabilityStatus,
		TagDeliveryFailureReason, TagMoreMessagesToSend, TagMessageState,
		TagUssdServiceOp, TagDisplayTime, TagMsValidity, TagItsReplyType:
		return 1, true
	case TagUserMessageReference, TagSourcePort, TagDestinationPort,
		TagSarMsgRefNum, TagSmsSignal, TagItsSessionInfo:
		return 2, true
	case TagNetworkErrorCode:
		return 3, true
	case TagQosTimeToLive:
		return 4, true
	}
	return 0, false
}

// TLVs holds the optional parameters of a PDU body in their encoded form, in
// the order they were received or added. Unknown tags are kept byte for byte
// and encoded again unchanged. The zero value is empty and ready to use.
//
// A decoded TLVs shares the PDU's buffer: the slices its getters return must
// not be modified. Setters never write into that buffer; they copy first.
type TLVs struct {
	raw []byte
}

// Raw returns the encoded parameters: tag, length and value, repeated.
func (t TLVs) Raw() []byte { return t.raw }

// Len returns the number of parameters.
func (t TLVs) Len() int {
	n := 0
	for range t.All() {
		n++
	}
	return n
}

// All iterates over the parameters in wire order.
func (t TLVs) All() iter.Seq2[Tag, []byte] {
	return func(yield func(Tag, []byte) bool) {
		b := t.raw
		for len(b) >= tlvHeaderLen {
			tag := Tag(binary.BigEndian.Uint16(b))
			n := int(binary.BigEndian.Uint16(b[2:])) + tlvHeaderLen
			if n > len(b) {
				return
			}
			if !yield(tag, b[tlvHeaderLen:n:n]) {
				return
			}
			b = b[n:]
		}
	}
}

// Get returns the value of the first parameter with the tag.
func (t TLVs) Get(tag Tag) ([]byte, bool) {
	for k, v := range t.All() {
		if k == tag {
			return v, true
		}
	}
	return nil, false
}

// Has reports whether a parameter with the tag is present.
func (t TLVs) Has(tag Tag) bool {
	_, ok := t.Get(tag)
	return ok
}

// Add appends a parameter, even if one with the same tag exists (some
// parameters, such as callback_num, may repeat). It fails with ErrBadTLV when
// the value is longer than 65535 octets.
func (t *TLVs) Add(tag Tag, v []byte) error {
	if len(v) > 0xFFFF {
		return fmt.Errorf("%w: %#04x longer than 65535 octets", ErrBadTLV, uint16(tag))
	}
	t.raw = binary.BigEndian.AppendUint16(t.raw, uint16(tag))
	t.raw = binary.BigEndian.AppendUint16(t.raw, uint16(len(v)))
	t.raw = append(t.raw, v...)
	return nil
}

// Grow makes room for n more octets of parameters (4 of tag and length
// each, and the values), so that the Adds that fill them allocate nothing.
func (t *TLVs) Grow(n int) { t.raw = slices.Grow(t.raw, n) }

// Use empties t and has the Adds that follow append into buf's room, from
// buf[:0]: a caller that allocates a body together with room for its
// parameters builds them without an allocation of their own. t writes
// nothing beyond buf's capacity (an Add past it copies to a new buffer),
// and buf must not be written to while t holds it.
func (t *TLVs) Use(buf []byte) { t.raw = buf[:0] }

// Set replaces every parameter with the tag by one holding v, placed where
// the first one was (or at the end).
func (t *TLVs) Set(tag Tag, v []byte) error {
	if len(v) > 0xFFFF {
		return fmt.Errorf("%w: %#04x longer than 65535 octets", ErrBadTLV, uint16(tag))
	}
	if !t.Has(tag) {
		return t.Add(tag, v)
	}
	var out TLVs
	out.raw = make([]byte, 0, len(t.raw)+len(v))
	done := false
	for k, old := range t.All() {
		if k != tag {
			_ = out.Add(k, old)
		} else if !done {
			_ = out.Add(k, v)
			done = true
		}
	}
	*t = out
	return nil
}

// Del removes every parameter with the tag.
func (t *TLVs) Del(tag Tag) {
	if !t.Has(tag) {
		return
	}
	var out TLVs
	out.raw = make([]byte, 0, len(t.raw))
	for k, v := range t.All() {
		if k != tag {
			_ = out.Add(k, v)
		}
	}
	*t = out
}

// Uint8 returns a one-octet integer parameter.
func (t TLVs) Uint8(tag Tag) (uint8, bool) {
	v, ok := t.Get(tag)
	if !ok || len(v) != 1 {
		return 0, false
	}
	return v[0], true
}

// Uint16 returns a two-octet integer parameter.
func (t TLVs) Uint16(tag Tag) (uint16, bool) {
	v, ok := t.Get(tag)
	if !ok || len(v) != 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}

// Uint32 returns a four-octet integer parameter.
func (t TLVs) Uint32(tag Tag) (uint32, bool) {
	v, ok := t.Get(tag)
	if !ok || len(v) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(v), true
}

// CString returns a C-Octet string parameter without its terminating NUL.
// A value sent without the NUL, as some SMSCs do, is returned whole.
func (t TLVs) CString(tag Tag) (string, bool) {
	v, ok := t.Get(tag)
	if !ok {
		return "", false
	}
	if n := len(v); n > 0 && v[n-1] == 0 {
		v = v[:n-1]
	}
	return string(v), true
}

// SetUint8 sets a one-octet integer parameter.
func (t *TLVs) SetUint8(tag Tag, v uint8) { _ = t.Set(tag, []byte{v}) }

// SetUint16 sets a two-octet integer parameter.
func (t *TLVs) SetUint16(tag Tag, v uint16) {
	_ = t.Set(tag, binary.BigEndian.AppendUint16(nil, v))
}

// SetUint32 sets a four-octet integer parameter.
func (t *TLVs) SetUint32(tag Tag, v uint32) {
	_ = t.Set(tag, binary.BigEndian.AppendUint32(nil, v))
}

// SetCString sets a C-Octet string parameter; the NUL is added.
func (t *TLVs) SetCString(tag Tag, s string) error {
	b := make([]byte, 0, len(s)+1)
	b = append(append(b, s...), 0)
	return t.Set(tag, b)
}
