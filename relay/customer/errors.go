package customer

import "errors"

var (
	// ErrAuth is returned by [Registry.Authenticate] for an unknown customer
	// and for a wrong secret alike, so that ids cannot be probed.
	ErrAuth = errors.New("customer: authentication failed")
	// ErrUnknown is returned by registry changes naming no known customer.
	ErrUnknown = errors.New("customer: unknown customer")
	// ErrTooManySenders is returned when a customer would have more than
	// MaxSenders sender numbers.
	ErrTooManySenders = errors.New("customer: too many sender numbers")
	// ErrBadNumber is returned for a sender number that is not digits.
	ErrBadNumber = errors.New("customer: malformed sender number")
	// ErrDuplicate is returned when adding what is already there.
	ErrDuplicate = errors.New("customer: already registered")
	// ErrNotFound is returned when removing what is not there.
	ErrNotFound = errors.New("customer: not registered")
	// ErrBadSecretHash is returned for a stored secret hash that cannot be used.
	ErrBadSecretHash = errors.New("customer: malformed secret hash")
	// ErrTooManyKeys is returned when a customer would have more than
	// MaxAPIKeys API keys in force.
	ErrTooManyKeys = errors.New("customer: too many API keys")
	// ErrKeyTaken is returned when adding an API key that is another
	// customer's: a key belongs to one customer.
	ErrKeyTaken = errors.New("customer: API key is another customer's")
	// ErrConfig is wrapped by every configuration error.
	ErrConfig = errors.New("customer: invalid configuration")
)
