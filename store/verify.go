package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/msgrelay/relay/relay/message"
)

// ErrInconsistent is returned by Verify when a record and its indexes
// disagree.
var ErrInconsistent = errors.New("store: inconsistent")

// Verify reads the whole store and checks that every index agrees with the
// message records: reference, receipt, open, due, customer and recipient
// entries point at records that need them and every record has the entries
// it needs; outbox reports name final messages; billing counters equal a
// recount of delivered messages, and the daily counters a recount of
// final and delivered messages by day. It is for tests and offline checks: it
// reads everything.
func (s *Store) Verify() error {
	snap := s.db.NewSnapshot()
	defer snap.Close()
	want := make(map[string]bool) // index keys the records need
	have := make(map[string]bool) // index keys present
	bills := make(map[string]uint64)
	days := make(map[string]uint64) // daily counters, recounted
	dlrOwners := make(map[string][]message.ID)
	awaited := make(map[string]bool)     // receipt index keys a waiting message needs
	legacyOpen := make(map[string]bool)  // open entries a message may still have
	sendAt := make(map[message.ID]int64) // scheduled messages' send times, unix ms
	var problems []string
	bad := func(format string, args ...any) {
		if len(problems) < 10 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	// A message at or above the due watermark may be in the due window,
	// its key not written yet; one below it that is not final has its key.
	mark, found, err := readDueMark(snap)
	if err != nil {
		return err
	}
	if !found || !s.win.on() {
		mark = math.MaxUint64 // every key written at acceptance, or by Open
	}
	maybe := make(map[string]bool) // due keys of the window's messages
	it, err := snap.NewIter(nil)
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k, v := it.Key(), it.Value()
		switch k[0] {
		case tMsg:
			var r rec
			if err := decodeRecord(v, &r); err != nil {
				bad("record %x: %v", k, err)
				continue
			}
			m := &r.Message
			id := m.ID.Bytes()
			if m.ClientRef != "" {
				want[string(refKey(m.Customer, m.ClientRef))+"="+string(id[:])] = true
			}
			if m.CarrierMsgID != "" {
				// Carriers reuse message ids: the entry names the latest
				// message that recorded the id, and must be there while any
				// message with the id waits for its receipt. (An older
				// holder may wait still, its receipt lost with a carrier's
				// restart, when a newer one records the id.)
				k := string(dlrKey(tDLR, s.account(m.Carrier), m.CarrierMsgID))
				dlrOwners[k] = append(dlrOwners[k], m.ID)
				if m.State.AwaitingResult() {
					awaited[k] = true
				}
			}
			if !m.State.Final() {
				legacyOpen[string(openKey(m.ID))] = true
			} else if m.FinalAt.Before(m.SentAt) {
				bad("message %s: final at %v, before its send at %v", m.ID, m.FinalAt, m.SentAt)
			}
			if k := s.dueOf(m); k != nil && m.ID >= mark {
				maybe[string(k)+"="] = true
			} else if k != nil {
				want[string(k)+"="] = true
			}
			want[string(custKey(m.Customer, m.ID))+"="] = true
			if !m.NotBefore.IsZero() {
				sendAt[m.ID] = m.NotBefore.UnixMilli()
			}
			if m.Recipient != "" && !r.Purged {
				want[string(rcptKey(m.Customer, m.Recipient, m.ID))+"="] = true
			}
			if m.State == message.StateDelivered {
				bills[string(billKey(m.Customer, billingMonth(m.FinalAt), m.Billed))]++
				days[string(dayKey(m.Customer, seoulDay(m.FinalAt), m.Product, dayDelivered))]++
			}
			if m.State.Final() {
				days[string(dayKey(m.Customer, seoulDay(m.FinalAt), m.Product, dayFinal))]++
			}
		case tDLR:
			ok := false
			for _, id := range dlrOwners[string(k)] {
				b := id.Bytes()
				ok = ok || string(b[:]) == string(v)
			}
			if !ok {
				bad("receipt index %x names %x, not a message with that id", k, v)
			}
			delete(awaited, string(k))
		case tOpen:
			// Left by a release that kept the open table, until Recover
			// removes it: only a message not final may have one.
			if !legacyOpen[string(k)] || len(v) != 0 {
				bad("stray open entry %x", k)
			}
		case tRef, tDue, tCust, tRcpt:
			have[string(k)+"="+string(v)] = true
		case tBill:
			if len(v) != 8 || binary.BigEndian.Uint64(v) != bills[string(k)] {
				bad("bill counter %x = %x, recount %d", k, v, bills[string(k)])
			}
			delete(bills, string(k))
		case tDaily:
			if len(v) != 8 || binary.BigEndian.Uint64(v) != days[string(k)] {
				bad("daily counter %x = %x, recount %d", k, v, days[string(k)])
			}
			delete(days, string(k))
		case tSched:
			if at, ok := sendAt[idAt(k)]; len(k) != 17 || !ok || int64(binary.BigEndian.Uint64(k[1:9])) != at {
				bad("sched key %x names no message scheduled then", k)
			}
		case tOutbox:
			var rp Report
			if err := decodeReport(v, &rp); err != nil {
				bad("report %x: %v", k, err)
			} else if !rp.State.Final() {
				bad("report %x of a message not final", k)
			}
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	for k := range want {
		if !have[k] {
			bad("missing index entry %x", k)
		}
	}
	for k := range awaited {
		bad("missing receipt index entry %x", k)
	}
	for k := range have {
		if !want[k] && !maybe[k] {
			bad("stray index entry %x", k)
		}
	}
	for k, n := range bills {
		bad("no bill counter %x for %d deliveries", k, n)
	}
	for k, n := range days {
		bad("no daily counter %x for %d messages", k, n)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %q", ErrInconsistent, problems)
	}
	return nil
}
