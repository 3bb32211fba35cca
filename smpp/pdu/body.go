package pdu

// PDU is one SMPP protocol data unit: the header and, for commands that have
// one, a body. Body is nil for bodiless commands (enquire_link, unbind, their
// responses, generic_nack, cancel_sm_resp, replace_sm_resp) and for a
// response that came back with a failing status and no body, as SMPP 3.4
// allows.
type PDU struct {
	Header
	Body Body
}

// Body is the command-specific part of a PDU. The implementations are the
// pointer types of this package: *Bind, *BindResp, *Outbind, *SubmitSM,
// *SubmitSMResp, *DeliverSM, *DeliverSMResp, *DataSM, *DataSMResp, *QuerySM,
// *QuerySMResp, *CancelSM, *ReplaceSM, *SubmitMulti, *SubmitMultiResp and
// *AlertNotification.
//
// Every body carries TLVs: SMPP 3.4 allows optional parameters only on some
// commands, but SMSCs append them elsewhere too, and a response whose
// message id could not be read for a trailing parameter would be a message
// sent twice.
type Body interface {
	CommandID() CommandID
}

// Address is a TON, an NPI and an address, as they appear together in most
// bodies.
type Address struct {
	TON  uint8
	NPI  uint8
	Addr string
}

// Bind is the body of bind_transmitter, bind_receiver and bind_transceiver.
// Kind says which; zero means bind_transceiver.
type Bind struct {
	Kind             CommandID
	SystemID         string // at most 15 octets
	Password         string // at most 8 octets
	SystemType       string // at most 12 octets
	InterfaceVersion uint8  // 0x34 for SMPP 3.4
	AddrTON          uint8
	AddrNPI          uint8
	AddressRange     string // at most 40 octets
	TLVs             TLVs
}

// CommandID returns b.Kind, or BindTransceiver when it is zero.
func (b *Bind) CommandID() CommandID {
	if b.Kind == 0 {
		return BindTransceiverID
	}
	return b.Kind
}

// BindResp is the body of the three bind responses. Kind says which; zero
// means bind_transceiver_resp. TLVs may hold sc_interface_version.
type BindResp struct {
	Kind     CommandID
	SystemID string
	TLVs     TLVs
}

// CommandID returns b.Kind, or BindTransceiverResp when it is zero.
func (b *BindResp) CommandID() CommandID {
	if b.Kind == 0 {
		return BindTransceiverRespID
	}
	return b.Kind
}

// Outbind is the body of outbind: the SMSC asks the ESME to bind.
type Outbind struct {
	SystemID string
	Password string
	TLVs     TLVs
}

// CommandID returns Outbind.
func (*Outbind) CommandID() CommandID { return OutbindID }

// SubmitSM is the body of submit_sm. The sm_length field is not stored: it
// is len(ShortMessage), at most 254.
type SubmitSM struct {
	ServiceType          string // at most 5 octets
	Source               Address
	Dest                 Address
	ESMClass             uint8
	ProtocolID           uint8
	PriorityFlag         uint8
	ScheduleDeliveryTime string // empty or 16 octets
	ValidityPeriod       string // empty or 16 octets
	RegisteredDelivery   uint8
	ReplaceIfPresent     uint8
	DataCoding           uint8
	SMDefaultMsgID       uint8
	ShortMessage         []byte
	TLVs                 TLVs
}

// CommandID returns SubmitSM.
func (*SubmitSM) CommandID() CommandID { return SubmitSMID }

// DeliverSM is the body of deliver_sm: the same fields as submit_sm. The
// SMSC sends receipts (ESMClass&0x3C == 0x04) and mobile-originated messages
// with it.
type DeliverSM SubmitSM

// CommandID returns DeliverSM.
func (*DeliverSM) CommandID() CommandID { return DeliverSMID }

// SubmitSMResp is the body of submit_sm_resp.
type SubmitSMResp struct {
	MessageID string
	TLVs      TLVs
}

// CommandID returns SubmitSMResp.
func (*SubmitSMResp) CommandID() CommandID { return SubmitSMRespID }

// DeliverSMResp is the body of deliver_sm_resp; MessageID is unused and
// normally empty.
type DeliverSMResp struct {
	MessageID string
	TLVs      TLVs
}

