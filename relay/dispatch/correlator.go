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
	// elsewhere, when set, takes the receipts the store cannot correlate
	// (Options.Elsewhere).
	elsewhere Elsewhere
}

// Elsewhere takes a receipt whose carrier id this relay's store does not
// know: in a cluster, the message may be another node's. Forward returns
// once the receipt is durable where the node that sent its message reads
// it; content is the receipt as the carrier sent it. An error makes the
// correlator refuse the deliver_sm, so the carrier sends it again.
type Elsewhere interface {
	Forward(ctx context.Context, rc store.Receipt, content []byte) error
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
		src := store.Receipt{
			Carrier:      c.name,
			CarrierMsgID: receipt.Normalize(rc.ID, c.cfg.ReceiptIDs),
			Delivered:    class == receipt.ClassSuccess,
			Final:        class != receipt.ClassIntermediate,
			Result:       message.Result{Source: message.SourceReceipt, Code: code, Reason: reason},
			Arrived:      arrived,
			Submitted:    rc.Submitted,
			Done:         rc.Done,
			Skew:         c.cfg.ReceiptClockSkew,
			LocalOnly:    r.elsewhere != nil,
		}
		out, err := r.st.ApplyReceipt(ctx, src)
		if err == nil && out == store.OutcomeUnknown {
			return r.forward(ctx, c, src, text, &tl)
		}
		switch {
		case errors.Is(err, store.ErrInvalid):
			// The store can never keep it (no id, an id over
			// message.MaxIndexed bytes): no message can be its, today or
			// after any number of resends. Acknowledge it, count it.
			c.m.receiptInvalid.Inc()
			r.warn(c, "receipt_invalid", "dispatch: receipt no message can take dropped", "id", logcap.Cut(rc.ID), "err", err)
			return nil
		case err != nil:
			// Not durable: refuse, the carrier sends it again.
			r.m.storeErrors.Inc()
			return err
		}
		c.m.receipt(out)
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

// forward hands a receipt the store does not know to Elsewhere; the
// deliver_sm is acknowledged only once it is kept there.
func (r *correlator) forward(ctx context.Context, c *carrier, rc store.Receipt, text []byte, tl *receipt.TLVs) error {
	rc.LocalOnly = false
	content := make([]byte, 0, len(text)+len(tl.ReceiptedMessageID)+len(tl.NetworkErrorCode)+4)
	content = append(content, text...)
	content = append(content, 0)
	content = append(content, tl.ReceiptedMessageID...)
	content = append(content, 0, tl.MessageState)
	content = append(content, tl.NetworkErrorCode...)
	if err := r.elsewhere.Forward(ctx, rc, content); err != nil {
		// Not kept: refuse it, the carrier sends it again.
		r.warn(c, "receipt_forward", "dispatch: receipt not forwarded; the carrier will resend it", "err", err)
		return err
	}
	return nil // counted by Elsewhere
}
