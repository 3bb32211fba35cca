package receipt

import "strings"

// Stat is the state of a message as a receipt reports it.
type Stat uint8

// Stat values. StatNone means no state was found; StatOther is a stat text
// this package does not know (see Receipt.StatText).
const (
	StatNone Stat = iota
	StatDelivered
	StatAccepted
	StatEnroute
	StatBuffered
	StatScheduled
	StatExpired
	StatDeleted
	StatUndeliverable
	StatRejected
	StatUnknown
	StatSkipped
	StatOther
)

// stat texts as written in a receipt; the first for each Stat is the one
// Format writes.
var statTexts = []struct {
	text string
	stat Stat
}{
	{"DELIVRD", StatDelivered},
	{"ACCEPTD", StatAccepted},
	{"ENROUTE", StatEnroute},
	{"BUFFRED", StatBuffered},
	{"SCHEDULED", StatScheduled},
	{"EXPIRED", StatExpired},
	{"DELETED", StatDeleted},
	{"UNDELIV", StatUndeliverable},
	{"REJECTD", StatRejected},
	{"UNKNOWN", StatUnknown},
	{"SKIPPED", StatSkipped},
	{"DELIVERED", StatDelivered},
	{"ACCEPTED", StatAccepted},
	{"ACKED", StatAccepted},
	{"BUFFERED", StatBuffered},
	{"UNDELIVERABLE", StatUndeliverable},
	{"REJECTED", StatRejected},
}

// ParseStat maps a stat: value, in any case, to a Stat; an unknown value is
// StatOther and an empty one StatNone.
func ParseStat(s string) Stat {
	if s == "" {
		return StatNone
	}
	for _, st := range statTexts {
		if strings.EqualFold(s, st.text) {
			return st.stat
		}
	}
	return StatOther
}

func (s Stat) String() string {
	for _, st := range statTexts {
		if st.stat == s {
			return st.text
		}
	}
	if s == StatOther {
		return "OTHER"
	}
	return ""
}

// messageStates maps the message_state TLV (SMPP 3.4 5.2.28; 0 and 9 from
// SMPP 5.0) to a Stat. The values are part of the wire format.
var messageStates = [...]Stat{
	0: StatScheduled,
	1: StatEnroute,
	2: StatDelivered,
	3: StatExpired,
	4: StatDeleted,
	5: StatUndeliverable,
	6: StatAccepted,
	7: StatUnknown,
	8: StatRejected,
	9: StatSkipped,
}

// StatFromMessageState maps a message_state TLV value; values outside 0-9
// are StatOther.
func StatFromMessageState(v uint8) Stat {
	if int(v) < len(messageStates) {
		return messageStates[v]
	}
	return StatOther
}

// MessageState returns the message_state TLV value for s; BUFFRED, which has
// none of its own, is ENROUTE, and StatOther and StatNone are UNKNOWN.
func (s Stat) MessageState() uint8 {
	if s == StatBuffered {
		return 1
	}
	for v, st := range messageStates {
		if st == s {
			return uint8(v)
		}
	}
	return 7
}

// Class is what a receipt means for the message.
type Class uint8

const (
	// ClassIntermediate: the carrier has the message but it is not final.
	ClassIntermediate Class = iota + 1
	// ClassSuccess: delivered to the handset. Final.
	ClassSuccess
	// ClassFailure: will not be delivered. Final.
	ClassFailure
)

func (c Class) String() string {
	switch c {
	case ClassIntermediate:
		return "intermediate"
	case ClassSuccess:
		return "success"
	case ClassFailure:
		return "failure"
	}
	return "none"
}

// Class classifies s as Kannel does: unknown stat values are failures. It
// returns 0 for StatNone.
func (s Stat) Class() Class {
	switch s {
	case StatNone:
		return 0
	case StatDelivered:
		return ClassSuccess
	case StatAccepted, StatEnroute, StatBuffered, StatScheduled:
		return ClassIntermediate
	}
	return ClassFailure
}