// CommandID returns DeliverSMResp.
func (*DeliverSMResp) CommandID() CommandID { return DeliverSMRespID }

// DataSM is the body of data_sm; the text travels in the message_payload TLV.
type DataSM struct {
	ServiceType        string
	Source             Address // at most 64 octets
	Dest               Address // at most 64 octets
	ESMClass           uint8
	RegisteredDelivery uint8
	DataCoding         uint8
	TLVs               TLVs
}

// CommandID returns DataSM.
func (*DataSM) CommandID() CommandID { return DataSMID }

// DataSMResp is the body of data_sm_resp.
type DataSMResp struct {
	MessageID string
	TLVs      TLVs
}

// CommandID returns DataSMResp.
func (*DataSMResp) CommandID() CommandID { return DataSMRespID }

// QuerySM is the body of query_sm.
type QuerySM struct {
	MessageID string
	Source    Address
	TLVs      TLVs
}

// CommandID returns QuerySM.
func (*QuerySM) CommandID() CommandID { return QuerySMID }

// QuerySMResp is the body of query_sm_resp.
type QuerySMResp struct {
	MessageID    string
	FinalDate    string // empty or 16 octets
	MessageState MessageState
	ErrorCode    uint8
	TLVs         TLVs
}

// CommandID returns QuerySMResp.
func (*QuerySMResp) CommandID() CommandID { return QuerySMRespID }

// CancelSM is the body of cancel_sm.
type CancelSM struct {
	ServiceType string
	MessageID   string
	Source      Address
	Dest        Address
	TLVs        TLVs
}

// CommandID returns CancelSM.
func (*CancelSM) CommandID() CommandID { return CancelSMID }

// ReplaceSM is the body of replace_sm. sm_length is len(ShortMessage).
type ReplaceSM struct {
	MessageID            string
	Source               Address
	ScheduleDeliveryTime string
	ValidityPeriod       string
	RegisteredDelivery   uint8
	SMDefaultMsgID       uint8
	ShortMessage         []byte
	TLVs                 TLVs
}

// CommandID returns ReplaceSM.
func (*ReplaceSM) CommandID() CommandID { return ReplaceSMID }

// DestFlag says whether a submit_multi destination is an SME address or a
// distribution list; its values are part of the wire format.
type DestFlag uint8

// Destination flags of submit_multi.
const (
	DestSME      DestFlag = 1
	DestDistList DestFlag = 2
)

// DestAddress is one destination of submit_multi: Address when Flag is
// DestSME, DLName when it is DestDistList.
type DestAddress struct {
	Flag    DestFlag
	Address Address
	DLName  string
}

// SubmitMulti is the body of submit_multi: submit_sm with up to 254
// destinations. number_of_dests is len(Dests).
type SubmitMulti struct {
	ServiceType          string
	Source               Address
	Dests                []DestAddress
	ESMClass             uint8
	ProtocolID           uint8
	PriorityFlag         uint8
	ScheduleDeliveryTime string
	ValidityPeriod       string
	RegisteredDelivery   uint8
	ReplaceIfPresent     uint8
	DataCoding           uint8
	SMDefaultMsgID       uint8
	ShortMessage         []byte
	TLVs                 TLVs
}

// CommandID returns SubmitMulti.
func (*SubmitMulti) CommandID() CommandID { return SubmitMultiID }

// UnsuccessSME is a destination submit_multi could not submit to, and why.
type UnsuccessSME struct {
	Address Address
	Error   Status
}

// SubmitMultiResp is the body of submit_multi_resp. no_unsuccess is
// len(Unsuccess).
type SubmitMultiResp struct {
	MessageID string
	Unsuccess []UnsuccessSME
	TLVs      TLVs
}

// CommandID returns SubmitMultiResp.
func (*SubmitMultiResp) CommandID() CommandID { return SubmitMultiRespID }

// AlertNotification is the body of alert_notification: the SMSC tells that
// a mobile became available (ms_availability_status in TLVs).
type AlertNotification struct {
	Source Address // at most 64 octets
	ESME   Address // at most 64 octets
	TLVs   TLVs
}

// CommandID returns AlertNotification.
func (*AlertNotification) CommandID() CommandID { return AlertNotificationID }
