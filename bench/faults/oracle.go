package faults

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/store"
)

// Verdict is what the oracle found. The pass criteria are Lost == 0,
// DoubleBilled == 0, BillingMismatch == 0, ConflictingReports == 0; the
// handset duplicates are bounded by the scenario.
type Verdict struct {
	Accepted int // messages the relay acknowledged
	// Final is the accepted messages in a final state in the store, after
	// the 48-hour expiry has been run for those still awaiting a receipt.
	Final             int
	Delivered, Failed int
	ExpiredByWindow   int // closed by the expiry: their receipt never came (dropped while the relay was down)
	Lost              int // acknowledged, but missing or not final
	DoubleBilled      int64
	BillingMismatch   int64
	// Billed is the customers' billing counters summed: what their
	// statements total.
	Billed int64
	// UnackedDelivered is delivered messages whose acknowledgement the
	// load never read (in flight when it stopped): at most its window.
	UnackedDelivered   int64
	ConflictingReports int // two different final states reported for one message
	MissingReports     int // final in the store, but never reported upstream
	// HandsetDuplicates is the carrier submits beyond the first of one
	// message; HandsetMax the most copies of one message.
	HandsetDuplicates, HandsetMax int
	// Examples of lost messages, for the failure message.
	Examples []string
	// FailedCodes counts the failed messages by result code, those closed
	// by the expiry excluded.
	FailedCodes map[string]int
}

func (v Verdict) String() string {
	return fmt.Sprintf("accepted=%d final=%d delivered=%d failed=%d expired_by_window=%d lost=%d double_billed=%d "+
		"billing_mismatch=%d unacked_delivered=%d conflicting_reports=%d missing_reports=%d handset_duplicates=%d handset_max=%d",
		v.Accepted, v.Final, v.Delivered, v.Failed, v.ExpiredByWindow, v.Lost, v.DoubleBilled,
		v.BillingMismatch, v.UnackedDelivered, v.ConflictingReports, v.MissingReports, v.HandsetDuplicates, v.HandsetMax)
}

// add sums o into v: the verdict over several nodes' stores.
func (v *Verdict) add(o Verdict) {
	v.Accepted += o.Accepted
	v.Final += o.Final
	v.Delivered += o.Delivered
	v.Failed += o.Failed
	v.ExpiredByWindow += o.ExpiredByWindow
	v.Lost += o.Lost
	v.DoubleBilled += o.DoubleBilled
	v.BillingMismatch += o.BillingMismatch
	v.Billed += o.Billed
	v.UnackedDelivered += o.UnackedDelivered
	v.ConflictingReports += o.ConflictingReports
	v.MissingReports += o.MissingReports
	v.HandsetDuplicates += o.HandsetDuplicates
	v.HandsetMax = max(v.HandsetMax, o.HandsetMax)
	v.Examples = append(v.Examples, o.Examples...)
	for code, n := range o.FailedCodes {
		if v.FailedCodes == nil {
			v.FailedCodes = map[string]int{}
		}
		v.FailedCodes[code] += n
	}
}

// Check opens the stopped relay's store at dir and judges the run: each
// acknowledged id must be final (after expiring what waits for a receipt
// past the 48-hour window), billed at most once, and the billing counters
// of each customer must agree with a recount. carriers' recorded submits
// give the handset duplicates. The store is changed (expiry) and closed.
func Check(dir string, customers []string, l *Loader, carriers []*Carrier) (Verdict, error) {
	return CheckAll(dir, customers, carriers, l)
}

// CheckAll is Check over the messages of several loaders (products).
func CheckAll(dir string, customers []string, carriers []*Carrier, loaders ...*Loader) (Verdict, error) {
	ls := make([]ledger, len(loaders))
	for i, l := range loaders {
		ls[i] = l
	}
	return checkLedgers(dir, customers, carriers, ls...)
}

// ledger is what a load knows of its messages, for the oracle.
type ledger interface {
	// acked is the acknowledged messages: a name for each (for the
	// failure message) → relay id.
	acked() map[string]string
	// Reports is the final states reported per relay id.
	Reports() map[string][]upstreampb.FinalState
	// handsetCopies counts, from the carriers' records, the submits of
	// its messages beyond the first, and the most copies of one.
	handsetCopies(carriers []*Carrier) (dups, most int)
}

func (l *Loader) acked() map[string]string {
	out := map[string]string{}
	for i, id := range l.IDs() {
		out[fmt.Sprintf("%s#%d", l.Prefix, i)] = id
	}
	return out
}

