package upstream

import (
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// The four operations every message crosses (Submit, SubmitResp, Report,
// ReportAck) are encoded and decoded here by hand; every other frame goes
// through the protobuf runtime, which costs several times as much CPU a
// frame (reflection over the generated tables, an allocation per string).
// The wire format is the same: appendHot writes the bytes
// proto.MarshalOptions{Deterministic: true} writes (fields in number order,
// zero values left out), and decodeHot gives the message proto.Unmarshal
// gives. decodeHot takes only frames it can decode exactly: each field at
// most once (but ReportAck's repeated list), no field it does not know,
// valid UTF-8 in every string. For anything else it says no and the
// protobuf runtime decodes the frame, merging repeated messages, keeping
// unknown fields and refusing bad text as it always did. appendHot leaves
// to protobuf a frame with text that is not valid UTF-8, which protobuf
// refuses to write. FuzzHotFrame holds the two to the same answers.

// appendHot appends f's body (no length prefix) if its operation is one
// of the four; ok is false, and dst unchanged, otherwise.
func appendHot(dst []byte, f *upstreampb.Frame) (_ []byte, ok bool) {
	if len(f.ProtoReflect().GetUnknown()) != 0 {
		return dst, false
	}
	var num protowire.Number
	switch op := f.Op.(type) {
	case *upstreampb.Frame_Submit:
		num = 12
		if op.Submit == nil || len(op.Submit.ProtoReflect().GetUnknown()) != 0 {
			return dst, false
		}
	case *upstreampb.Frame_SubmitResp:
		num = 13
		if op.SubmitResp == nil || len(op.SubmitResp.ProtoReflect().GetUnknown()) != 0 {
			return dst, false
		}
	case *upstreampb.Frame_Report:
		num = 14
		if op.Report == nil || len(op.Report.ProtoReflect().GetUnknown()) != 0 {
			return dst, false
		}
	case *upstreampb.Frame_ReportAck:
		num = 15
		if op.ReportAck == nil || len(op.ReportAck.ProtoReflect().GetUnknown()) != 0 {
			return dst, false
		}
	default:
		return dst, false
	}
	if !validText(f) {
		return dst, false // protobuf refuses it, with its error
	}
	dst = appendUint(dst, 1, uint64(f.Seq))
	dst = protowire.AppendTag(dst, num, protowire.BytesType)
	// The body goes after a one-byte length; a longer length moves it.
	at := len(dst)
	dst = append(dst, 0)
	switch op := f.Op.(type) {
	case *upstreampb.Frame_Submit:
		dst = appendSubmit(dst, op.Submit)
	case *upstreampb.Frame_SubmitResp:
		dst = appendSubmitResp(dst, op.SubmitResp)
	case *upstreampb.Frame_Report:
		dst = appendReport(dst, op.Report)
	case *upstreampb.Frame_ReportAck:
		dst = appendReportAck(dst, op.ReportAck)
	}
	n := len(dst) - at - 1
	if k := protowire.SizeVarint(uint64(n)); k > 1 {
		dst = append(dst, make([]byte, k-1)...)
		copy(dst[at+k:], dst[at+1:at+1+n])
	}
	protowire.AppendVarint(dst[at:at], uint64(n))
	return dst, true
}

// validText reports whether every string of f's operation is valid UTF-8,
// as proto3 requires of a string it writes.
func validText(f *upstreampb.Frame) bool {
	var fields []string
	switch op := f.Op.(type) {
	case *upstreampb.Frame_Submit:
		s := op.Submit
		fields = []string{s.ClientRef, s.Sender, s.Recipient, s.Text, s.Subject, s.SenderKey,
			s.TemplateCode, s.ButtonsJson, s.ImageUrl, s.Title}
	case *upstreampb.Frame_SubmitResp:
		r := op.SubmitResp
		fields = []string{r.MessageId, r.Reason, r.Field}
	case *upstreampb.Frame_Report:
		r := op.Report
		fields = []string{r.MessageId, r.ClientRef, r.Customer, r.ResultCode, r.ResultReason}
	}
	for _, s := range fields {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

func appendSubmit(b []byte, s *upstreampb.Submit) []byte {
	b = appendString(b, 1, s.ClientRef)
	b = appendUint(b, 2, uint64(int64(s.Product)))
	b = appendString(b, 3, s.Sender)
	b = appendString(b, 4, s.Recipient)
	b = appendString(b, 5, s.Text)
	b = appendString(b, 6, s.Subject)
	b = appendString(b, 7, s.SenderKey)
	b = appendString(b, 8, s.TemplateCode)
	b = appendString(b, 9, s.ButtonsJson)
	b = appendString(b, 10, s.ImageUrl)
	b = appendBool(b, 11, s.Ad)
	b = appendString(b, 12, s.Title)
	b = appendUint(b, 13, uint64(int64(s.Fallback)))
	b = appendBool(b, 14, s.Truncate)
	b = appendUint(b, 15, uint64(s.SendAtMs))
	return appendUint(b, 16, uint64(s.ExpiresAtMs))
}

func appendSubmitResp(b []byte, r *upstreampb.SubmitResp) []byte {
	b = appendUint(b, 1, uint64(int64(r.Status)))
	b = appendString(b, 2, r.MessageId)
	b = appendBool(b, 3, r.Duplicate)
	b = appendString(b, 4, r.Reason)
	b = appendString(b, 5, r.Field)
	b = appendUint(b, 6, uint64(r.Measured))
	b = appendUint(b, 7, uint64(r.Limit))
	return appendUint(b, 8, uint64(r.RetryAfterMs))
}

func appendReport(b []byte, r *upstreampb.Report) []byte {
	b = appendUint(b, 1, r.ReportSeq)
	b = appendString(b, 2, r.MessageId)
	b = appendString(b, 3, r.ClientRef)
	b = appendString(b, 4, r.Customer)
	b = appendUint(b, 5, uint64(int64(r.State)))
	b = appendUint(b, 6, uint64(int64(r.ResultSource)))
	b = appendString(b, 7, r.ResultCode)
	b = appendString(b, 8, r.ResultReason)
	b = appendUint(b, 9, uint64(int64(r.Billed)))
	b = appendUint(b, 10, uint64(r.AcceptedAtMs))
	b = appendUint(b, 11, uint64(r.SentAtMs))
	b = appendUint(b, 12, uint64(r.FinalAtMs))
	return appendUint(b, 13, uint64(int64(r.Product)))
}

// appendReportAck writes the list packed, as proto3 does.
func appendReportAck(b []byte, a *upstreampb.ReportAck) []byte {
	if len(a.ReportSeqs) == 0 {
		return b
	}
	n := 0
	for _, v := range a.ReportSeqs {
		n += protowire.SizeVarint(v)
	}
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	for _, v := range a.ReportSeqs {
		b = protowire.AppendVarint(b, v)
	}
	return b
}

func appendUint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

func appendBool(b []byte, num protowire.Number, v bool) []byte {
	if !v {
		return b
	}
	return append(protowire.AppendTag(b, num, protowire.VarintType), 1)
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendVarint(protowire.AppendTag(b, num, protowire.BytesType), uint64(len(s)))
	return append(b, s...)
}

// hotSubmit is a decoded Submit allocated together with its oneof wrapper.
type hotSubmit struct {
	w upstreampb.Frame_Submit
	s upstreampb.Submit
}

// submitPool recycles the server's decoded Submits. A Handler keeps no
// request after SubmitBatch returns, and the strings of a request are
// allocated apart (see pbReader), so a worker gives each Submit back,
// emptied, once its batch is answered; what the handler kept of the
// strings stays valid.
var submitPool = sync.Pool{New: func() any { return new(hotSubmit) }}

// putSubmit empties x, dropping its strings, and gives it back to
// submitPool.
func putSubmit(x *hotSubmit) {
	*x = hotSubmit{}
	submitPool.Put(x)
}

// decodeHot decodes body into f if it is one of the four operations in a
// form it decodes exactly (see above); false leaves f to proto.Unmarshal.
// With submits set, a Submit is taken from it (the caller gives it back,
// see submitPool) and returned as sub; otherwise it is allocated, and sub
// is nil.
func decodeHot(body []byte, f *upstreampb.Frame, submits *sync.Pool) (sub *hotSubmit, ok bool) {
	r := pbReader{b: body}
	var seq uint64
	var num protowire.Number
	var op []byte
	for {
		n, typ, st := r.next()
		if st == pbEnd {
			break
		}
		if st == pbOther {
			return nil, false
		}
		switch {
		case n == 1 && typ == protowire.VarintType:
			v, ok := r.varint()
			if !ok {
				return nil, false
			}
			seq = v
		case n >= 12 && n <= 15 && typ == protowire.BytesType && num == 0:
			v, _, ok := r.bytes()
			if !ok {
				return nil, false
			}
			num, op = n, v
		default:
			return nil, false
		}
	}
	// f is reset now: when a submessage turns out to be one for protobuf,
	// proto.Unmarshal resets it again.
	f.Reset()
	f.Seq = uint32(seq)
	// Each operation is allocated together with its oneof wrapper.
	switch num {
	case 12:
		var x *hotSubmit
		if submits != nil {
			x = submits.Get().(*hotSubmit)
		} else {
			x = new(hotSubmit)
		}
		x.w.Submit, f.Op = &x.s, &x.w
		if !decodeSubmit(op, &x.s) {
			return nil, false // x is left to the collector: protobuf takes over f
		}
		if submits != nil {
			sub = x
		}
		return sub, true
	case 13:
		x := new(struct {
			w upstreampb.Frame_SubmitResp
			s upstreampb.SubmitResp
		})
		x.w.SubmitResp, f.Op = &x.s, &x.w
		return nil, decodeSubmitResp(op, &x.s)
	case 14:
		x := new(struct {
			w upstreampb.Frame_Report
			s upstreampb.Report
		})
		x.w.Report, f.Op = &x.s, &x.w
		return nil, decodeReport(op, &x.s)
	case 15:
		x := new(struct {
			w upstreampb.Frame_ReportAck
			s upstreampb.ReportAck
		})
		x.w.ReportAck, f.Op = &x.s, &x.w
		return nil, decodeReportAck(op, &x.s)
	}
	return nil, false
}

// decodeSubmit decodes b into s, which is new.
func decodeSubmit(b []byte, s *upstreampb.Submit) bool {
	r := pbReader{b: b}
	for {
		n, typ, st := r.next()
		if st == pbEnd {
			return true
		}
		if st == pbOther {
			return false
		}
		var ok bool
		switch n {
		case 1:
			s.ClientRef, ok = r.str(typ)
		case 2:
			var v uint64
			v, ok = r.varintOf(typ)
			s.Product = upstreampb.Product(int32(v))
		case 3:
			s.Sender, ok = r.str(typ)
		case 4:
			s.Recipient, ok = r.str(typ)
		case 5:
			s.Text, ok = r.str(typ)
		case 6:
			s.Subject, ok = r.str(typ)
		case 7:
			s.SenderKey, ok = r.str(typ)
		case 8:
			s.TemplateCode, ok = r.str(typ)
		case 9:
			s.ButtonsJson, ok = r.str(typ)
		case 10:
			s.ImageUrl, ok = r.str(typ)
		case 11:
			var v uint64
			v, ok = r.varintOf(typ)
			s.Ad = v != 0
		case 12:
			s.Title, ok = r.str(typ)
		case 13:
			var v uint64
			v, ok = r.varintOf(typ)
			s.Fallback = upstreampb.Fallback(int32(v))
		case 14:
			var v uint64
			v, ok = r.varintOf(typ)
			s.Truncate = v != 0
		case 15:
			var v uint64
			v, ok = r.varintOf(typ)
			s.SendAtMs = int64(v)
		case 16:
			var v uint64
			v, ok = r.varintOf(typ)
			s.ExpiresAtMs = int64(v)
		}
		if !ok {
			return false
		}
	}
}

// decodeSubmitResp decodes b into s, which is new.
func decodeSubmitResp(b []byte, s *upstreampb.SubmitResp) bool {
	r := pbReader{b: b}
	for {
		n, typ, st := r.next()
		if st == pbEnd {
			return true
		}
		if st == pbOther {
			return false
		}
		var ok bool
		var v uint64
		switch n {
		case 1:
			v, ok = r.varintOf(typ)
			s.Status = upstreampb.Status(int32(v))
		case 2:
			s.MessageId, ok = r.str(typ)
		case 3:
			v, ok = r.varintOf(typ)
			s.Duplicate = v != 0
		case 4:
			s.Reason, ok = r.str(typ)
		case 5:
			s.Field, ok = r.str(typ)
		case 6:
			v, ok = r.varintOf(typ)
			s.Measured = int64(v)
		case 7:
			v, ok = r.varintOf(typ)
			s.Limit = int64(v)
		case 8:
			v, ok = r.varintOf(typ)
			s.RetryAfterMs = uint32(v)
		}
		if !ok {
			return false
		}
	}
}

// decodeReport decodes b into s, which is new.
func decodeReport(b []byte, s *upstreampb.Report) bool {
	r := pbReader{b: b}
	for {
		n, typ, st := r.next()
		if st == pbEnd {
			return true
		}
		if st == pbOther {
			return false
		}
		var ok bool
		var v uint64
		switch n {
		case 1:
			s.ReportSeq, ok = r.varintOf(typ)
		case 2:
			s.MessageId, ok = r.str(typ)
		case 3:
			s.ClientRef, ok = r.str(typ)
		case 4:
			s.Customer, ok = r.str(typ)
		case 5:
			v, ok = r.varintOf(typ)
			s.State = upstreampb.FinalState(int32(v))
		case 6:
			v, ok = r.varintOf(typ)
			s.ResultSource = upstreampb.ResultSource(int32(v))
		case 7:
			s.ResultCode, ok = r.str(typ)
		case 8:
			s.ResultReason, ok = r.str(typ)
		case 9:
			v, ok = r.varintOf(typ)
			s.Billed = upstreampb.Product(int32(v))
		case 10:
			v, ok = r.varintOf(typ)
			s.AcceptedAtMs = int64(v)
		case 11:
			v, ok = r.varintOf(typ)
			s.SentAtMs = int64(v)
		case 12:
			v, ok = r.varintOf(typ)
			s.FinalAtMs = int64(v)
		case 13:
			v, ok = r.varintOf(typ)
			s.Product = upstreampb.Product(int32(v))
		}
		if !ok {
			return false
		}
	}
}

// decodeReportAck takes the list packed, unpacked, or both, in as many
// pieces as it comes: protobuf concatenates them.
func decodeReportAck(b []byte, a *upstreampb.ReportAck) bool {
	for len(b) > 0 {
		n, typ, k := protowire.ConsumeTag(b)
		if k < 0 || n != 1 {
			return false
		}
		b = b[k:]
		switch typ {
		case protowire.VarintType:
			v, k := protowire.ConsumeVarint(b)
			if k < 0 {
				return false
			}
			a.ReportSeqs = append(a.ReportSeqs, v)
			b = b[k:]
		case protowire.BytesType:
			list, k := protowire.ConsumeBytes(b)
			if k < 0 {
				return false
			}
			b = b[k:]
			if a.ReportSeqs == nil {
				a.ReportSeqs = make([]uint64, 0, len(list)) // at least one byte each
			}
			for len(list) > 0 {
				v, k := protowire.ConsumeVarint(list)
				if k < 0 {
					return false
				}
				a.ReportSeqs = append(a.ReportSeqs, v)
				list = list[k:]
			}
		default:
			return false
		}
	}
	return true
}

// pbReader walks the fields of one message. Its strings are slices of one
// copy of the whole message (all), made at the first string: one
// allocation for every string of a message.
type pbReader struct {
	b    []byte // what is left
	msg  []byte // the whole message
	all  string // a copy of msg, once a string was read
	seen uint64 // the field numbers read so far, below 64
}

type pbStep int

const (
	pbField pbStep = iota // a field of a known number, not seen before
	pbEnd                 // the message ended
	pbOther               // anything decodeHot leaves to protobuf
)

// next reads the next field's tag. It stops (pbOther) at a malformed tag,
// a field number of 64 or more, or one seen before.
func (r *pbReader) next() (protowire.Number, protowire.Type, pbStep) {
	if r.msg == nil {
		r.msg = r.b
	}
	if len(r.b) == 0 {
		return 0, 0, pbEnd
	}
	n, typ, k := protowire.ConsumeTag(r.b)
	if k < 0 || n >= 64 || r.seen&(1<<n) != 0 {
		return 0, 0, pbOther
	}
	r.seen |= 1 << n
	r.b = r.b[k:]
	return n, typ, pbField
}

func (r *pbReader) varint() (uint64, bool) {
	v, k := protowire.ConsumeVarint(r.b)
	if k < 0 {
		return 0, false
	}
	r.b = r.b[k:]
	return v, true
}

func (r *pbReader) varintOf(typ protowire.Type) (uint64, bool) {
	if typ != protowire.VarintType {
		return 0, false
	}
	return r.varint()
}

// bytes reads a length-delimited value and its offset in the message.
func (r *pbReader) bytes() ([]byte, int, bool) {
	v, k := protowire.ConsumeBytes(r.b)
	if k < 0 {
		return nil, 0, false
	}
	at := len(r.msg) - len(r.b) + k - len(v)
	r.b = r.b[k:]
	return v, at, true
}

// str reads a string field: valid UTF-8, as proto3 requires.
func (r *pbReader) str(typ protowire.Type) (string, bool) {
	if typ != protowire.BytesType {
		return "", false
	}
	v, at, ok := r.bytes()
	if !ok || !utf8.Valid(v) {
		return "", false
	}
	if len(v) == 0 {
		return "", true
	}
	if r.all == "" {
		r.all = string(r.msg)
	}
	return r.all[at : at+len(v)], true
}
