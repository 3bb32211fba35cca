package pdu

import "strconv"

// MessageState is the message_state TLV of a receipt and the field of
// query_sm_resp; its values are part of the wire format (SMPP 3.4 5.2.28).
type MessageState uint8

// Message states of SMPP 3.4.
const (
	StateEnroute       MessageState = 1
	StateDelivered     MessageState = 2
	StateExpired       MessageState = 3
	StateDeleted       MessageState = 4
	StateUndeliverable MessageState = 5
	StateAccepted      MessageState = 6
	StateUnknown       MessageState = 7
	StateRejected      MessageState = 8
)

var stateNames = [...]string{"", "ENROUTE", "DELIVERED", "EXPIRED", "DELETED", "UNDELIVERABLE", "ACCEPTED", "UNKNOWN", "REJECTED"}

// String returns the SMPP name of the state, such as "DELIVERED".
func (s MessageState) String() string {
	if s >= 1 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "message_state(" + strconv.Itoa(int(s)) + ")"
}

// NetworkErrorCode is the network_error_code TLV: the network type (1 = ANSI
// 136, 2 = IS 95, 3 = GSM, …) and the error code that network gave.
type NetworkErrorCode struct {
	Type uint8
	Code uint16
}

// ReceiptedMessageID returns receipted_message_id: in a receipt, the id the
// SMSC gave in submit_sm_resp.
func (t TLVs) ReceiptedMessageID() (string, bool) { return t.CString(TagReceiptedMessageID) }

// SetReceiptedMessageID sets receipted_message_id.
func (t *TLVs) SetReceiptedMessageID(id string) error {
	return t.SetCString(TagReceiptedMessageID, id)
}

// MessageState returns message_state.
func (t TLVs) MessageState() (MessageState, bool) {
	v, ok := t.Uint8(TagMessageState)
	return MessageState(v), ok
}

// SetMessageState sets message_state.
func (t *TLVs) SetMessageState(s MessageState) { t.SetUint8(TagMessageState, uint8(s)) }

// NetworkErrorCode returns network_error_code.
func (t TLVs) NetworkErrorCode() (NetworkErrorCode, bool) {
	v, ok := t.Get(TagNetworkErrorCode)
	if !ok || len(v) != 3 {
		return NetworkErrorCode{}, false
	}
	return NetworkErrorCode{Type: v[0], Code: uint16(v[1])<<8 | uint16(v[2])}, true
}

// SetNetworkErrorCode sets network_error_code.
func (t *TLVs) SetNetworkErrorCode(c NetworkErrorCode) {
	_ = t.Set(TagNetworkErrorCode, []byte{c.Type, byte(c.Code >> 8), byte(c.Code)})
}

// MessagePayload returns message_payload, the alternative to short_message
// for texts over 254 octets. The slice must not be modified.
func (t TLVs) MessagePayload() ([]byte, bool) { return t.Get(TagMessagePayload) }

// SetMessagePayload sets message_payload.
func (t *TLVs) SetMessagePayload(b []byte) error { return t.Set(TagMessagePayload, b) }

// SarMsgRefNum returns sar_msg_ref_num, the reference shared by the
// segments of one concatenated message.
func (t TLVs) SarMsgRefNum() (uint16, bool) { return t.Uint16(TagSarMsgRefNum) }

// SetSarMsgRefNum sets sar_msg_ref_num.
func (t *TLVs) SetSarMsgRefNum(v uint16) { t.SetUint16(TagSarMsgRefNum, v) }

// SarTotalSegments returns sar_total_segments.
func (t TLVs) SarTotalSegments() (uint8, bool) { return t.Uint8(TagSarTotalSegments) }

// SetSarTotalSegments sets sar_total_segments.
func (t *TLVs) SetSarTotalSegments(v uint8) { t.SetUint8(TagSarTotalSegments, v) }

// SarSegmentSeqnum returns sar_segment_seqnum (1-based).
func (t TLVs) SarSegmentSeqnum() (uint8, bool) { return t.Uint8(TagSarSegmentSeqnum) }

// SetSarSegmentSeqnum sets sar_segment_seqnum.
func (t *TLVs) SetSarSegmentSeqnum(v uint8) { t.SetUint8(TagSarSegmentSeqnum, v) }

// UserMessageReference returns user_message_reference.
func (t TLVs) UserMessageReference() (uint16, bool) { return t.Uint16(TagUserMessageReference) }

// SetUserMessageReference sets user_message_reference.
func (t *TLVs) SetUserMessageReference(v uint16) { t.SetUint16(TagUserMessageReference, v) }

// SourcePort returns source_port.
func (t TLVs) SourcePort() (uint16, bool) { return t.Uint16(TagSourcePort) }

// SetSourcePort sets source_port.
func (t *TLVs) SetSourcePort(v uint16) { t.SetUint16(TagSourcePort, v) }

// DestinationPort returns destination_port.
func (t TLVs) DestinationPort() (uint16, bool) { return t.Uint16(TagDestinationPort) }

// SetDestinationPort sets destination_port.
func (t *TLVs) SetDestinationPort(v uint16) { t.SetUint16(TagDestinationPort, v) }

// SCInterfaceVersion returns sc_interface_version, sent in bind responses.
func (t TLVs) SCInterfaceVersion() (uint8, bool) { return t.Uint8(TagSCInterfaceVersion) }

// SetSCInterfaceVersion sets sc_interface_version.
func (t *TLVs) SetSCInterfaceVersion(v uint8) { t.SetUint8(TagSCInterfaceVersion, v) }

// MsAvailabilityStatus returns ms_availability_status (alert_notification).
func (t TLVs) MsAvailabilityStatus() (uint8, bool) { return t.Uint8(TagMsAvailabilityStatus) }

// SetMsAvailabilityStatus sets ms_availability_status.
func (t *TLVs) SetMsAvailabilityStatus(v uint8) { t.SetUint8(TagMsAvailabilityStatus, v) }

// DeliveryFailureReason returns delivery_failure_reason (data_sm_resp).
func (t TLVs) DeliveryFailureReason() (uint8, bool) { return t.Uint8(TagDeliveryFailureReason) }

// SetDeliveryFailureReason sets delivery_failure_reason.
func (t *TLVs) SetDeliveryFailureReason(v uint8) { t.SetUint8(TagDeliveryFailureReason, v) }

// AdditionalStatusInfoText returns additional_status_info_text.
func (t TLVs) AdditionalStatusInfoText() (string, bool) {
	return t.CString(TagAdditionalStatusInfoText)
}

// SetAdditionalStatusInfoText sets additional_status_info_text.
func (t *TLVs) SetAdditionalStatusInfoText(s string) error {
	return t.SetCString(TagAdditionalStatusInfoText, s)
}

// PayloadType returns payload_type.
func (t TLVs) PayloadType() (uint8, bool) { return t.Uint8(TagPayloadType) }

// SetPayloadType sets payload_type.
func (t *TLVs) SetPayloadType(v uint8) { t.SetUint8(TagPayloadType, v) }

// MoreMessagesToSend returns more_messages_to_send.
func (t TLVs) MoreMessagesToSend() (uint8, bool) { return t.Uint8(TagMoreMessagesToSend) }

// SetMoreMessagesToSend sets more_messages_to_send.
func (t *TLVs) SetMoreMessagesToSend(v uint8) { t.SetUint8(TagMoreMessagesToSend, v) }
