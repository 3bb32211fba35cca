package pdu

import "strconv"

// CommandID is the command_id field of the PDU header. Its values are part of
// the wire format (SMPP 3.4 section 5.1.2.1) and must not change.
type CommandID uint32

// Command IDs of SMPP 3.4. A response has the request's id with bit 31 set.
const (
	GenericNackID         CommandID = 0x80000000
	BindReceiverID        CommandID = 0x00000001
	BindReceiverRespID    CommandID = 0x80000001
	BindTransmitterID     CommandID = 0x00000002
	BindTransmitterRespID CommandID = 0x80000002
	QuerySMID             CommandID = 0x00000003
	QuerySMRespID         CommandID = 0x80000003
	SubmitSMID            CommandID = 0x00000004
	SubmitSMRespID        CommandID = 0x80000004
	DeliverSMID           CommandID = 0x00000005
	DeliverSMRespID       CommandID = 0x80000005
	UnbindID              CommandID = 0x00000006
	UnbindRespID          CommandID = 0x80000006
	ReplaceSMID           CommandID = 0x00000007
	ReplaceSMRespID       CommandID = 0x80000007
	CancelSMID            CommandID = 0x00000008
	CancelSMRespID        CommandID = 0x80000008
	BindTransceiverID     CommandID = 0x00000009
	BindTransceiverRespID CommandID = 0x80000009
	OutbindID             CommandID = 0x0000000B
	EnquireLinkID         CommandID = 0x00000015
	EnquireLinkRespID     CommandID = 0x80000015
	SubmitMultiID         CommandID = 0x00000021
	SubmitMultiRespID     CommandID = 0x80000021
	AlertNotificationID   CommandID = 0x00000102
	DataSMID              CommandID = 0x00000103
	DataSMRespID          CommandID = 0x80000103
)

// responseBit is set in the command_id of every response PDU.
const responseBit = 0x80000000

var commandNames = map[CommandID]string{
	GenericNackID:         "generic_nack",
	BindReceiverID:        "bind_receiver",
	BindReceiverRespID:    "bind_receiver_resp",
	BindTransmitterID:     "bind_transmitter",
	BindTransmitterRespID: "bind_transmitter_resp",
	QuerySMID:             "query_sm",
	QuerySMRespID:         "query_sm_resp",
	SubmitSMID:            "submit_sm",
	SubmitSMRespID:        "submit_sm_resp",
	DeliverSMID:           "deliver_sm",
	DeliverSMRespID:       "deliver_sm_resp",
	UnbindID:              "unbind",
	UnbindRespID:          "unbind_resp",
	ReplaceSMID:           "replace_sm",
	ReplaceSMRespID:       "replace_sm_resp",
	CancelSMID:            "cancel_sm",
	CancelSMRespID:        "cancel_sm_resp",
	BindTransceiverID:     "bind_transceiver",
	BindTransceiverRespID: "bind_transceiver_resp",
	OutbindID:             "outbind",
	EnquireLinkID:         "enquire_link",
	EnquireLinkRespID:     "enquire_link_resp",
	SubmitMultiID:         "submit_multi",
	SubmitMultiRespID:     "submit_multi_resp",
	AlertNotificationID:   "alert_notification",
	DataSMID:              "data_sm",
	DataSMRespID:          "data_sm_resp",
}

// String returns the SMPP name of the command, such as "submit_sm", or
// "command_id(0x…)" for an id this package does not know.
func (c CommandID) String() string {
	if s, ok := commandNames[c]; ok {
		return s
	}
	return "command_id(0x" + strconv.FormatUint(uint64(c), 16) + ")"
}

// Known reports whether c is a command of SMPP 3.4 that this package decodes.
func (c CommandID) Known() bool {
	_, ok := commandNames[c]
	return ok
}

// IsResponse reports whether c is a response (bit 31 set), generic_nack
// included.
func (c CommandID) IsResponse() bool { return c&responseBit != 0 }

// Response returns the command id of the response to request c. For a
// response, or a request that has none (outbind, alert_notification), it
// returns GenericNackID: that is what a peer answers with when it cannot answer
// with a proper response.
func (c CommandID) Response() CommandID {
	switch c {
	case OutbindID, AlertNotificationID:
		return GenericNackID
	}
	if c.IsResponse() || !c.Known() {
		return GenericNackID
	}
	return c | responseBit
}
