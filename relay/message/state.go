package message

import (
	"errors"
	"fmt"
)

// State is where a message is in its life. Part of the on-disk format:
// never renumber, only append.
type State uint8

const (
	StateUnknown      State = 0
	StateAccepted     State = 1 // durable, acknowledged to upstream
	StateQueued       State = 2 // waiting for a bind or a Kakao slot
	StateSending      State = 3 // submit_sm written, no submit_sm_resp yet
	StateSent         State = 4 // carrier accepted it; awaiting the receipt
	StateKakaoSending State = 5 // Kakao request in flight
	StateKakaoSent    State = 6 // Kakao accepted it; awaiting the final result (3005)
	StateDelivered    State = 7 // final: success, billed once
	StateFailed       State = 8 // final: failure, not billed
	StateExpired      State = 9 // final: no result within the window, not billed
)

var stateNames = [...]string{
	StateUnknown:      "unknown",
	StateAccepted:     "accepted",
	StateQueued:       "queued",
	StateSending:      "sending",
	StateSent:         "sent",
	StateKakaoSending: "kakao-sending",
	StateKakaoSent:    "kakao-sent",
	StateDelivered:    "delivered",
	StateFailed:       "failed",
	StateExpired:      "expired",
}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// ParseState is the inverse of [State.String].
func ParseState(s string) (State, error) {
	for i, n := range stateNames {
		if n == s && i != 0 {
			return State(i), nil
		}
	}
	return StateUnknown, fmt.Errorf("message: unknown state %q", s)
}

// Final reports whether the state is one of the three final results.
func (s State) Final() bool {
	return s == StateDelivered || s == StateFailed || s == StateExpired
}

// AwaitingResult reports whether the message has left the relay and waits
// for a receipt; such messages have a result deadline.
func (s State) AwaitingResult() bool { return s == StateSent || s == StateKakaoSent }

// ErrIllegalTransition is returned for a transition the state machine forbids.
var ErrIllegalTransition = errors.New("message: illegal state transition")

// legal[from] is the set of states reachable from "from" in one step. Every
// state that is not final may expire: the deadline runs from acceptance.
var legal = [...][]State{
	StateAccepted:     {StateQueued, StateFailed, StateExpired},
	StateQueued:       {StateSending, StateKakaoSending, StateFailed, StateExpired},
	StateSending:      {StateSent, StateQueued, StateFailed, StateDelivered, StateExpired},
	StateSent:         {StateDelivered, StateFailed, StateExpired},
	StateKakaoSending: {StateKakaoSent, StateDelivered, StateQueued, StateFailed, StateExpired},
	StateKakaoSent:    {StateDelivered, StateQueued, StateFailed, StateExpired},
}

// CheckTransition returns nil if a message may move from one state to the
// other, and an error wrapping [ErrIllegalTransition] otherwise.
//
// Sending → delivered is legal because a receipt may arrive before its
// submit_sm_resp has been recorded; the store parks such a receipt and applies
// it when the id is recorded, which moves the message in one step.
func CheckTransition(from, to State) error {
	if int(from) < len(legal) {
		for _, s := range legal[from] {
			if s == to {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %s → %s", ErrIllegalTransition, from, to)
}
