package pdu

import "fmt"

func (b *SubmitMulti) encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.cstring(b.ServiceType, maxServiceType, "service_type")
	e.address(b.Source, maxAddr, "source_addr")
	if len(b.Dests) > maxDests {
		if e.err == nil {
			e.err = fmt.Errorf("%w: %d destinations, at most %d", ErrBadField, len(b.Dests), maxDests)
		}
		return e.b, e.err
	}
	e.u8(uint8(len(b.Dests)))
	for i := range b.Dests {
		dst := &b.Dests[i]
		e.u8(uint8(dst.Flag))
		switch dst.Flag {
		case DestSME:
			e.address(dst.Address, maxAddr, "destination_addr")
		case DestDistList:
			e.cstring(dst.DLName, maxDLName, "dl_name")
		default:
			if e.err == nil {
				e.err = fmt.Errorf("%w: dest_flag %d", ErrBadField, dst.Flag)
			}
			return e.b, e.err
		}
	}
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

func (b *SubmitMulti) decode(body []byte) *fieldError {
	d := decoder{b: body}
	b.ServiceType = d.cstring(maxServiceType, StatusInvSerTyp, "service_type")
	b.Source = d.address(maxAddr, StatusInvSrcAdr, "source_addr")
	n := int(d.u8("number_of_dests"))
	if d.err != nil {
		return d.err
	}
	// Each destination takes at least 2 octets, so n is bounded by the body
	// already read: the slice below cannot be larger than the PDU.
	if n > maxDests || 2*n > len(d.b)-d.off {
		d.fail(StatusInvNumDests, ErrBadField, "number_of_dests")
		return d.err
	}
	if n > 0 {
		b.Dests = make([]DestAddress, n)
	}
	for i := range b.Dests {
		dst := &b.Dests[i]
		dst.Flag = DestFlag(d.u8("dest_flag"))
		switch dst.Flag {
		case DestSME:
			dst.Address = d.address(maxAddr, StatusInvDstAdr, "destination_addr")
		case DestDistList:
			dst.DLName = d.cstring(maxDLName, StatusInvDLName, "dl_name")
		default:
			d.fail(StatusInvDestFlag, ErrBadField, "dest_flag")
		}
		if d.err != nil {
			return d.err
		}
	}
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

func (b *SubmitMultiResp) encode(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.cstring(b.MessageID, maxMessageID, "message_id")
	if len(b.Unsuccess) > maxDests {
		if e.err == nil {
			e.err = fmt.Errorf("%w: %d unsuccessful destinations, at most %d", ErrBadField, len(b.Unsuccess), maxDests)
		}
		return e.b, e.err
	}
	e.u8(uint8(len(b.Unsuccess)))
	for i := range b.Unsuccess {
		u := &b.Unsuccess[i]
		e.address(u.Address, maxAddr, "destination_addr")
		e.u32(uint32(u.Error))
	}
	e.tlvs(b.TLVs)
	return e.b, e.err
}

func (b *SubmitMultiResp) decode(body []byte) *fieldError {
	d := decoder{b: body}
	b.MessageID = d.cstring(maxMessageID, StatusInvMsgID, "message_id")
	n := int(d.u8("no_unsuccess"))
	if d.err != nil {
		return d.err
	}
	// Each entry takes at least 7 octets.
	if n > maxDests || 7*n > len(d.b)-d.off {
		d.fail(StatusInvNumDests, ErrBadField, "no_unsuccess")
		return d.err
	}
	if n > 0 {
		b.Unsuccess = make([]UnsuccessSME, n)
	}
	for i := range b.Unsuccess {
		u := &b.Unsuccess[i]
		u.Address = d.address(maxAddr, StatusInvDstAdr, "destination_addr")
		u.Error = Status(d.u32("error_status_code"))
		if d.err != nil {
			return d.err
		}
	}
	b.TLVs = d.tlvs()
	return d.err
}
