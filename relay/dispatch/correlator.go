package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/logcap"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/receipt"
	"github.com/msgrelay/relay/store"
)

// correlator turns a carrier's deliver_sm into a durable result. It runs on
// the session's handler workers; the session answers deliver_sm_resp only
// after it returns nil, so a receipt is on disk before the carrier may
// forget it. Any bind of the carrier may bring any receipt: the lookup key is
// (carrier, normalised message id), not the bind.
//
// It answers each receipt by what can come of it: an error (the carrier
// sends it again) only when the store failed and a later try may succeed;
// an acknowledgement for everything else, counted, and logged at a bounded
// rate when it is dropped, since a carrier resends a refused receipt for as
// long as it is refused.
type correlator struct {
	now  func() time.Time // the clock that stamps a submit's SentAt
	st   *store.Store
	m    *dispatchMetrics
	log  *slog.Logger
	logs *logcap.Limiter // one budget per event and carrier
}

func newCorrelator(now func() time.Time, st *store.Store, m *dispatchMetrics, log *slog.Logger, set *metrics.Set) *correlator {
	return &correlator{now: now, st: st, m: m, log: log, logs: logcap.NewLimiter(set, "dispatch", 0.1, 5)}
}

// warn logs a line about carrier c's receipts if the budget of event for
// that carrier allows it; the rest are counted by metrics.
func (r *correlator) warn(c *carrier, event, msg string, args ...any) {
	if r.logs.Allow(event+"/"+c.name, netip.Addr{}) {
		r.log.Warn(msg, append([]any{"carrier", c.name}, args...)...)
	}
}

func (r *correlator) handler(c *carrier) smpp.DeliverHandler {
	return func(ctx context.Context, d *pdu.DeliverSM) error {
		arrived := r.now() // before any write: the submit that caused it was stamped earlier
		if d.ESMClass&0x3C != 0x04 {
			// A mobile-originated message: the relay carries none upstream
			// yet; acknowledge it so the carrier does not resend it forever.
			r.m.mo.Inc()
			return nil
		}
		text := d.ShortMessage
		if p, ok := d.TLVs.MessagePayload(); ok && len(text) == 0 {
			text = p
		}
		var tl receipt.TLVs
		tl.ReceiptedMessageID, _ = d.TLVs.ReceiptedMessageID()
		if ms, ok := d.TLVs.MessageState(); ok {
			tl.MessageState, tl.HasMessageState = uint8(ms), true
		}
		if nec, ok := d.TLVs.Get(pdu.TagNetworkErrorCode); ok {
			tl.NetworkErrorCode = nec
		}
		rc, err := receipt.Parse(string(text), tl, c.loc)
		if err != nil && !errors.Is(err, receipt.ErrNoStatus) {
			// Unreadable: acknowledging drops it, refusing would make the
			// carrier resend the same bytes forever. Count it and log it.
			r.m.receiptUnreadable.Inc()
			r.warn(c, "receipt_unreadable", "dispatch: unreadable receipt dropped", "err", err, "text", logcap.Cut(string(text)))
			return nil
		}
		class := rc.Class()
		code := rc.StatText
		if code == "" {
			code = rc.Stat.String()
		}
		reason := code
		if rc.Err != "" {
			reason += " err:" + rc.Err
		}
		out, err := r.st.ApplyReceipt(ctx, store.Receipt{
			Carrier:      c.name,
			CarrierMsgID: receipt.Normalize(rc.ID, c.cfg.ReceiptIDs),
			Delivered:    class == receipt.ClassSuccess,
			Final:        class != receipt.ClassIntermediate,
			Result:       message.Result{Source: message.SourceReceipt, Code: code, Reason: reason},
			Arrived:      arrived,
			Submitted:    rc.Submitted,
			Done:         rc.Done,
			Skew:         c.cfg.ReceiptClockSkew,
		})
		switch {
		case errors.Is(err, store.ErrInvalid):
			// The store can never keep it (no id, an id over
			// message.MaxIndexed bytes): no message can be its, today or
			// after any number of resends. Acknowledge it, count it.
			r.m.receiptInvalid[c.name].Inc()
			r.warn(c, "receipt_invalid", "dispatch: receipt no message can take dropped", "id", logcap.Cut(rc.ID), "err", err)
			return nil
		case err != nil:
			// Not durable: refuse, the carrier sends it again.
			r.m.storeErrors.Inc()
			return err
		}
		r.m.receipt(c.name, out)
		switch out {
		case store.OutcomeLate:
			r.warn(c, "receipt_late", "dispatch: receipt after the result window", "id", logcap.Cut(rc.ID))
		case store.OutcomeUnmatched:
			r.warn(c, "receipt_unmatched", "dispatch: receipt for an earlier holder of its id dropped", "id", logcap.Cut(rc.ID),
				"submit_date", rc.Submitted, "done_date", rc.Done)
		}
		return nil
	}
}
