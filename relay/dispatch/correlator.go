package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

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
type correlator struct {
	st  *store.Store
	m   *dispatchMetrics
	log *rateLog
}

func (r *correlator) handler(c *carrier) smpp.DeliverHandler {
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
			r.log.Warn("dispatch: unreadable receipt", "carrier", c.name, "err", err)
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
		if out == store.OutcomeLate {
			r.log.Warn("dispatch: receipt after the result window", "carrier", c.name, "id", rc.ID)
		}
		return nil
	}
}

// rateLog logs at most one line per message text and interval; the rest
// are counted by metrics.
type rateLog struct {
	log   *slog.Logger
	every time.Duration

	mu struct {
		sync.Mutex
		last map[string]time.Time
	}
}

func newRateLog(log *slog.Logger, every time.Duration) *rateLog {
	l := &rateLog{log: log, every: every}
	l.mu.last = map[string]time.Time{}
	return l
}

func (l *rateLog) Warn(msg string, args ...any) {
	now := time.Now()
	l.mu.Lock()
	ok := now.Sub(l.mu.last[msg]) >= l.every
	if ok {
		l.mu.last[msg] = now
	}
	l.mu.Unlock()
	if ok {
		l.log.Warn(msg, args...)
	}
}
