package smpptest

import (
	"log/slog"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
)

// ReceiptMode says how a receipt carries its result.
type ReceiptMode int

const (
	// ReceiptBoth sends the receipted_message_id and message_state TLVs and
	// the standard receipt text.
	ReceiptBoth ReceiptMode = iota
	// ReceiptTLV sends the TLVs and an empty short_message.
	ReceiptTLV
	// ReceiptText sends only the receipt text.
	ReceiptText
	// ReceiptNone sends no receipts at all.
	ReceiptNone
)

// Config is the simulated SMSC's settings. The zero value accepts any
// credentials, answers with hex ids and sends receipts at once, all
// successful, to every submit that asked for one.
type Config struct {
	// Users maps system_id to password; nil accepts everyone. A wrong
	// password gets ESME_RINVPASWD, an unknown system_id ESME_RINVSYSID.
	Users map[string]string
	// MaxBinds caps the bound sockets per system_id; a bind over the cap
	// gets ESME_RALYBND. Zero is no cap.
	MaxBinds int

	// IDBase is 16 (default) or 10; IDWidth zero-pads ids to that many
	// digits; IDUpper writes hex in upper case.
	IDBase  int
	IDWidth int
	IDUpper bool
	// IDStart is the number of the first message id (default 1).
	IDStart uint64
	// ReceiptOtherBase writes the id in receipts in the other base (the
	// hex id's decimal value, or the reverse), unpadded and lower-case, as
	// some carriers do.
	ReceiptOtherBase bool

	// Receipts is the receipt format; receipts go only to submits whose
	// registered_delivery asks for one.
	Receipts ReceiptMode
	// ReceiptDelay is the time between submit_sm_resp and the receipt.
	ReceiptDelay time.Duration
	// FailRatio is the share of receipts that report UNDELIV, 0..1.
	FailRatio float64
	// Location is the time zone of the dates in receipts; default Korea's
	// (UTC+9), as Korean carriers write them and the relay reads them
	// unless told otherwise.
	Location *time.Location
	// RedeliverDelay, RedeliverMaxDelay and MaxRedeliveries: a receipt
	// refused with an error deliver_sm_resp is sent again after
	// RedeliverDelay (default 1s), at most MaxRedeliveries times (default
	// 3; negative: never). Each further refusal of the same receipt
	// doubles its wait, up to RedeliverMaxDelay (default 64 ×
	// RedeliverDelay), as an SMSC backs off from an ESME that keeps
	// refusing; each wait is shortened by a random quarter at most, so
	// that receipts refused together do not all come back together.
	RedeliverDelay    time.Duration
	RedeliverMaxDelay time.Duration
	MaxRedeliveries   int
	// TPS caps submit_sm per second per socket; over it the SMSC answers
	// ESME_RTHROTTLED. Zero is no cap.
	TPS int

	// SubjectTag is the vendor TLV this SMSC reads an LMS subject from,
	// as Korean carriers each name one; Submitted records its value. Zero
	// reads none.
	SubjectTag pdu.Tag

	// Seed makes the failure mix repeatable.
	Seed uint64
	// MaxRecorded bounds the submits kept for Submitted (default 10 000;
	// older ones are dropped).
	MaxRecorded int
	// MaxPending bounds receipts waiting for their delay (default 100 000;
	// beyond it receipts are dropped and counted).
	MaxPending int

	// Behavior is the initial misbehaviour; SetBehavior changes it live.
	Behavior Behavior
	// Clock times receipt delays and late answers; default real time.
	Clock Clock
	// Logger, default discard.
	Logger *slog.Logger
}

// Behavior is misbehaviour on purpose. Counts are per socket; zero is off.
type Behavior struct {
	// RespDelay answers every submit_sm this late.
	RespDelay time.Duration
	// DropEvery withholds the answer to every Nth submit_sm.
	DropEvery int
	// NackEvery answers every Nth submit_sm with generic_nack (ESME_RSYSERR).
	NackEvery int
	// BusyEvery and BusyBurst: after every BusyEvery submits the next
	// BusyBurst are refused with BusyStatus (default ESME_RTHROTTLED; set
	// ESME_RMSGQFUL for a full queue).
	BusyEvery, BusyBurst int
	BusyStatus           pdu.Status
	// CloseAfter closes the socket when its Nth submit_sm arrives (or the
	// next one, on a connection already past N when the behaviour is set),
	// leaving it and whatever else is in the window unanswered.
	CloseAfter int
	// ResetAfter does the same with a TCP reset (SO_LINGER 0).
	ResetAfter int
	// HalfOpenAfter stops answering anything, enquire_link included, from
	// the Nth submit_sm on, and keeps the socket open.
	HalfOpenAfter int
	// DuplicateReceipts sends every receipt twice.
	DuplicateReceipts bool
	// ReceiptBeforeResp sends the receipt before the submit_sm_resp.
	ReceiptBeforeResp bool
	// EnquireLinkEvery makes the SMSC send its own enquire_link.
	EnquireLinkEvery time.Duration
	// UnbindAfter makes the SMSC send unbind after the Nth submit_sm.
	UnbindAfter int
	// ReceiptsElsewhere sends receipts on another receiving socket of the
	// same system_id when there is one.
	ReceiptsElsewhere bool
	// DropUnbound drops a receipt that finds no bound receiver, instead of
	// keeping it for the system_id's next bind as an SMSC does.
	DropUnbound bool
}

// Clock is the time the server uses for delays.
type Clock interface {
	Now() time.Time
	// AfterFunc runs f after d; stop prevents it if it has not started.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

func (c Config) withDefaults() Config {
	if c.IDBase != 10 {
		c.IDBase = 16
	}
	if c.IDStart == 0 {
		c.IDStart = 1
	}
	if c.MaxRecorded <= 0 {
		c.MaxRecorded = 10000
	}
	if c.RedeliverDelay <= 0 {
		c.RedeliverDelay = time.Second
	}
	if c.RedeliverMaxDelay < c.RedeliverDelay {
		c.RedeliverMaxDelay = 64 * c.RedeliverDelay
	}
	if c.MaxRedeliveries == 0 {
		c.MaxRedeliveries = 3
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 100000
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
