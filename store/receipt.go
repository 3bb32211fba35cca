package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// Receipt is a delivery result from a carrier (deliver_sm) or Kakao, keyed
// by the carrier's message id, already normalised by the caller.
type Receipt struct {
	// Carrier is the account the receipt came from (Options.Accounts): the
	// SMSC login whose binds all bring its receipts, the carrier's name
	// when it is its own account.
	Carrier      string
	CarrierMsgID string
	Delivered    bool // success; otherwise a failure
	Final        bool // false for interim states (ENROUTE, ACCEPTD, ...)
	Result       message.Result
	At           time.Time // when the result happened; zero means now
	// Arrived is when the relay read the receipt, on the clock that stamps
	// a submit's SentAt; zero means the time of the write. A parked
	// receipt applies only to a message sent at or before it. The write's
	// own time will not do: a group commit takes the time it started
	// collecting, which may be before the submit that caused the receipt.
	Arrived time.Time
	// Submitted and Done are the receipt's own dates (its text's submit
	// date: and done date:), on the carrier's clock, to the minute; zero
	// when it gives none. Skew is how far that clock may be from the
	// relay's, the time a submit_sm takes from its write to the carrier
	// included. They tell which submit a receipt is for when the message
	// that holds its id could not have caused it (carriers reuse ids).
	Submitted, Done time.Time
	Skew            time.Duration
	// LocalOnly keeps a receipt the store would park out of the parked
	// set: ApplyReceipt answers OutcomeUnknown and writes nothing. A
	// cluster node sets it, and hands such a receipt to the node that
	// sent its message.
	LocalOnly bool
}

// sentWindow is when, on the relay's clock, the submit_sm that caused rc
// was written: between from and to. ok is false when the receipt cannot
// tell: it gives no submit date, or no done date within Skew of its
// arrival. A carrier sends a receipt as soon as it has the result, so a
// done date further from the arrival is a clock off by more than Skew
// (or read in the wrong time zone), or a receipt held back; either way
// its dates are not trusted, and nothing is read from them.
func (rc *Receipt) sentWindow(arrived time.Time) (from, to time.Time, ok bool) {
	if rc.Submitted.IsZero() || rc.Done.IsZero() || rc.Done.Before(rc.Submitted) {
		return time.Time{}, time.Time{}, false
	}
	// A date to the minute covers [date, date+1m) of the carrier's clock.
	if arrived.Before(rc.Done.Add(-rc.Skew)) || arrived.After(rc.Done.Add(time.Minute+rc.Skew)) {
		return time.Time{}, time.Time{}, false
	}
	return rc.Submitted.Add(-rc.Skew), rc.Submitted.Add(time.Minute + rc.Skew), true
}

// The relation of a receipt to a message holding its carrier id.
const (
	relIts     = iota // the message's submit could have caused it
	relEarlier        // it is for a submit before the message's: an earlier holder's
	relLater          // it is for a submit after the message's: the id's next holder's
)

// relation places a receipt that arrived at arrived (zero: unknown), for
// a submit_sm written between from and to (zero: unknown), against a
// message whose submit_sm was written at sentAt. A receipt that arrived
// before the submit was written, or says its submit came before, is an
// earlier holder's; one that says its submit came after is the next
// holder's.
func relation(sentAt, arrived, from, to time.Time) int {
	switch {
	case (!arrived.IsZero() && arrived.Before(sentAt)) || (!to.IsZero() && sentAt.After(to)):
		return relEarlier
	case !from.IsZero() && sentAt.Before(from):
		return relLater
	}
	return relIts
}

// Outcome says what a receipt did.
type Outcome uint8

const (
	OutcomeApplied   Outcome = 1 // the message took its final state
	OutcomeDuplicate Outcome = 2 // the message was already final: nothing changed
	OutcomeParked    Outcome = 3 // no message holds the id for it yet: kept until one records it
	OutcomeLate      Outcome = 4 // the message had expired: counted, nothing changed
	OutcomeInterim   Outcome = 5 // not a final result: nothing changed
	OutcomeUnmatched Outcome = 6 // for an earlier holder of the id than the message holding it: dropped
	OutcomeUnknown   Outcome = 7 // LocalOnly, and it would be parked: nothing changed
)

