package pdu

// bodyCodec is implemented by every Body of this package.
type bodyCodec interface {
	Body
	// encode appends the body to dst.
	encode(dst []byte) ([]byte, error)
	// decode fills the body from body, a buffer it may keep.
	decode(body []byte) *fieldError
}

func (b *Bind) encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.cstring(b.SystemID, maxSystemID, "system_id")
	e.cstring(b.Password, maxPassword, "password")
	e.cstring(b.SystemType, maxSystemType, "system_type")
	e.u8(b.InterfaceVersion)
	e.u8(b.AddrTON)
	e.u8(b.AddrNPI)
	e.cstring(b.AddressRange, maxAddressRange, "address_range")
	e.tlvs(b.TLVs)
	return e.b, e.err
}

func (b *Bind) decode(body []byte) *fieldError {
	d := decoder{b: body}
	b.SystemID = d.cstring(maxSystemID, StatusInvSysID, "system_id")
	b.Password = d.cstring(maxPassword, StatusInvPaswd, "password")
	b.SystemType = d.cstring(maxSystemType, StatusInvSysTyp, "system_type")
	b.InterfaceVersion = d.u8("interface_version")
	b.AddrTON = d.u8("addr_ton")
	b.AddrNPI = d.u8("addr_npi")
	b.AddressRange = d.cstring(maxAddressRange, StatusBindFail, "address_range")
	b.TLVs = d.tlvs()
	return d.err
}

func (b *BindResp) encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.cstring(b.SystemID, maxSystemID, "system_id")
	e.tlvs(b.TLVs)
	return e.b, e.err
}

func (b *BindResp) decode(body []byte) *fieldError {
	d := decoder{b: body}
	b.SystemID = d.cstring(maxSystemID, StatusInvSysID, "system_id")
	b.TLVs = d.tlvs()
	return d.err
}

func (b *Outbind) encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.cstring(b.SystemID, maxSystemID, "system_id")
	e.cstring(b.Password, maxPassword, "password")
	e.tlvs(b.TLVs)
	return e.b, e.err
}

func (b *Outbind) decode(body []byte) *fieldError {
	d := decoder{b: body}
	b.SystemID = d.cstring(maxSystemID, StatusInvSysID, "system_id")
	b.Password = d.cstring(maxPassword, StatusInvPaswd, "password")
	b.TLVs = d.tlvs()
	return d.err
}

func (b *SubmitSM) encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.cstring(b.ServiceType, maxServiceType, "service_type")
	e.address(b.Source, maxAddr, "source_addr")
	e.address(b.Dest, maxAddr, "destination_addr")
	e.u8(b.ESMClass)
	e.u8(b.ProtocolID)
	e.u8(b.PriorityFlag)
	e.cstring(b.ScheduleDeliveryTime, maxTime, "schedule_delivery_time")
	e.cstring(b.ValidityPeriod, maxTime, "validity_period")
	e.u8(b.RegisteredDelivery)
	e.u8(b.ReplaceIfPresent)
	e.u8(b.DataCoding)
	e.u8(b.SMDefaultMsgID)
	e.shortMessage(b.ShortMessage)
	e.tlvs(b.TLVs)
	return e.b, e.err
}

func (b *SubmitSM) decode(body []byte) *fieldError {
	d := decoder{b: body}
	b.ServiceType = d.cstring(maxServiceType, StatusInvSerTyp, "service_type")
	b.Source = d.address(maxAddr, StatusInvSrcAdr, "source_addr")
	b.Dest = d.address(maxAddr, StatusInvDstAdr, "destination_addr")
	b.ESMClass = d.u8("esm_class")
	b.ProtocolID = d.u8("protocol_id")
	b.PriorityFlag = d.u8("priority_flag")
	b.ScheduleDeliveryTime = d.cstring(maxTime, StatusInvSched, "schedule_delivery_time")
	b.ValidityPeriod = d.cstring(maxTime, StatusInvExpiry, "validity_period")
	b.RegisteredDelivery = d.u8("registered_delivery")
	b.ReplaceIfPresent = d.u8("replace_if_present_flag")
	b.DataCoding = d.u8("data_coding")
	b.SMDefaultMsgID = d.u8("sm_default_msg_id")
	b.ShortMessage = d.shortMessage()
	b.TLVs = d.tlvs()
	return d.err
}

func (b *DeliverSM) encode(dst []byte) ([]byte, error) { return (*SubmitSM)(b).encode(dst) }
func (b *DeliverSM) decode(body []byte) *fieldError    { return (*SubmitSM)(b).decode(body) }

func (b *SubmitSMResp) encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.cstring(b.MessageID, maxMessageID, "message_id")
	e.tlvs(b.TLVs)
	return e.b, e.err
}

func (b *SubmitSMResp) decode(body []byte) *fieldError {
	d := decoder{b: body}
	b.MessageID = d.cstring(maxMessageID, StatusInvMsgID, "message_id")
	b.TLVs = d.tlvs()
	return d.err
}

func (b *DeliverSMResp) encode(dst []byte) ([]byte, error) { return (*SubmitSMResp)(b).encode(dst) }
func (b *DeliverSMResp) decode(body []byte) *fieldError    { return (*SubmitSMResp)(b).decode(body) }
func (b *DataSMResp) encode(dst []byte) ([]byte, error)    { return (*SubmitSMResp)(b).encode(dst) }
func (b *DataSMResp) decode(body []byte) *fieldError       { return (*SubmitSMResp)(b).decode(body) }

