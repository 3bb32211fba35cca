package payment

import "errors"

// Sentinel errors.
var (
	// ErrConfig marks a subscription that breaks a rule; the wrapped text
	// names the rule.
	ErrConfig = errors.New("payment: invalid configuration")
	// ErrEvent marks a payment event that cannot be expanded.
	ErrEvent = errors.New("payment: invalid event")
	// ErrUnknownMID is returned for an event or change naming a MID that
	// has no subscription.
	ErrUnknownMID = errors.New("payment: unknown MID")
	// ErrTooManyRecipients is returned when a merchant would have more
	// than MaxRecipients recipient numbers.
	ErrTooManyRecipients = errors.New("payment: too many merchant recipients")
	// ErrNotFound is returned when removing a recipient that is not there.
	ErrNotFound = errors.New("payment: not found")
)