var outcomeNames = [...]string{"", "applied", "duplicate", "parked", "late", "interim", "unmatched", "unknown"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && o != 0 {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// ApplyReceipt correlates a receipt with its message and applies it in one
// synced batch. It is ApplyReceipts of one receipt.
func (s *Store) ApplyReceipt(ctx context.Context, rc Receipt) (Outcome, error) {
	var out [1]Applied
	if err := s.ApplyReceipts(ctx, []Receipt{rc}, out[:]); err != nil {
		return 0, err
	}
	return out[0].Outcome, out[0].Err
}

// Applied is the answer to one receipt of ApplyReceipts.
type Applied struct {
	Outcome Outcome
	Err     error // the receipt was not applied: ErrInvalid, or a read that failed
}

// ApplyReceipts correlates many receipts with their messages and applies
// them as one write of the commit pipeline, synced once, in order: a
// later receipt sees what an earlier one did (the second of two receipts
// for one message is its duplicate). It is what a bind's deliver_sm
// handler uses for the receipts that arrived together. Each receipt is
// answered in out (len(rcs)), as ApplyReceipt would answer it; a receipt
// that fails before it writes anything fails alone. The error is for the
// whole batch: nothing of it was applied.
func (s *Store) ApplyReceipts(ctx context.Context, rcs []Receipt, out []Applied) error {
	// The op writes only into res: do may return on ctx while the op still
	// runs, and then out must not be shared with it.
	res := make([]Applied, len(rcs))
	refused := make([]error, len(rcs))
	valid := 0
	for i := range rcs {
		if refused[i] = checkReceipt(&rcs[i]); refused[i] == nil {
			valid++
		}
	}
	if valid > 0 {
		err := s.do(ctx, func(w *writer) error {
			for i := range rcs {
				if refused[i] != nil {
					continue
				}
				before := w.g.writes
				o, err := w.receipt(rcs[i])
				if err != nil && w.g.writes != before {
					// Half-written: the whole group is aborted (Store.run),
					// so no receipt of it is applied.
					return err
				}
				res[i] = Applied{Outcome: o, Err: err}
			}
			return nil
		})
		if err != nil {
			for i := range out {
				out[i] = Applied{Err: cmp.Or(refused[i], err)}
			}
			return err
		}
	}
	for i := range out {
		if refused[i] != nil {
			out[i] = Applied{Err: refused[i]}
			continue
		}
		out[i] = res[i]
		if out[i].Err == nil {
			s.countOutcome(out[i].Outcome)
		}
	}
	return nil
}

// checkReceipt refuses a receipt the store cannot index.
func checkReceipt(rc *Receipt) error {
	switch {
	case rc.CarrierMsgID == "":
		return fmt.Errorf("%w: receipt without a carrier message id", ErrInvalid)
	case len(rc.Carrier) > maxKeyString:
		return fmt.Errorf("%w: receipt: %w", ErrInvalid, &message.FieldError{Field: "carrier", Len: len(rc.Carrier), Max: maxKeyString})
	case len(rc.CarrierMsgID) > maxKeyString:
		return fmt.Errorf("%w: receipt: %w", ErrInvalid, &message.FieldError{Field: "carrier_msg_id", Len: len(rc.CarrierMsgID), Max: maxKeyString})
	}
	return nil
}

// receipt correlates one receipt and applies it. Runs on buildLoop.
func (w *writer) receipt(rc Receipt) (Outcome, error) {
	if rc.At.IsZero() {
		rc.At = w.now
	}
	// Without the time the receipt was read, the write's own time can
	// still check its dates, but not that it came after the holder's
	// submit (Receipt.Arrived).
	p := parkedReceipt{Receipt: rc, ParkedAt: cmp.Or(rc.Arrived, w.now)}
	var dated bool
	p.SentFrom, p.SentTo, dated = rc.sentWindow(p.ParkedAt)
	var kb keyBuf
	key := appendDLRKey(kb[:0], tDLR, rc.Carrier, rc.CarrierMsgID)
	if !w.s.dlrs.mayContain(key) {
		return w.park(&p) // no message has recorded the id
	}
	v, ok, err := w.get(key)
	if err != nil {
		return 0, err
	}
	if !ok {
		return w.park(&p)
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("dlr index: %w", ErrCorrupt)
	}
	r, err := w.load(idAt(v))
	if err != nil {
		return 0, err
	}
	rel := relation(r.SentAt, rc.Arrived, p.SentFrom, p.SentTo)
	if rel == relIts && !dated && reissued(r, w.now, w.s.opts.ParkedTTL) {
		rel = relLater
	}
	switch rel {
	case relLater:
		return w.park(&p)
	case relEarlier:
		return OutcomeUnmatched, nil
	}
	return w.applyReceipt(r, rc)
}

func (s *Store) countOutcome(o Outcome) {
	switch o {
	case OutcomeApplied:
		s.m.rcptApplied.Inc()
	case OutcomeDuplicate:
		s.m.rcptDuplicate.Inc()
	case OutcomeParked:
		s.m.rcptParked.Inc()
	case OutcomeLate:
		s.m.rcptLate.Inc()
	case OutcomeInterim:
		s.m.rcptInterim.Inc()
	case OutcomeUnmatched:
		s.m.rcptUnmatched.Inc()
	}
}

// reissued reports whether a receipt arriving at now under the id of
// message r, with no dates to place it by, is more likely another
// message's: r ended (delivered or failed) longer than ttl ago, so the
// carrier has handed its id out again, and the receipt is for a submit
// whose answer the relay has not recorded yet. It is parked for that
// message. A carrier's duplicate of r's own receipt comes within minutes
// of it; a receipt after an expiry stays late.
func reissued(r *rec, now time.Time, ttl time.Duration) bool {
	return (r.State == message.StateDelivered || r.State == message.StateFailed) && now.Sub(r.FinalAt) >= ttl
}

// applyReceipt runs on buildLoop.
func (w *writer) applyReceipt(r *rec, rc Receipt) (Outcome, error) {
	switch {
	case r.State == message.StateExpired:
		// Art. 5-3: a result after the window changes nothing.
		return OutcomeLate, nil
	case r.State.Final():
		return OutcomeDuplicate, nil
	case !rc.Final:
		return OutcomeInterim, nil
	}
	to := message.StateFailed
	if rc.Delivered {
		to = message.StateDelivered
	}
	err := w.move(r, to, func(m *message.Message) {
		m.Result, m.FinalAt = rc.Result, rc.At
	})
	return OutcomeApplied, err
}

// DefaultParkedTTL is the default of Options.ParkedTTL. A receipt that
// overtakes its submit_sm_resp is parked until the relay records the id;
// that takes the response's round trip and one store write, seconds at
// worst. A receipt still parked minutes later belongs to a submit whose id
// the relay never recorded (lost in a crash, sent again under a new id), or
// to no submit of ours: kept longer, it could only be applied to the wrong
// message, once the carrier hands its id out again.
const DefaultParkedTTL = 10 * time.Minute

// parkedReceipt is a receipt waiting for its submit response. ParkedAt is
// when it arrived: only a message whose submit_sm was written at or before
// that instant can have caused it (matches). SentFrom and SentTo are when
// its own dates say that submit_sm was written (Receipt.sentWindow), zero
// when they cannot tell.
type parkedReceipt struct {
	Receipt
	ParkedAt         time.Time
	SentFrom, SentTo time.Time
	// Once: the key was absent when this receipt was parked, so it is set
	// once and its removal can be a SingleDelete. Receipts parked by a
	// release before it was kept read as false.
	Once bool
}

// matches reports whether the receipt can be m's, sent on a carrier of
// account: it arrived on a bind of that account (the key says so) no
// earlier than m's submit_sm was written (SentAt), and its dates, if it
// has any to go by, put its submit where m's was. A receipt that arrived
// before the submit went out is for an earlier holder of the id.
func (p *parkedReceipt) matches(m *message.Message, account string) bool {
	return p.Carrier == account && relation(m.SentAt, p.ParkedAt, p.SentFrom, p.SentTo) == relIts
}

// parkedV2 is the version byte of a parked receipt:
//
//	02 │ parked at │ at │ sent from │ sent to │ flags(1) │ source(1) │ code │ reason
//
// times as varint unix ns (0 = zero time), code and reason as uvarint
// length + bytes; flags: bit 0 delivered, bit 1 final, bit 2 set once (no
// receipt was parked under the id before it; earlier releases leave it
// 0, and ignore it). Version 1 has no sent from and sent to. Part of the
// on-disk format.
const (
	parkedV1 = 1
	parkedV2 = 2
)

func encodeParked(p *parkedReceipt) []byte {
	var flags byte
	if p.Delivered {
		flags |= 1
	}
	if p.Final {
		flags |= 2
	}
	if p.Once {
		flags |= 4
	}
	// One allocation: the version, four varint times, flags and source,
	// and the two fields with their lengths.
	b := make([]byte, 0, 1+4*binary.MaxVarintLen64+2+2*binary.MaxVarintLen32+len(p.Result.Code)+len(p.Result.Reason))
	b = append(b, parkedV2)
	b = appendTime(b, p.ParkedAt)
	b = appendTime(b, p.At)
	b = appendTime(b, p.SentFrom)
	b = appendTime(b, p.SentTo)
	b = append(b, flags, byte(p.Result.Source))
	b = appendField(b, p.Result.Code)
	return appendField(b, p.Result.Reason)
}

func decodeParked(b []byte, p *parkedReceipt) error {
	d := decoder{b: b}
	v := d.byte1()
	if v != parkedV1 && v != parkedV2 {
		return ErrCorrupt
	}
	p.ParkedAt = d.time()
	p.At = d.time()
	if v == parkedV2 {
		p.SentFrom, p.SentTo = d.time(), d.time()
	}
	flags := d.byte1()
	p.Result.Source = message.Source(d.byte1())
	// The two strings share one allocation: the rest of the value.
	rest, base := string(d.b), len(d.b)
	p.Result.Code = d.strIn(rest, base)
	p.Result.Reason = d.strIn(rest, base)
	if d.err != nil || len(d.b) != 0 {
		return ErrCorrupt
	}
	p.Delivered, p.Final, p.Once = flags&1 != 0, flags&2 != 0, flags&4 != 0
	return nil
}

// parked returns the receipt parked under a carrier id, or nil.
func (w *writer) parked(carrier, carrierMsgID string) (*parkedReceipt, error) {
	var kb keyBuf
	key := appendDLRKey(kb[:0], tParked, carrier, carrierMsgID)
	if w.s.hot.noParked(key) {
		return nil, nil
	}
	v, ok, err := w.get(key)
	if err != nil || !ok {
		return nil, err
	}
	p := &parkedReceipt{}
	if err := decodeParked(v, p); err != nil {
		return nil, err
	}
	p.Carrier, p.CarrierMsgID = carrier, carrierMsgID
	return p, nil
}

// park keeps a receipt whose carrier id is not recorded yet. A final
// receipt replaces a parked interim one; anything else is a duplicate.
func (w *writer) park(p *parkedReceipt) (Outcome, error) {
	rc := &p.Receipt
	if rc.LocalOnly {
		return OutcomeUnknown, nil
	}
	old, err := w.parked(rc.Carrier, rc.CarrierMsgID)
	if err != nil {
		return 0, err
	}
	if old != nil && (old.Final || !rc.Final) {
		return OutcomeDuplicate, nil
	}
	key := dlrKey(tParked, rc.Carrier, rc.CarrierMsgID)
	if old == nil {
		// Absent: set once, so its removal can be a SingleDelete; and if
		// its message takes it in this group, neither the receipt nor its
		// removal reaches Pebble.
		p.Once = true
		return OutcomeParked, w.setFresh(key, encodeParked(p))
	}
	p.Once = false // set over the interim one
	return OutcomeParked, w.set(key, encodeParked(p))
}

// DropStaleParked deletes parked receipts older than Options.ParkedTTL at
// now, at most limit of them, counting each as dropped: no message took
// its id in time. It returns how many it dropped.
func (s *Store) DropStaleParked(ctx context.Context, now time.Time, limit int) (int, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: []byte{tParked}, UpperBound: []byte{tParked + 1},
	})
	if err != nil {
		return 0, err
	}
	var stale [][]byte
	for ok := it.First(); ok && len(stale) < limit; ok = it.Next() {
		var p parkedReceipt
		if err := decodeParked(it.Value(), &p); err != nil {
			it.Close()
			return 0, fmt.Errorf("parked %x: %w", it.Key(), err)
		}
		if now.Sub(p.ParkedAt) >= s.opts.ParkedTTL {
			stale = append(stale, append([]byte(nil), it.Key()...))
		}
	}
	if err := it.Close(); err != nil || len(stale) == 0 {
		return 0, err
	}
	n := 0
	err = s.do(ctx, func(w *writer) error {
		for _, k := range stale {
			_, ok, err := w.get(k)
			if err != nil {
				return err
			}
			if ok {
				if err := w.del(k); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.m.parkedDropped.Add(n)
	return n, nil
}