func (b *DataSM) encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.cstring(b.ServiceType, maxServiceType, "service_type")
	e.address(b.Source, maxAddrLong, "source_addr")
	e.address(b.Dest, maxAddrLong, "destination_addr")
	e.u8(b.ESMClass)
	e.u8(b.RegisteredDelivery)
	e.u8(b.DataCoding)
	e.tlvs(b.TLVs)
	return e.b, e.err
}

func (b *DataSM) decode(body []byte) *fieldError {
	d := decoder{b: body}
	b.ServiceType = d.cstring(maxServiceType, StatusInvSerTyp, "service_type")
	b.Source = d.address(maxAddrLong, StatusInvSrcAdr, "source_addr")
	b.Dest = d.address(maxAddrLong, StatusInvDstAdr, "destination_addr")
	b.ESMClass = d.u8("esm_class")
	b.RegisteredDelivery = d.u8("registered_delivery")
	b.DataCoding = d.u8("data_coding")
	b.TLVs = d.tlvs()
	return d.err
}

func (b *QuerySM) encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.cstring(b.MessageID, maxMessageID, "message_id")
	e.address(b.Source, maxAddr, "source_addr")
	e.tlvs(b.TLVs)
	return e.b, e.err
}

func (b *QuerySM) decode(body []byte) *fieldError {
	d := decoder{b: body}
	b.MessageID = d.cstring(maxMessageID, StatusInvMsgID, "message_id")
	b.Source = d.address(maxAddr, StatusInvSrcAdr, "source_addr")
	b.TLVs = d.tlvs()
	return d.err
}

func (b *QuerySMResp) encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.cstring(b.MessageID, maxMessageID, "message_id")
	e.cstring(b.FinalDate, maxTime, "final_date")
	e.u8(uint8(b.MessageState))
	e.u8(b.ErrorCode)
	e.tlvs(b.TLVs)
	return e.b, e.err
}

func (b *QuerySMResp) decode(body []byte) *fieldError {
	d := decoder{b: body}
	b.MessageID = d.cstring(maxMessageID, StatusInvMsgID, "message_id")
	b.FinalDate = d.cstring(maxTime, StatusQueryFail, "final_date")
	b.MessageState = MessageState(d.u8("message_state"))
	b.ErrorCode = d.u8("error_code")
	b.TLVs = d.tlvs()
	return d.err
}

func (b *CancelSM) encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.cstring(b.ServiceType, maxServiceType, "service_type")
	e.cstring(b.MessageID, maxMessageID, "message_id")
	e.address(b.Source, maxAddr, "source_addr")
	e.address(b.Dest, maxAddr, "destination_addr")
	e.tlvs(b.TLVs)
	return e.b, e.err
}

func (b *CancelSM) decode(body []byte) *fieldError {
	d := decoder{b: body}
	b.ServiceType = d.cstring(maxServiceType, StatusInvSerTyp, "service_type")
	b.MessageID = d.cstring(maxMessageID, StatusInvMsgID, "message_id")
	b.Source = d.address(maxAddr, StatusInvSrcAdr, "source_addr")
	b.Dest = d.address(maxAddr, StatusInvDstAdr, "destination_addr")
	b.TLVs = d.tlvs()
	return d.err
}

func (b *ReplaceSM) encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.cstring(b.MessageID, maxMessageID, "message_id")
	e.address(b.Source, maxAddr, "source_addr")
	e.cstring(b.ScheduleDeliveryTime, maxTime, "schedule_delivery_time")
	e.cstring(b.ValidityPeriod, maxTime, "validity_period")
	e.u8(b.RegisteredDelivery)
	e.u8(b.SMDefaultMsgID)
	e.shortMessage(b.ShortMessage)
	e.tlvs(b.TLVs)
	return e.b, e.err
}

func (b *ReplaceSM) decode(body []byte) *fieldError {
	d := decoder{b: body}
	b.MessageID = d.cstring(maxMessageID, StatusInvMsgID, "message_id")
	b.Source = d.address(maxAddr, StatusInvSrcAdr, "source_addr")
	b.ScheduleDeliveryTime = d.cstring(maxTime, StatusInvSched, "schedule_delivery_time")
	b.ValidityPeriod = d.cstring(maxTime, StatusInvExpiry, "validity_period")
	b.RegisteredDelivery = d.u8("registered_delivery")
	b.SMDefaultMsgID = d.u8("sm_default_msg_id")
	b.ShortMessage = d.shortMessage()
	b.TLVs = d.tlvs()
	return d.err
}

func (b *AlertNotification) encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.address(b.Source, maxAddrLong, "source_addr")
	e.address(b.ESME, maxAddrLong, "esme_addr")
	e.tlvs(b.TLVs)
	return e.b, e.err
}

func (b *AlertNotification) decode(body []byte) *fieldError {
	d := decoder{b: body}
	b.Source = d.address(maxAddrLong, StatusInvSrcAdr, "source_addr")
	b.ESME = d.address(maxAddrLong, StatusInvDstAdr, "esme_addr")
	b.TLVs = d.tlvs()
	return d.err
}
