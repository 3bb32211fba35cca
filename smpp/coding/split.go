package coding

// Method is how the parts of a concatenated message are tied together; it is
// a per-carrier setting.
type Method uint8

const (
	// UDH8 puts a 6-octet UDH with an 8-bit reference (IEI 0x00) in front of
	// each part; the session sets esm_class UDHI (0x40).
	UDH8 Method = iota + 1
	// UDH16 puts a 7-octet UDH with a 16-bit reference (IEI 0x08) in front
	// of each part; the session sets esm_class UDHI (0x40).
	UDH16
	// SAR leaves short_message bare; the session sends Part.Ref, Total and
	// Seq as sar_msg_ref_num, sar_total_segments and sar_segment_seqnum.
	SAR
)

func (m Method) String() string {
	switch m {
	case UDH8:
		return "udh8"
	case UDH16:
		return "udh16"
	case SAR:
		return "sar"
	}
	return "Method(?)"
}

// UDH lengths, IEIs and sizes that are part of the wire format.
const (
	udh8Len    = 6
	udh16Len   = 7
	iei8       = 0x00
	iei16      = 0x08
	maxOctets  = 140 // short_message capacity of one SMS on the air
	maxSeptets = 160 // the same 140 octets holding packed septets
)

// Limits bounds the encoded payload, in octets as SMPP carries it (for GSM
// and IA5, one octet per septet). Zero fields take DefaultLimits.
type Limits struct {
	// Single is the most a text may take to go as one message with no
	// concatenation header.
	Single int
	// Part is the most payload each part of a concatenated message may
	// take, header not included.
	Part int
}

// DefaultLimits returns the limits of one 140-octet SMS for dc and m: a
// single message of 160 septets (GSM, IA5) or 140 octets (others); parts of
// 153/152 septets or 134/133 octets after an 8-bit/16-bit reference UDH,
// which for UCS2 is 67/66 characters. SAR parts get the UDH8 size, since the
// SMSC adds that header on the air interface.
func DefaultLimits(dc DataCoding, m Method) Limits {
	udh := udh8Len
	if m == UDH16 {
		udh = udh16Len
	}
	room := maxOctets - udh
	switch dc.Alphabet() {
	case GSM7, IA5:
		return Limits{Single: maxSeptets, Part: room * 8 / 7}
	}
	return Limits{Single: maxOctets, Part: room}
}

// Part is one short_message of a split text.
type Part struct {
	UDH     []byte // user data header, nil for SAR and for a text sent whole
	Payload []byte // the encoded text of this part
	Ref     uint16 // concatenation reference (8-bit UDH: low octet only)
	Total   uint8  // number of parts
	Seq     uint8  // 1-based position of this part
}

// ShortMessage appends the part as short_message carries it: UDH, then text.
func (p Part) ShortMessage(dst []byte) []byte {
	return append(append(dst, p.UDH...), p.Payload...)
}

// Split encodes text in dc and, if it exceeds lim.Single, cuts it into parts
// of at most lim.Part octets tied by m with reference ref (chosen by the
// caller, unique per destination for a while). Parts are cut only between
// runes, so no part ends inside a surrogate pair, a GSM escape pair or an
// EUC-KR double byte. A text that fits goes as one Part with no UDH.
func Split(text string, dc DataCoding, lim Limits, m Method, ref uint16) ([]Part, error) {
	def := DefaultLimits(dc, m)
	if lim.Single == 0 {
		lim.Single = def.Single
	}
	if lim.Part == 0 {
		lim.Part = def.Part
	}
	total, err := Len(text, dc)
	if err != nil {
		return nil, err
	}
	a := dc.Alphabet()
	buf := make([]byte, 0, total)
	if total <= lim.Single {
		buf, _ = dc.AppendEncode(buf, text)
		return []Part{{Payload: buf, Ref: ref, Total: 1, Seq: 1}}, nil
	}
	var udhLen int
	switch m {
	case UDH8:
		udhLen = udh8Len
		ref &= 0xFF
	case UDH16:
		udhLen = udh16Len
	case SAR:
	default:
		return nil, ErrUnsupported
	}
	if lim.Part < 4 {
		return nil, ErrBadLimits
	}
	parts := make([]Part, 0, total/lim.Part+2)
	start := 0
	for _, r := range text {
		n := len(buf)
		buf, _ = a.appendRune(buf, r)
		if len(buf)-start > lim.Part {
			parts = append(parts, Part{Payload: buf[start:n:n]})
			start = n
		}
	}
	parts = append(parts, Part{Payload: buf[start:len(buf):len(buf)]})
	if len(parts) > 255 {
		return nil, ErrTooManyParts
	}
	var udhs []byte
	if udhLen > 0 {
		udhs = make([]byte, 0, udhLen*len(parts))
	}
	for i := range parts {
		p := &parts[i]
		p.Ref, p.Total, p.Seq = ref, uint8(len(parts)), uint8(i+1)
		switch m {
		case UDH8:
			udhs = append(udhs, 0x05, iei8, 0x03, byte(ref), p.Total, p.Seq)
		case UDH16:
			udhs = append(udhs, 0x06, iei16, 0x04, byte(ref>>8), byte(ref), p.Total, p.Seq)
		}
		if udhLen > 0 {
			p.UDH = udhs[len(udhs)-udhLen : len(udhs) : len(udhs)]
		}
	}
	return parts, nil
}
