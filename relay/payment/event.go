package payment

import (
	"fmt"
	"time"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// Kind is what happened to a payment.
type Kind uint8

// Event kinds; the values equal upstreampb.PaymentEventKind.
const (
	KindUnknown         Kind = 0
	KindApproval        Kind = 1 // 승인완료
	KindCancellation    Kind = 2 // 취소완료
	KindVAccountIssued  Kind = 3 // 가상계좌 채번
	KindDeposit         Kind = 4 // 입금완료 (virtual account)
	KindVAccountExpired Kind = 5 // 입금기한 만료 (virtual account, not paid)
)

var kindNames = [...]string{"unknown", "approval_completed", "cancellation_completed", "vaccount_issued", "deposit_completed", "vaccount_expired"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Method is how the buyer paid.
type Method uint8

// Payment methods; the values equal upstreampb.PaymentMethod.
const (
	MethodUnknown         Method = 0
	MethodCard            Method = 1 // 신용카드
	MethodVirtualAccount  Method = 2 // 가상계좌
	MethodAccountTransfer Method = 3 // 계좌이체
	MethodMobile          Method = 4 // 휴대폰결제
)

var methodNames = [...]string{"unknown", "card", "virtual_account", "account_transfer", "mobile"}

// methodLabels are what #{method} renders to.
var methodLabels = [...]string{"", "신용카드", "가상계좌", "계좌이체", "휴대폰결제"}

func (m Method) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return fmt.Sprintf("method(%d)", uint8(m))
}

// Label is the Korean name of the method, as shown to people.
func (m Method) Label() string {
	if m > MethodUnknown && int(m) < len(methodLabels) {
		return methodLabels[m]
	}
	return ""
}

// Event is one payment event from the payment system.
type Event struct {
	ID          string // unique per payment system
	MID         string
	Kind        Kind
	Method      Method
	Amount      int64 // won
	OrderID     string
	OrderName   string
	BuyerNumber string
	At          time.Time

	// The virtual account, for #{bank}, #{account}, #{holder} and #{due}:
	// required by the virtual-account kinds ([Kind.VirtualAccount]).
	Bank    string
	Account string
	Holder  string // 예금주
	DueAt   time.Time
}

// VirtualAccount reports whether events of kind k are about a virtual
// account and carry its details.
func (k Kind) VirtualAccount() bool {
	return k == KindVAccountIssued || k == KindDeposit || k == KindVAccountExpired
}

// MissingFieldError is an event without a field its kind needs. It
// matches ErrEvent.
type MissingFieldError struct {
	Event string
	Kind  Kind
	Field string // the protocol's name, e.g. "account_holder"
}

func (e *MissingFieldError) Error() string {
	return fmt.Sprintf("%v: event %s: a %s event needs %s", ErrEvent, e.Event, e.Kind, e.Field)
}

// Is makes errors.Is(err, ErrEvent) hold.
func (e *MissingFieldError) Is(target error) bool { return target == ErrEvent }

// FromProto converts an upstream PaymentEvent.
func FromProto(p *upstreampb.PaymentEvent) Event {
	return Event{
		ID:          p.GetEventId(),
		MID:         p.GetMid(),
		Kind:        Kind(narrow(int32(p.GetKind()))),
		Method:      Method(narrow(int32(p.GetMethod()))),
		Amount:      p.GetAmount(),
		OrderID:     p.GetOrderId(),
		OrderName:   p.GetOrderName(),
		BuyerNumber: p.GetBuyerNumber(),
		At:          time.UnixMilli(p.GetTimeMs()),
		Bank:        p.GetBank(),
		Account:     p.GetAccountNumber(),
		Holder:      p.GetAccountHolder(),
		DueAt:       unixMilli(p.GetDepositDueMs()),
	}
}

// narrow converts a wire enum number to a uint8 without wrapping: one
// outside 0..254 becomes 255, which no kind or method defines, so Validate
// refuses it (257 would otherwise read as 1, an approval by card).
func narrow(v int32) uint8 {
	if v < 0 || v >= 255 {
		return 255
	}
	return uint8(v)
}

// unixMilli is the time of ms, or the zero time for 0 (not given).
func unixMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// Validate checks the fields every event needs.
func (e *Event) Validate() error {
	switch {
	case e.ID == "":
		return fmt.Errorf("%w: no event id", ErrEvent)
	case e.MID == "":
		return fmt.Errorf("%w: event %s: no MID", ErrEvent, e.ID)
	case e.Kind == KindUnknown || int(e.Kind) >= len(kindNames):
		return fmt.Errorf("%w: event %s: unknown kind %d", ErrEvent, e.ID, e.Kind)
	case e.Method == MethodUnknown || int(e.Method) >= len(methodNames):
		return fmt.Errorf("%w: event %s: unknown payment method %d", ErrEvent, e.ID, e.Method)
	case e.Amount < 0:
		return fmt.Errorf("%w: event %s: negative amount %d", ErrEvent, e.ID, e.Amount)
	case e.Kind.VirtualAccount() && e.Method != MethodVirtualAccount:
		return fmt.Errorf("%w: event %s: %s for a %s payment; only virtual accounts have it", ErrEvent, e.ID, e.Kind, e.Method)
	}
	if e.Kind.VirtualAccount() {
		for _, f := range [...]struct {
			missing bool
			name    string
		}{
			{e.Bank == "", "bank"}, {e.Account == "", "account_number"}, {e.Holder == "", "account_holder"},
			{e.Amount <= 0, "amount"}, {e.DueAt.IsZero(), "deposit_due_ms"},
		} {
			if f.missing {
				return &MissingFieldError{Event: e.ID, Kind: e.Kind, Field: f.name}
			}
		}
	}
	return nil
}

// notice is what the event tells audience a of sub, or "" for nothing
// (see the table in the package doc).
func (e *Event) notice(sub *Subscription, a Audience) Notice {
	switch e.Kind {
	case KindApproval:
		if e.Method == MethodVirtualAccount {
			return "" // approval of a virtual account is its deposit
		}
		return NoticeApproval
	case KindDeposit:
		if sub.Subscribed(a, NoticeVAccountDeposited) {
			return NoticeVAccountDeposited
		}
		return NoticeApproval
	case KindVAccountIssued:
		return NoticeVAccountIssued
	case KindVAccountExpired:
		return NoticeVAccountExpired
	case KindCancellation:
		return NoticeCancellation
	}
	return ""
}
