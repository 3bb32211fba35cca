package store

import (
	"encoding/binary"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// deltaV1 opens a state delta appended to a msg record (see the package
// doc). Part of the on-disk format.
const deltaV1 = 0xd1

// The fields a state delta may carry, as bits of its mask, in the order
// they follow it. Part of the on-disk format: never renumber, only append.
const (
	dState = 1 << iota
	dBilled
	dLeg
	dSource
	dAttempts
	dSentAt
	dFinalAt
	dCarrier
	dCarrierMsgID
	dResultCode
	dResultReason

	dAll = 1<<iota - 1
)

// maxDeltas bounds the bytes of deltas a record may carry before it is
// written whole again: a message retried many times would otherwise carry
// a delta for every attempt.
const maxDeltas = 256

// stateOnly reports whether b differs from a in state fields only, the
// ones a delta carries; anything else (a fallback leg's text, say) needs
// the record written whole.
func stateOnly(a, b *message.Message) bool {
	x, y := *a, *b
	clearState(&x)
	clearState(&y)
	return x == y
}

func clearState(m *message.Message) {
	m.State, m.Billed, m.Leg, m.Attempts = 0, 0, 0, 0
	m.Result = message.Result{}
	m.SentAt, m.FinalAt = time.Time{}, time.Time{}
	m.Carrier, m.CarrierMsgID = "", ""
}

// deltaMask is the set of state fields in which b differs from a.
func deltaMask(a, b *message.Message) uint64 {
	var mask uint64
	set := func(bit uint64, differ bool) {
		if differ {
			mask |= bit
		}
	}
	set(dState, a.State != b.State)
	set(dBilled, a.Billed != b.Billed)
	set(dLeg, a.Leg != b.Leg)
	set(dSource, a.Result.Source != b.Result.Source)
	set(dAttempts, a.Attempts != b.Attempts)
	set(dSentAt, timeNanos(a.SentAt) != timeNanos(b.SentAt))
	set(dFinalAt, timeNanos(a.FinalAt) != timeNanos(b.FinalAt))
	set(dCarrier, a.Carrier != b.Carrier)
	set(dCarrierMsgID, a.CarrierMsgID != b.CarrierMsgID)
	set(dResultCode, a.Result.Code != b.Result.Code)
	set(dResultReason, a.Result.Reason != b.Result.Reason)
	return mask
}

// appendDelta appends the delta that takes a record holding a to b.
func appendDelta(dst []byte, mask uint64, b *message.Message) []byte {
	dst = append(dst, deltaV1)
	dst = binary.AppendUvarint(dst, mask)
	for _, f := range [...]struct {
		bit uint64
		v   byte
	}{{dState, byte(b.State)}, {dBilled, byte(b.Billed)}, {dLeg, b.Leg}, {dSource, byte(b.Result.Source)}} {
		if mask&f.bit != 0 {
			dst = append(dst, f.v)
		}
	}
	if mask&dAttempts != 0 {
		dst = binary.AppendUvarint(dst, uint64(b.Attempts))
	}
	if mask&dSentAt != 0 {
		dst = appendTime(dst, b.SentAt)
	}
	if mask&dFinalAt != 0 {
		dst = appendTime(dst, b.FinalAt)
	}
	for _, f := range [...]struct {
		bit uint64
		v   string
	}{{dCarrier, b.Carrier}, {dCarrierMsgID, b.CarrierMsgID}, {dResultCode, b.Result.Code}, {dResultReason, b.Result.Reason}} {
		if mask&f.bit != 0 {
			dst = appendField(dst, f.v)
		}
	}
	return dst
}

// delta applies one delta to m. rest and base are as for strIn.
func (d *decoder) delta(m *message.Message, rest string, base int) {
	if d.byte1() != deltaV1 {
		d.fail()
		return
	}
	mask := d.uvarint()
	if mask&^dAll != 0 {
		d.fail()
		return
	}
	if mask&dState != 0 {
		m.State = message.State(d.byte1())
	}
	if mask&dBilled != 0 {
		m.Billed = message.Product(d.byte1())
	}
	if mask&dLeg != 0 {
		m.Leg = d.byte1()
	}
	if mask&dSource != 0 {
		m.Result.Source = message.Source(d.byte1())
	}
	if mask&dAttempts != 0 {
		att := d.uvarint()
		if att > 1<<32-1 {
			d.fail()
		}
		m.Attempts = uint32(att)
	}
	if mask&dSentAt != 0 {
		m.SentAt = d.time()
	}
	if mask&dFinalAt != 0 {
		m.FinalAt = d.time()
	}
	for _, f := range [...]struct {
		bit uint64
		p   *string
	}{{dCarrier, &m.Carrier}, {dCarrierMsgID, &m.CarrierMsgID}, {dResultCode, &m.Result.Code}, {dResultReason, &m.Result.Reason}} {
		if mask&f.bit != 0 {
			*f.p = d.strIn(rest, base)
		}
	}
}

func timeNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// writeRecord writes r's record: as a delta appended to the value it
// was loaded from when the moves since changed only state fields and the
// deltas stay small, else whole. Either way r then stands for what is
// stored, so a later move of the same op (a parked receipt applied at
// once) appends to it.
func (w *writer) writeRecord(r *rec) error {
	var kb [9]byte
	key := appendMsgKey(kb[:0], r.ID)
	mask := r.changed
	r.changed = 0
	if r.raw != nil && !r.whole {
		if mask == 0 {
			return nil // nothing to write: the stored record is r
		}
		n := len(r.raw)
		v := appendDelta(append(make([]byte, 0, n+64), r.raw...), mask, &r.Message)
		if len(v)-r.bodyLen <= maxDeltas {
			r.raw = v
			return w.merge(key, v, n)
		}
	}
	v := encodeRecord(nil, r)
	if err := w.set(key, v); err != nil {
		return err
	}
	r.raw, r.bodyLen, r.whole = v, len(v), false
	return nil
}
