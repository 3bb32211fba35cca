package smppserver

import (
	"errors"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
)

// esm_class bits (SMPP 3.4 5.2.12); part of the wire format.
const (
	esmTypeMask = 0x3C // message type: must be 0 (default) in a submit
	esmUDHI     = 0x40 // short_message starts with a user data header
	esmReceipt  = 0x04 // message type "delivery receipt", in deliver_sm
)

// TagSubject is the TLV an ESME may put an LMS subject in, in the
// submit's data_coding: SMPP 3.4 has none, and Korean carriers each name
// a vendor tag; this is the one the relay's own carriers default to
// (dispatch.SimSubject). Part of the wire format.
const TagSubject pdu.Tag = 0x1500

// productOf reads service_type (SMPP 3.4 5.2.11), which SMPP leaves to
// the SMSC to define: "SMS" and "LMS" choose the product, held to that
// product's limits; empty or "CMT" (cellular messaging, the default) is
// auto, SMS up to the SMS limit and LMS beyond. Any other is refused.
func productOf(serviceType string) (message.Product, bool) {
	switch strings.ToUpper(serviceType) {
	case "", "CMT":
		return message.ProductAuto, true
	case "SMS":
		return message.ProductSMS, true
	case "LMS":
		return message.ProductLMS, true
	}
	return message.ProductUnknown, false
}

// piece is one decoded submit: a whole message, or one part of a
// concatenated one waiting for its siblings.
type piece struct {
	sender, recipient string
	dc                coding.DataCoding
	payload           []byte // the text's octets, UDH removed
	part              bool
	concat            coding.Concat
	receipts          message.Receipts
	notBefore, expiry time.Time // schedule_delivery_time, validity_period; zero when not set
	product           message.Product
	subject           []byte // the TagSubject TLV's octets, in dc
}

// submitFields are the fields submit_sm and data_sm share.
type submitFields struct {
	serviceType        string
	src, dst           pdu.Address
	esmClass           uint8
	schedule, validity string
	registered         uint8 // registered_delivery
	dataCoding         uint8
	sm                 []byte
	tlvs               pdu.TLVs
}

func fieldsOfSubmit(b *pdu.SubmitSM) submitFields {
	return submitFields{b.ServiceType, b.Source, b.Dest, b.ESMClass, b.ScheduleDeliveryTime, b.ValidityPeriod, b.RegisteredDelivery,
		b.DataCoding, b.ShortMessage, b.TLVs}
}

func fieldsOfData(b *pdu.DataSM) submitFields {
	return submitFields{serviceType: b.ServiceType, src: b.Source, dst: b.Dest, esmClass: b.ESMClass,
		registered: b.RegisteredDelivery, dataCoding: b.DataCoding, tlvs: b.TLVs}
}

// readSubmit checks what SMPP says about a submit before the door sees it:
// the numbers, the times, the coding, the concatenation. now is the
// acceptance time, from which the message's 48-hour deadline counts.
func readSubmit(f submitFields, now time.Time) (piece, pdu.Status) {
	var p piece
	var st pdu.Status
	if p.sender, st = nationalNumber(f.src, pdu.StatusInvSrcTON, pdu.StatusInvSrcAdr); st != pdu.StatusOK {
		return p, st
	}
	if p.recipient, st = nationalNumber(f.dst, pdu.StatusInvDstTON, pdu.StatusInvDstAdr); st != pdu.StatusOK {
		return p, st
	}
	if f.esmClass&esmTypeMask != 0 {
		return p, pdu.StatusInvEsmClass
	}
	var ok bool
	if p.product, ok = productOf(f.serviceType); !ok {
		return p, pdu.StatusInvSerTyp // a service the relay does not offer
	}
	p.subject, _ = f.tlvs.Get(TagSubject)
	// The door holds both to the relay's own validity (door.Request).
	window := now.Add(message.ResultWindow)
	var err error
	if p.notBefore, err = parseTime(f.schedule, now); err != nil || p.notBefore.After(window) {
		return p, pdu.StatusInvSched // beyond the 48-hour result window
	}
	if p.expiry, err = parseTime(f.validity, now); err != nil || p.expiry.After(window) || (!p.expiry.IsZero() && !p.expiry.After(now)) {
		return p, pdu.StatusInvExpiry
	}
	p.receipts = receiptsAsked(f.registered)
	p.dc = coding.DataCoding(f.dataCoding).Alphabet()
	switch p.dc {
	case coding.GSM7, coding.IA5, coding.Latin1, coding.UCS2, coding.EUCKR:
	default:
		return p, pdu.StatusSubmitFail // binary or an alphabet Korean phones are not sent in
	}
	payload := f.sm
	if mp, ok := f.tlvs.MessagePayload(); ok {
		if len(payload) > 0 {
			return p, pdu.StatusInvOptParamVal // short_message and message_payload both set
		}
		payload = mp
	}
	if f.esmClass&esmUDHI != 0 {
		_, rest, c, ok, err := coding.ParseUDH(payload)
		if err != nil {
			return p, pdu.StatusInvEsmClass // UDHI set over a header that does not parse
		}
		payload, p.concat, p.part = rest, c, ok
	} else if ref, ok := f.tlvs.SarMsgRefNum(); ok {
		total, ok1 := f.tlvs.SarTotalSegments()
		seq, ok2 := f.tlvs.SarSegmentSeqnum()
		if !ok1 || !ok2 || total == 0 || seq == 0 || seq > total {
			return p, pdu.StatusInvOptParamVal
		}
		p.concat, p.part = coding.Concat{Ref: ref, Total: total, Seq: seq, Ref16: true}, true
	}
	if p.part && p.concat.Total == 1 {
		p.part = false
	}
	p.payload = payload
	return p, pdu.StatusOK
}

// request decodes a whole message's text and subject and makes the door's
// request: for product auto the door picks SMS or LMS by the EUC-KR
// length.
func (p *piece) request() (door.Request, pdu.Status) {
	text, err := p.dc.Decode(p.payload)
	if err != nil {
		if errors.Is(err, coding.ErrUnsupported) {
			return door.Request{}, pdu.StatusSubmitFail
		}
		return door.Request{}, pdu.StatusInvMsgLen // octets that are not text in the coding
	}
	var subject string
	if len(p.subject) > 0 {
		if subject, err = p.dc.Decode(p.subject); err != nil {
			return door.Request{}, pdu.StatusInvOptParamVal // a subject that is not text in the coding
		}
	}
	return door.Request{Product: p.product, Sender: p.sender, Recipient: p.recipient, Text: text, Subject: subject,
		Receipts: p.receipts, NotBefore: p.notBefore, Expires: p.expiry}, pdu.StatusOK
}

// receiptsAsked reads registered_delivery's SMSC receipt bits (SMPP 3.4
// 5.2.17): 0 none, 1 every final result, 2 failures only; 3 is reserved
// and read as every result, the safer side for an ESME that counts on one.
func receiptsAsked(registered uint8) message.Receipts {
	switch registered & 0x03 {
	case 0:
		return message.ReceiptsNone
	case 2:
		return message.ReceiptsFailures
	}
	return message.ReceiptsAll
}
