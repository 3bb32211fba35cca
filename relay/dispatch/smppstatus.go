package dispatch

import (
	"context"
	"errors"
	"fmt"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
)

// classifySubmit is the one place that decides whether an SMPP answer is
// transient or permanent. Every status that fails a message says why.
func classifySubmit(ctx context.Context, err error) (verdict, message.Result) {
	if err == nil {
		return verdictSent, message.Result{}
	}
	if ctx.Err() != nil {
		return verdictAbandoned, message.Result{}
	}
	var st pdu.Status
	if errors.As(err, &st) {
		res := message.Result{Source: message.SourceSMPP, Code: fmt.Sprintf("0x%08X", uint32(st)), Reason: st.String()}
		switch st {
		case pdu.StatusThrottled, pdu.StatusMsgQFul:
			// The carrier is busy, not refusing: the session has already
			// slowed its bucket. Never a reason to fail a message, so it
			// does not count against the attempt bound.
			return verdictBusy, res
		case pdu.StatusSysErr, pdu.StatusSubmitFail, pdu.StatusDeliveryFailure,
			pdu.StatusRxTAppn, pdu.StatusUnknownErr:
			// Generic trouble on the carrier's side; worth a bounded retry.
			return verdictRetry, res
		case pdu.StatusInvBnd, pdu.StatusBindFail:
			// The bind is not in a state to submit: nothing was taken.
			return verdictReroute, res
		case pdu.StatusInvDstAdr, pdu.StatusInvDstTON, pdu.StatusInvDstNPI:
			// The recipient number is refused: sending again cannot help.
			return verdictFail, res
		case pdu.StatusInvSrcAdr, pdu.StatusInvSrcTON, pdu.StatusInvSrcNPI:
			// The carrier refuses our sender number (not registered with
			// it, or spoofing rules): permanent for this message.
			return verdictFail, res
		case pdu.StatusInvMsgLen, pdu.StatusInvEsmClass, pdu.StatusOptParNotAllwd, pdu.StatusInvOptParStream,
			pdu.StatusInvExpiry, pdu.StatusInvSched, pdu.StatusInvRegDlvFlg,
			pdu.StatusInvOptParamVal, pdu.StatusInvOptParLen, pdu.StatusMissingOptParam:
			// The carrier cannot take this message as encoded; the same
			// bytes would be refused again.
			return verdictFail, res
		case pdu.StatusRxPAppn, pdu.StatusRxRAppn:
			// The carrier's application rejects it for good.
			return verdictFail, res
		default:
			// Unknown or vendor-specific status: fail rather than loop, and
			// keep the code so the operator can map it later.
			return verdictFail, res
		}
	}
	if errors.Is(err, smpp.ErrNotBound) {
		return verdictReroute, message.Result{}
	}
	if smpp.Temporary(err) {
		// Connection lost or response timeout: the carrier may or may not
		// have the message. Resend (a duplicate is the lesser harm than a
		// loss); the retry bound caps it.
		return verdictRetry, message.Result{Source: message.SourceSMPP, Code: "transient", Reason: err.Error()}
	}
	if errors.Is(err, smpp.ErrClosed) {
		return verdictAbandoned, message.Result{}
	}
	// Anything else (encoding errors before sending) is ours and permanent.
	return verdictFail, message.Result{Source: message.SourceRelay, Code: "submit", Reason: err.Error()}
}
