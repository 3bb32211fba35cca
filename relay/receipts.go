package relay

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/receipt"
	"github.com/msgrelay/relay/store"
)

// correlator turns a carrier's deliver_sm into a durable result. It runs on
// the session's handler workers; the session answers deliver_sm_resp only
// after it returns nil, so a receipt is on disk before the carrier may
// forget it. Any bind of the carrier may bring any receipt: the lookup key is
// (carrier, normalised message id), not the bind.
type correlator struct {
	st      *store.Store
	reports *reportHub
	m       *relayMetrics
	log     *rateLog
}

func (r *correlator) handler(c *carrier) func(ctx context.Context, d *pdu.DeliverSM) error {
	return func(ctx context.Context, d *pdu.DeliverSM) error {
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
			r.log.Warn("relay: unreadable receipt", "carrier", c.name, "err", err)
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
		})
		if err != nil {
			// Not durable: refuse, the carrier sends it again.
			r.m.storeErrors.Inc()
			return err
		}
		r.m.receipt(c.name, out)
		if out == store.OutcomeApplied {
			r.reports.notify()
		}
		if out == store.OutcomeLate {
			r.log.Warn("relay: receipt after the result window", "carrier", c.name, "id", rc.ID)
		}
		return nil
	}
}

// rateLog logs at most one line per key and interval; the rest are counted
// by metrics.
type rateLog struct {
	log   *slog.Logger
	every time.Duration
	last  map[string]time.Time
	mu    chan struct{}
}

func newRateLog(log *slog.Logger, every time.Duration) *rateLog {
	return &rateLog{log: log, every: every, last: map[string]time.Time{}, mu: make(chan struct{}, 1)}
}

func (l *rateLog) Warn(msg string, args ...any) {
	l.mu <- struct{}{}
	now := time.Now()
	ok := now.Sub(l.last[msg]) >= l.every
	if ok {
		l.last[msg] = now
	}
	<-l.mu
	if ok {
		l.log.Warn(msg, args...)
	}
}
