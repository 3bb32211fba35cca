package coding

// Concat identifies one part of a concatenated message, from a UDH
// information element (IEI 0x00 or 0x08) or from the SAR TLVs.
type Concat struct {
	Ref   uint16 // reference, the same in every part of one message
	Total uint8  // number of parts
	Seq   uint8  // 1-based position of this part
	Ref16 bool   // the reference came from a 16-bit IE (IEI 0x08)
}

// ParseUDH splits a short_message sent with esm_class UDHI (0x40) into its
// user data header (UDHL octet included) and payload, and reports the
// concatenation element if there is a valid one. Elements it does not know
// are skipped; a concatenation element with a zero total, a zero sequence or
// a sequence above the total is ignored, as 3GPP TS 23.040 asks. It returns
// ErrMalformed if a length points past the end.
func ParseUDH(sm []byte) (udh, payload []byte, c Concat, ok bool, err error) {
	if len(sm) == 0 || int(sm[0])+1 > len(sm) {
		return nil, nil, Concat{}, false, &MalformedError{Offset: 0, Coding: Binary}
	}
	udh, payload = sm[:1+int(sm[0])], sm[1+int(sm[0]):]
	for i := 1; i < len(udh); {
		if i+2 > len(udh) || i+2+int(udh[i+1]) > len(udh) {
			return nil, nil, Concat{}, false, &MalformedError{Offset: i, Coding: Binary}
		}
		iei, data := udh[i], udh[i+2:i+2+int(udh[i+1])]
		i += 2 + len(data)
		if ok {
			continue // the first concatenation element counts
		}
		var e Concat
		switch {
		case iei == iei8 && len(data) == 3:
			e = Concat{Ref: uint16(data[0]), Total: data[1], Seq: data[2]}
		case iei == iei16 && len(data) == 4:
			e = Concat{Ref: uint16(data[0])<<8 | uint16(data[1]), Total: data[2], Seq: data[3], Ref16: true}
		default:
			continue
		}
		if e.Total > 0 && e.Seq > 0 && e.Seq <= e.Total {
			c, ok = e, true
		}
	}
	return udh, payload, c, ok, nil
}
