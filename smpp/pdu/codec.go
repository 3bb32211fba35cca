package pdu

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// AppendTo appends the encoded PDU to dst and returns the extended slice.
// It allocates nothing when dst has room for the PDU.
//
// The command_id written is Header.Command, or Body.CommandID() when that is
// zero; Header.Length is ignored (the real length is written). A request
// whose command has a body needs one; a response may have a nil Body, which
// encodes the header alone, as SMPP 3.4 wants for a failing status. On error
// dst is returned unchanged in length.
func (p *PDU) AppendTo(dst []byte) ([]byte, error) {
	h := p.Header
	var bc bodyCodec
	if p.Body != nil {
		var ok bool
		if bc, ok = p.Body.(bodyCodec); !ok {
			return dst, fmt.Errorf("%w: body type %T", ErrUnknownCommand, p.Body)
		}
		switch id := p.Body.CommandID(); {
		case h.Command == 0:
			h.Command = id
		case h.Command != id:
			return dst, fmt.Errorf("%w: header %s, body %s", ErrCommandMismatch, h.Command, id)
		}
	}
	kind, known := bodyKind(h.Command)
	switch {
	case !known:
		return dst, fmt.Errorf("%w: %s", ErrUnknownCommand, h.Command)
	case kind == noBody && bc != nil:
		return dst, fmt.Errorf("%w: %s", ErrUnexpectedBody, h.Command)
	case kind == requestBody && bc == nil:
		return dst, fmt.Errorf("%w: %s needs a body", ErrBadField, h.Command)
	}
	start := len(dst)
	dst = appendHeader(dst, h, 0)
	if bc != nil {
		var err error
		if dst, err = bc.encode(dst); err != nil {
			return dst[:start], err
		}
	}
	n := len(dst) - start
	if n > math.MaxUint32 {
		return dst[:start], fmt.Errorf("%w: %d octets", ErrCommandLength, n)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	return dst, nil
}

// Decode decodes b, which must hold exactly one PDU. maxLen bounds
// command_length (zero means DefaultMaxLen). Errors are *DecodeError.
//
// Decode copies the body once and makes every string and slice of the
// result point into that copy, so the result does not alias b, and a
// decoded PDU costs two allocations: the copy, and the PDU with its body;
// a body of at most 256 bytes (nearly every PDU but a long submit_multi) is
// copied into the PDU's allocation, one in all.
func Decode(b []byte, maxLen uint32) (*PDU, error) {
	if len(b) < HeaderLen {
		var h Header
		if len(b) >= 4 {
			h.Length = binary.BigEndian.Uint32(b)
		}
		return nil, &DecodeError{Header: h, Status: StatusInvCmdLen, Fatal: true, Err: ErrCommandLength}
	}
	h := parseHeader(b)
	if err := checkLength(h, effectiveMax(maxLen)); err != nil {
		return nil, err
	}
	if int(h.Length) != len(b) {
		return nil, &DecodeError{Header: h, Status: StatusInvCmdLen, Fatal: true,
			Err: fmt.Errorf("%w: %d, but %d octets given", ErrCommandLength, h.Length, len(b))}
	}
	body := b[HeaderLen:]
	if len(body) <= inlineBody {
		return decodeBody(h, body, false) // copied into the PDU
	}
	return decodeBody(h, bytes.Clone(body), true)
}

// Body kinds of the known commands.
const (
	noBody       = iota // never a body
	requestBody         // always a body
	responseBody        // a body, unless the status is an error
)

// bodyKind says whether command c has a body; ok is false for a command
// this package does not know.
func bodyKind(c CommandID) (kind int, ok bool) {
	switch c {
	case GenericNackID, UnbindID, UnbindRespID, EnquireLinkID, EnquireLinkRespID,
		CancelSMRespID, ReplaceSMRespID:
		return noBody, true
	case BindReceiverID, BindTransmitterID, BindTransceiverID, OutbindID, SubmitSMID,
		DeliverSMID, DataSMID, QuerySMID, CancelSMID, ReplaceSMID, SubmitMultiID,
		AlertNotificationID:
		return requestBody, true
	case BindReceiverRespID, BindTransmitterRespID, BindTransceiverRespID, SubmitSMRespID,
		DeliverSMRespID, DataSMRespID, QuerySMRespID, SubmitMultiRespID:
		return responseBody, true
	}
	return 0, false
}

// inlineBody is the longest body a PDU keeps inside its own allocation
// instead of in a buffer of its own: a submit_sm or deliver_sm of a short
// message or a receipt, and nearly every response. The PDU's room for it
// comes in four sizes, so that a body takes at most 64 octets more than a
// copy of its own would (which its size class rounds up too).
const (
	smallBody  = 64
	mediumBody = 128
	largeBody  = 192
	inlineBody = 256
)

// decodeBody decodes body as the body of the command in h. If owned, this
// package owns body from now on; otherwise body is at most inlineBody
// bytes the caller reuses, and the PDU copies it into its own allocation.
func decodeBody(h Header, body []byte, owned bool) (*PDU, error) {
	kind, known := bodyKind(h.Command)
	switch {
	case !known:
		return nil, &DecodeError{Header: h, Status: StatusInvCmdID, Err: ErrUnknownCommand}
	case kind == noBody && len(body) > 0:
		return nil, &DecodeError{Header: h, Status: StatusInvCmdLen, Err: ErrUnexpectedBody}
	case kind == noBody, kind == responseBody && len(body) == 0:
		return &PDU{Header: h}, nil
	}
	var p *PDU
	var bc bodyCodec
	switch h.Command {
	case BindReceiverID, BindTransmitterID, BindTransceiverID:
		var b *Bind
		p, b = newPDU[Bind](h, &body, owned)
		b.Kind, bc = h.Command, b
	case BindReceiverRespID, BindTransmitterRespID, BindTransceiverRespID:
		var b *BindResp
		p, b = newPDU[BindResp](h, &body, owned)
		b.Kind, bc = h.Command, b
	case OutbindID:
		p, bc = newPDU[Outbind](h, &body, owned)
	case SubmitSMID:
		p, bc = newPDU[SubmitSM](h, &body, owned)
	case SubmitSMRespID:
		p, bc = newPDU[SubmitSMResp](h, &body, owned)
	case DeliverSMID:
		p, bc = newPDU[DeliverSM](h, &body, owned)
	case DeliverSMRespID:
		p, bc = newPDU[DeliverSMResp](h, &body, owned)
	case DataSMID:
		p, bc = newPDU[DataSM](h, &body, owned)
	case DataSMRespID:
		p, bc = newPDU[DataSMResp](h, &body, owned)
	case QuerySMID:
		p, bc = newPDU[QuerySM](h, &body, owned)
	case QuerySMRespID:
		p, bc = newPDU[QuerySMResp](h, &body, owned)
	case CancelSMID:
		p, bc = newPDU[CancelSM](h, &body, owned)
	case ReplaceSMID:
		p, bc = newPDU[ReplaceSM](h, &body, owned)
	case SubmitMultiID:
		p, bc = newPDU[SubmitMulti](h, &body, owned)
	case SubmitMultiRespID:
		p, bc = newPDU[SubmitMultiResp](h, &body, owned)
	case AlertNotificationID:
		p, bc = newPDU[AlertNotification](h, &body, owned)
	}
	if err := bc.decode(body); err != nil {
		return nil, &DecodeError{Header: h, Status: err.status, Err: err.err}
	}
	return p, nil
}

// newPDU allocates a PDU and its body together, in one allocation; a body
// not owned goes in the same allocation, in the smallest of the four rooms
// it fits, and *raw then points to its copy.
func newPDU[B any, P interface {
	*B
	bodyCodec
}](h Header, raw *[]byte, owned bool) (*PDU, P) {
	var p *PDU
	var b *B
	switch n := len(*raw); {
	case owned:
		x := new(struct {
			p PDU
			b B
		})
		p, b = &x.p, &x.b
	case n <= smallBody:
		x := new(struct {
			p   PDU
			b   B
			buf [smallBody]byte
		})
		p, b = &x.p, &x.b
		*raw = x.buf[:copy(x.buf[:], *raw):n]
	case n <= mediumBody:
		x := new(struct {
			p   PDU
			b   B
			buf [mediumBody]byte
		})
		p, b = &x.p, &x.b
		*raw = x.buf[:copy(x.buf[:], *raw):n]
	case n <= largeBody:
		x := new(struct {
			p   PDU
			b   B
			buf [largeBody]byte
		})
		p, b = &x.p, &x.b
		*raw = x.buf[:copy(x.buf[:], *raw):n]
	default:
		x := new(struct {
			p   PDU
			b   B
			buf [inlineBody]byte
		})
		p, b = &x.p, &x.b
		*raw = x.buf[:copy(x.buf[:], *raw):n]
	}
	p.Header = h
	bp := P(b)
	p.Body = bp
	return p, bp
}
