package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync/atomic"
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
// forget it. Any bind of the carrier account may bring any receipt, a bind
// of another [[carrier]] entry of the account too: the lookup key is
// (account, normalised message id), not the bind or the entry.
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
	// lastReason is the last result reason made from a status and an
	// error code: a carrier's receipts mostly repeat one.
	lastReason atomic.Pointer[receiptReason]
}

// receiptReason is a result reason and the status and error code it was
// made of.
type receiptReason struct{ code, err, reason string }

// reason is a receipt's result reason: its status, and its error code if
// it has one.
func (r *correlator) reason(code, errCode string) string {
	if errCode == "" {
		return code
	}
	if v := r.lastReason.Load(); v != nil && v.code == code && v.err == errCode {
		return v.reason
	}
	v := &receiptReason{code: code, err: errCode, reason: code + " err:" + errCode}
	r.lastReason.Store(v)
	return v.reason
}

// Elsewhere takes the receipts whose carrier ids this relay's store does
// not know: in a cluster, their messages may be another node's. Forward
// returns once each receipt is durable where the node that sent its
// message reads it, or has failed; contents[i] is receipt i as the carrier
// sent it, errs[i] its error. A bind's batch goes in one call, so the
// writes can go out together. An error makes the correlator refuse that
// deliver_sm, so the carrier sends it again.
type Elsewhere interface {
	Forward(ctx context.Context, rcs []store.Receipt, contents [][]byte, errs []error)
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

// handler is batch for one deliver_sm at a time.
func (r *correlator) handler(c *carrier) smpp.DeliverHandler {
	batch := r.batch(c)
	return func(ctx context.Context, d *pdu.DeliverSM) error {
		var errs [1]error
		batch(ctx, []*pdu.DeliverSM{d}, errs[:])
		return errs[0]
	}
}

// read is a receipt as read from a deliver_sm: the store's receipt, and
// what its answer needs.
type read struct {
	rc store.Receipt
	readInfo
}

// readInfo is what a receipt's answer needs besides the store's receipt.
// A batch keeps it apart from the receipts, which go to the store as they
// are: the receipts are not copied a second time.
type readInfo struct {
	id   string // as the carrier sent it, for the log
	text []byte
	tl   receipt.TLVs
	at   int // index in the batch
}

// batch correlates the deliver_sm a bind read together, in one store write
// (store.ApplyReceipts), and answers each.
func (r *correlator) batch(c *carrier) smpp.DeliverBatchHandler {
	return func(ctx context.Context, ds []*pdu.DeliverSM, errs []error) {
		arrived := r.now() // before any write: the submits that caused them were stamped earlier
		rcs := make([]store.Receipt, 0, len(ds))
		infos := make([]readInfo, 0, len(ds))
		for i, d := range ds {
			if rd, ok := r.read(c, d, arrived); ok {
				rd.at = i
				rcs = append(rcs, rd.rc)
				infos = append(infos, rd.readInfo)
			}
		}
		if len(rcs) == 0 {
			return
		}
		out := make([]store.Applied, len(rcs))
		_ = r.st.ApplyReceipts(ctx, rcs, out) // each answer is in out
		var away []int                        // reads for Elsewhere
		for i := range rcs {
			if out[i].Err == nil && out[i].Outcome == store.OutcomeUnknown {
				away = append(away, i)
				continue
			}
			errs[infos[i].at] = r.answer(c, &rcs[i], &infos[i], out[i])
		}
		if len(away) > 0 {
			r.forward(ctx, c, rcs, infos, away, errs)
		}
	}
}

// read parses a deliver_sm into a receipt; false means it is answered
// with an acknowledgement as it is (a mobile-originated message, or a
// receipt nobody can read).
func (r *correlator) read(c *carrier, d *pdu.DeliverSM, arrived time.Time) (read, bool) {
	if d.ESMClass&0x3C != 0x04 {
		// A mobile-originated message: the relay carries none upstream
		// yet; acknowledge it so the carrier does not resend it forever.
		r.m.mo.Inc()
		return read{}, false
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
		return read{}, false
	}
	class := rc.Class()
	code := rc.StatText
	if code == "" {
		code = rc.Stat.String()
	}
	reason := r.reason(code, rc.Err)
	return read{
		rc: store.Receipt{
			Carrier:      c.account,
			CarrierMsgID: receipt.Normalize(rc.ID, c.cfg.ReceiptIDs),
			Delivered:    class == receipt.ClassSuccess,
			Final:        class != receipt.ClassIntermediate,
			Result:       message.Result{Source: message.SourceReceipt, Code: code, Reason: reason},
			Arrived:      arrived,
			Submitted:    rc.Submitted,
			Done:         rc.Done,
			Skew:         c.cfg.ReceiptClockSkew,
			LocalOnly:    r.elsewhere != nil,
		},
		readInfo: readInfo{id: rc.ID, text: text, tl: tl},
	}, true
}

// answer turns what the store did with a receipt into the deliver_sm's
// answer: nil acknowledges it.
func (r *correlator) answer(c *carrier, rc *store.Receipt, rd *readInfo, a store.Applied) error {
	out, err := a.Outcome, a.Err
	switch {
	case errors.Is(err, store.ErrInvalid):
		// The store can never keep it (no id, an id over
		// message.MaxIndexed bytes): no message can be its, today or
		// after any number of resends. Acknowledge it, count it.
		c.m.receiptInvalid.Inc()
		r.warn(c, "receipt_invalid", "dispatch: receipt no message can take dropped", "id", logcap.Cut(rd.id), "err", err)
		return nil
	case err != nil:
		// Not durable: refuse, the carrier sends it again.
		r.m.storeErrors.Inc()
		return err
	}
	c.m.receipt(out)
	switch out {
	case store.OutcomeLate:
		r.warn(c, "receipt_late", "dispatch: receipt after the result window", "id", logcap.Cut(rd.id))
	case store.OutcomeUnmatched:
		r.warn(c, "receipt_unmatched", "dispatch: receipt for an earlier holder of its id dropped", "id", logcap.Cut(rd.id),
			"submit_date", rc.Submitted, "done_date", rc.Done)
	}
	return nil
}

// forward hands the receipts at away, which the store does not know, to
// Elsewhere in one call; each deliver_sm is acknowledged only once its
// receipt is kept there (counted by Elsewhere).
func (r *correlator) forward(ctx context.Context, c *carrier, rcs []store.Receipt, infos []readInfo, away []int, errs []error) {
	fwd := make([]store.Receipt, len(away))
	contents := make([][]byte, len(away))
	for k, i := range away {
		rd := &infos[i]
		fwd[k] = rcs[i]
		fwd[k].LocalOnly = false
		content := make([]byte, 0, len(rd.text)+len(rd.tl.ReceiptedMessageID)+len(rd.tl.NetworkErrorCode)+4)
		content = append(content, rd.text...)
		content = append(content, 0)
		content = append(content, rd.tl.ReceiptedMessageID...)
		content = append(content, 0, rd.tl.MessageState)
		content = append(content, rd.tl.NetworkErrorCode...)
		contents[k] = content
	}
	ferrs := make([]error, len(away))
	r.elsewhere.Forward(ctx, fwd, contents, ferrs)
	for k, i := range away {
		if err := ferrs[k]; err != nil {
			// Not kept: refuse it, the carrier sends it again.
			r.warn(c, "receipt_forward", "dispatch: receipt not forwarded; the carrier will resend it", "err", err)
			errs[infos[i].at] = err
		}
	}
}
