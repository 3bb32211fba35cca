package pdu

import "encoding/binary"

// HeaderLen is the length of the PDU header in octets; part of the wire
// format.
const HeaderLen = 16

// DefaultMaxLen is the command_length limit used when a caller passes zero:
// room for a submit_multi to 254 destinations or a message_payload of some
// 60 000 octets, and small enough that a hostile length cannot make a reader
// allocate much.
const DefaultMaxLen = 64 << 10

// Header is the fixed 16-octet header that starts every PDU.
//
// Length is filled in by AppendTo and Decode; callers building a PDU leave it
// zero.
type Header struct {
	Length   uint32
	Command  CommandID
	Status   Status
	Sequence uint32
}

// parseHeader reads a header from the first HeaderLen bytes of b.
func parseHeader(b []byte) Header {
	_ = b[HeaderLen-1]
	return Header{
		Length:   binary.BigEndian.Uint32(b[0:]),
		Command:  CommandID(binary.BigEndian.Uint32(b[4:])),
		Status:   Status(binary.BigEndian.Uint32(b[8:])),
		Sequence: binary.BigEndian.Uint32(b[12:]),
	}
}

// appendHeader appends h with the given length.
func appendHeader(dst []byte, h Header, length uint32) []byte {
	dst = binary.BigEndian.AppendUint32(dst, length)
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Command))
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Status))
	return binary.BigEndian.AppendUint32(dst, h.Sequence)
}

// checkLength validates a command_length before anything is allocated for it.
func checkLength(h Header, maxLen uint32) *DecodeError {
	if h.Length < HeaderLen || h.Length > maxLen {
		return &DecodeError{Header: h, Status: StatusInvCmdLen, Fatal: true, Err: ErrCommandLength}
	}
	return nil
}

func effectiveMax(maxLen uint32) uint32 {
	if maxLen == 0 {
		return DefaultMaxLen
	}
	return maxLen
}
