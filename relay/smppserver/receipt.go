package smppserver

import (
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/receipt"
	"github.com/msgrelay/relay/store"
)

// kst is the zone of the dates in a receipt's text.
var kst = time.FixedZone("KST", 9*60*60)

// finalCode is how a final result reads in a receipt: the message_state
// TLV, the text's stat: and err:. The table in the package doc is this
// function; err: is the relay's own three-digit code.
func finalCode(rp *store.Report) (pdu.MessageState, receipt.Stat, string) {
	switch rp.State {
	case message.StateDelivered:
		return pdu.StateDelivered, receipt.StatDelivered, "000"
	case message.StateExpired:
		return pdu.StateExpired, receipt.StatExpired, "001" // no result within 48 hours
	}
	switch rp.Result.Source {
	case message.SourceSMPP:
		return pdu.StateRejected, receipt.StatRejected, "002" // the carrier refused the submit
	case message.SourceReceipt:
		return pdu.StateUndeliverable, receipt.StatUndeliverable, "003" // the carrier's receipt: not delivered
	case message.SourceKakao:
		return pdu.StateUndeliverable, receipt.StatUndeliverable, "004" // Kakao could not deliver, no fallback
	default:
		return pdu.StateRejected, receipt.StatRejected, "005" // a relay rule: no route, fallback refused
	}
}

// receiptPDU builds the deliver_sm that carries a final result back to the
// ESME: from the recipient to the sender, esm_class 0x04, the same id in
// receipted_message_id and in the text's id: as in submit_sm_resp. m may
// be nil (a record already removed); its numbers are then left empty.
func receiptPDU(rp *store.Report, m *message.Message) *pdu.PDU {
	state, stat, errCode := finalCode(rp)
	id := rp.ID.String()
	dlvrd := 0
	if rp.State == message.StateDelivered {
		dlvrd = 1
	}
	accepted := rp.AcceptedAt
	if accepted.IsZero() {
		accepted = rp.ID.Time()
	}
	text := receipt.Format(nil, receipt.Receipt{
		ID: id, Sub: 1, Dlvrd: dlvrd, Submitted: accepted.Truncate(time.Minute), Done: rp.FinalAt.Truncate(time.Minute),
		Stat: stat, Err: errCode,
	}, kst)
	d := &pdu.DeliverSM{ESMClass: esmReceipt, ShortMessage: text}
	if m != nil {
		d.Source = pdu.Address{TON: tonUnknown, NPI: 1, Addr: m.Recipient}
		d.Dest = pdu.Address{TON: tonUnknown, NPI: 1, Addr: m.Sender}
	}
	_ = d.TLVs.SetReceiptedMessageID(id) // 16 hex digits: always fits
	d.TLVs.SetMessageState(state)
	return &pdu.PDU{Header: pdu.Header{Command: pdu.DeliverSMID}, Body: d}
}
