package pdu

// bodyCodec is implemented by every Body of this package.
type bodyCodec interface {
	Body
	encode(e *encoder)
	decode(d *decoder)
}

func (b *Bind) encode(e *encoder) {
	e.cstring(b.SystemID, maxSystemID, "system_id")
	e.cstring(b.Password, maxPassword, "password")
	e.cstring(b.SystemType, maxSystemType, "system_type")
	e.u8(b.InterfaceVersion)
	e.u8(b.AddrTON)
	e.u8(b.AddrNPI)
	e.cstring(b.AddressRange, maxAddressRange, "address_range")
	e.tlvs(b.TLVs)
}

func (b *Bind) decode(d *decoder) {
	b.SystemID = d.cstring(maxSystemID, StatusInvSysID, "system_id")
	b.Password = d.cstring(maxPassword, StatusInvPaswd, "password")
	b.SystemType = d.cstring(maxSystemType, StatusInvSysTyp, "system_type")
	b.InterfaceVersion = d.u8("interface_version")
	b.AddrTON = d.u8("addr_ton")
	b.AddrNPI = d.u8("addr_npi")
	b.AddressRange = d.cstring(maxAddressRange, StatusBindFail, "address_range")
	b.TLVs = d.tlvs()
}

func (b *BindResp) encode(e *encoder) {
	e.cstring(b.SystemID, maxSystemID, "system_id")
	e.tlvs(b.TLVs)
}

func (b *BindResp) decode(d *decoder) {
	b.SystemID = d.cstring(maxSystemID, StatusInvSysID, "system_id")
	b.TLVs = d.tlvs()
}

func (b *Outbind) encode(e *encoder) {
	e.cstring(b.SystemID, maxSystemID, "system_id")
	e.cstring(b.Password, maxPassword, "password")
	e.tlvs(b.TLVs)
}

func (b *Outbind) decode(d *decoder) {
	b.SystemID = d.cstring(maxSystemID, StatusInvSysID, "system_id")
	b.Password = d.cstring(maxPassword, StatusInvPaswd, "password")
	b.TLVs = d.tlvs()
}

func (b *SubmitSM) encode(e *encoder) {
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
}

func (b *SubmitSM) decode(d *decoder) {
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
}

func (b *DeliverSM) encode(e *encoder) { (*SubmitSM)(b).encode(e) }
func (b *DeliverSM) decode(d *decoder) { (*SubmitSM)(b).decode(d) }

func (b *SubmitSMResp) encode(e *encoder) {
	e.cstring(b.MessageID, maxMessageID, "message_id")
	e.tlvs(b.TLVs)
}

func (b *SubmitSMResp) decode(d *decoder) {
	b.MessageID = d.cstring(maxMessageID, StatusInvMsgID, "message_id")
	b.TLVs = d.tlvs()
}

func (b *DeliverSMResp) encode(e *encoder) { (*SubmitSMResp)(b).encode(e) }
func (b *DeliverSMResp) decode(d *decoder) { (*SubmitSMResp)(b).decode(d) }
func (b *DataSMResp) encode(e *encoder)    { (*SubmitSMResp)(b).encode(e) }
func (b *DataSMResp) decode(d *decoder)    { (*SubmitSMResp)(b).decode(d) }

func (b *DataSM) encode(e *encoder) {
	e.cstring(b.ServiceType, maxServiceType, "service_type")
	e.address(b.Source, maxAddrLong, "source_addr")
	e.address(b.Dest, maxAddrLong, "destination_addr")
	e.u8(b.ESMClass)
	e.u8(b.RegisteredDelivery)
	e.u8(b.DataCoding)
	e.tlvs(b.TLVs)
}

func (b *DataSM) decode(d *decoder) {
	b.ServiceType = d.cstring(maxServiceType, StatusInvSerTyp, "service_type")
	b.Source = d.address(maxAddrLong, StatusInvSrcAdr, "source_addr")
	b.Dest = d.address(maxAddrLong, StatusInvDstAdr, "destination_addr")
	b.ESMClass = d.u8("esm_class")
	b.RegisteredDelivery = d.u8("registered_delivery")
	b.DataCoding = d.u8("data_coding")
	b.TLVs = d.tlvs()
}

