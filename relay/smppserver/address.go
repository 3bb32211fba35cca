package smppserver

import (
	"github.com/msgrelay/relay/smpp/pdu"
)

// Type of number values (SMPP 3.4 5.2.5) the server reads; part of the
// wire format.
const (
	tonUnknown       = 0
	tonInternational = 1
	tonNational      = 2
	tonAlphanumeric  = 5
)

// nationalNumber turns an address into the national digits the door
// checks: TON 0 and 2 carry them as they are; TON 1 carries the country
// code, and only Korea's (82) is taken, with the trunk 0 put back; Korea
// has no alphanumeric senders, so TON 5 is refused, as any other TON is.
// bad is the status for an address that cannot be a Korean number: its
// own TON status for the TON, invalid for the digits (the door says more
// about digits that are there).
func nationalNumber(a pdu.Address, badTON, badAddr pdu.Status) (string, pdu.Status) {
	switch a.TON {
	case tonUnknown, tonNational:
		return a.Addr, pdu.StatusOK
	case tonInternational:
		s := a.Addr
		if len(s) > 0 && s[0] == '+' {
			s = s[1:]
		}
		if len(s) < 3 || s[:2] != "82" {
			return "", badAddr // not a Korean number
		}
		s = s[2:]
		if s[0] == '0' {
			return s, pdu.StatusOK // written with the trunk 0 kept
		}
		return "0" + s, pdu.StatusOK
	default:
		return "", badTON
	}
}