// checkLedgers is CheckAll over what any loads know.
func checkLedgers(dir string, customers []string, carriers []*Carrier, loaders ...ledger) (Verdict, error) {
	st, err := store.Open(dir, store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return Verdict{}, fmt.Errorf("faults: open store: %w", err)
	}
	defer st.Close()
	var v Verdict
	ctx := context.Background()
	// What a receipt never came for: the relay would expire it 48 h after
	// sending; do it now, as the relay would then.
	later := time.Now().Add(message.ResultWindow + time.Hour)
	for {
		ids, err := st.ExpireDue(ctx, later, 512)
		if err != nil {
			return v, fmt.Errorf("faults: expire: %w", err)
		}
		v.ExpiredByWindow += len(ids)
		if len(ids) < 512 {
			break
		}
	}
	ids, reports := map[string]string{}, map[string][]upstreampb.FinalState{}
	for _, l := range loaders {
		for k, id := range l.acked() {
			ids[k] = id
		}
		for id, rs := range l.Reports() {
			reports[id] = rs
		}
	}
	v.Accepted = len(ids)
	var delivered int64
	for i, sid := range ids {
		id, err := message.ParseID(sid)
		if err != nil {
			return v, err
		}
		m, err := st.Get(id)
		if err != nil || !m.State.Final() {
			v.Lost++
			if len(v.Examples) < 5 {
				state := "missing"
				if m != nil {
					state = m.State.String()
				}
				v.Examples = append(v.Examples, fmt.Sprintf("%s %s %s (%v)", i, sid, state, err))
			}
			continue
		}
		v.Final++
		if m.State == message.StateDelivered {
			v.Delivered++
			delivered++
		} else {
			v.Failed++
			if m.Result.Code != "expired" {
				if v.FailedCodes == nil {
					v.FailedCodes = map[string]int{}
				}
				v.FailedCodes[m.Result.Code+" "+m.Result.Reason]++
			}
		}
		rs := reports[sid]
		if len(rs) == 0 {
			v.MissingReports++
		}
		for _, r := range rs[min(1, len(rs)):] {
			if r != rs[0] {
				v.ConflictingReports++
				break
			}
		}
		if len(rs) > 0 && (rs[0] == upstreampb.FinalState_DELIVERED) != (m.State == message.StateDelivered) {
			v.ConflictingReports++
		}
	}
	var counted, recounted uint64
	for _, c := range customers {
		for _, month := range months() {
			got, err := st.MonthCounts(c, month)
			if err != nil {
				return v, err
			}
			want, err := st.Recount(c, month)
			if err != nil {
				return v, err
			}
			for p, n := range got {
				counted += n
				v.BillingMismatch += abs(int64(n) - int64(want[p]))
			}
			for p, n := range want {
				recounted += n
				if _, ok := got[p]; !ok {
					v.BillingMismatch += int64(n)
				}
			}
		}
	}
	// The counters are raised in the batch that makes a message delivered,
	// and delivered is final: counters above the delivered records are
	// double billing. Delivered records the load never saw acknowledged
	// (a submit in flight when the load stopped) are counted apart.
	v.Billed = int64(counted)
	if counted > recounted {
		v.DoubleBilled = int64(counted - recounted)
	}
	if int64(recounted) > delivered {
		v.UnackedDelivered = int64(recounted) - delivered
	}
	for _, l := range loaders {
		d, m := l.handsetCopies(carriers)
		v.HandsetDuplicates += d
		v.HandsetMax = max(v.HandsetMax, m)
	}
	return v, nil
}

// handsetCopies counts, from the carriers' records, the submits of the
// same message (by its unique text) beyond the first.
func (l *Loader) handsetCopies(carriers []*Carrier) (dups, most int) {
	copies := map[string]int{}
	for _, c := range carriers {
		for _, s := range c.Submitted() {
			text := string(s.SM.ShortMessage)
			if p, ok := s.SM.TLVs.MessagePayload(); ok {
				text = string(p)
			}
			if strings.HasPrefix(text, l.Prefix+" ") {
				copies[text]++
			}
		}
	}
	for _, n := range copies {
		dups += n - 1
		most = max(most, n)
	}
	return dups, most
}

// months are this month and the last, in the relay's billing zone.
func months() []string {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		loc = time.FixedZone("KST", 9*3600)
	}
	now := time.Now().In(loc)
	return []string{now.Format("2006-01"), now.AddDate(0, -1, 0).Format("2006-01")}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