func (b *QuerySM) encode(e *encoder) {
	e.cstring(b.MessageID, maxMessageID, "message_id")
	e.address(b.Source, maxAddr, "source_addr")
	e.tlvs(b.TLVs)
}

func (b *QuerySM) decode(d *decoder) {
	b.MessageID = d.cstring(maxMessageID, StatusInvMsgID, "message_id")
	b.Source = d.address(maxAddr, StatusInvSrcAdr, "source_addr")
	b.TLVs = d.tlvs()
}

func (b *QuerySMResp) encode(e *encoder) {
	e.cstring(b.MessageID, maxMessageID, "message_id")
	e.cstring(b.FinalDate, maxTime, "final_date")
	e.u8(uint8(b.MessageState))
	e.u8(b.ErrorCode)
	e.tlvs(b.TLVs)
}

func (b *QuerySMResp) decode(d *decoder) {
	b.MessageID = d.cstring(maxMessageID, StatusInvMsgID, "message_id")
	b.FinalDate = d.cstring(maxTime, StatusQueryFail, "final_date")
	b.MessageState = MessageState(d.u8("message_state"))
	b.ErrorCode = d.u8("error_code")
	b.TLVs = d.tlvs()
}

func (b *CancelSM) encode(e *encoder) {
	e.cstring(b.ServiceType, maxServiceType, "service_type")
	e.cstring(b.MessageID, maxMessageID, "message_id")
	e.address(b.Source, maxAddr, "source_addr")
	e.address(b.Dest, maxAddr, "destination_addr")
	e.tlvs(b.TLVs)
}

func (b *CancelSM) decode(d *decoder) {
	b.ServiceType = d.cstring(maxServiceType, StatusInvSerTyp, "service_type")
	b.MessageID = d.cstring(maxMessageID, StatusInvMsgID, "message_id")
	b.Source = d.address(maxAddr, StatusInvSrcAdr, "source_addr")
	b.Dest = d.address(maxAddr, StatusInvDstAdr, "destination_addr")
	b.TLVs = d.tlvs()
}

func (b *ReplaceSM) encode(e *encoder) {
	e.cstring(b.MessageID, maxMessageID, "message_id")
	e.address(b.Source, maxAddr, "source_addr")
	e.cstring(b.ScheduleDeliveryTime, maxTime, "schedule_delivery_time")
	e.cstring(b.ValidityPeriod, maxTime, "validity_period")
	e.u8(b.RegisteredDelivery)
	e.u8(b.SMDefaultMsgID)
	e.shortMessage(b.ShortMessage)
	e.tlvs(b.TLVs)
}

func (b *ReplaceSM) decode(d *decoder) {
	b.MessageID = d.cstring(maxMessageID, StatusInvMsgID, "message_id")
	b.Source = d.address(maxAddr, StatusInvSrcAdr, "source_addr")
	b.ScheduleDeliveryTime = d.cstring(maxTime, StatusInvSched, "schedule_delivery_time")
	b.ValidityPeriod = d.cstring(maxTime, StatusInvExpiry, "validity_period")
	b.RegisteredDelivery = d.u8("registered_delivery")
	b.SMDefaultMsgID = d.u8("sm_default_msg_id")
	b.ShortMessage = d.shortMessage()
	b.TLVs = d.tlvs()
}

func (b *AlertNotification) encode(e *encoder) {
	e.address(b.Source, maxAddrLong, "source_addr")
	e.address(b.ESME, maxAddrLong, "esme_addr")
	e.tlvs(b.TLVs)
}

func (b *AlertNotification) decode(d *decoder) {
	b.Source = d.address(maxAddrLong, StatusInvSrcAdr, "source_addr")
	b.ESME = d.address(maxAddrLong, StatusInvDstAdr, "esme_addr")
	b.TLVs = d.tlvs()
}
