package door

import "time"

// Rule names, shared with the upstream protocol's status codes: a refusal's
// Rule is always one of these. OK, STORE_UNAVAILABLE and SHUTTING_DOWN are
// not refusals (the door never returns them) but belong to the same
// vocabulary, so they are listed here once.
const (
	RuleOK                  = "OK"
	RuleUnauthenticated     = "UNAUTHENTICATED"
	RuleCustomerSuspended   = "CUSTOMER_SUSPENDED"
	RuleProductNotAllowed   = "PRODUCT_NOT_ALLOWED"
	RuleSenderNotRegistered = "SENDER_NOT_REGISTERED"
	RuleRecipientInvalid    = "RECIPIENT_INVALID"
	RuleTooLong             = "TOO_LONG"
	RuleMissingField        = "MISSING_FIELD" // template code, sender profile, subject, image, text
	RuleUnencodableText     = "UNENCODABLE_TEXT"
	RuleThrottled           = "THROTTLED"
	RuleAd                  = "AD_RULE"           // advertising format or night time
	RuleOptedOut            = "OPTED_OUT"         // an advertisement to a number on the customer's opt-out list
	RuleTemplateMismatch    = "TEMPLATE_MISMATCH" // AlimTalk not matching a registered template
	RuleInvalidRequest      = "INVALID_REQUEST"
	RuleStoreUnavailable    = "STORE_UNAVAILABLE" // temporary: retry later
	RuleShuttingDown        = "SHUTTING_DOWN"     // temporary: retry later
)

// Rules lists every refusal rule the door can return.
var Rules = []string{
	RuleUnauthenticated, RuleCustomerSuspended, RuleProductNotAllowed,
	RuleSenderNotRegistered, RuleRecipientInvalid, RuleTooLong,
	RuleMissingField, RuleUnencodableText, RuleThrottled, RuleAd,
	RuleInvalidRequest, RuleOptedOut, RuleTemplateMismatch,
}

// Refusal is why the door refused a message: the rule, a reason a person
// can read, and the measured value and limit where there are any.
type Refusal struct {
	Rule   string // one of the Rule constants
	Reason string // e.g. "SMS text is 92 EUC-KR bytes, limit 80"
	Value  string // the measured or offending value, e.g. "92"
	Limit  string // the limit it broke, e.g. "80"; may be empty

	// For the upstream protocol's answer: the request field the refusal is
	// about ("text", "subject", "title", "sender", "recipient", "sender_key",
	// "template_code", "image_url", "product", "fallback", "ad"), the
	// numeric forms of Value and Limit where they are numbers (lengths in
	// the product's unit; for THROTTLED the rate in messages/s as Max), and
	// for THROTTLED how long until the customer's bucket has a token.
	Field      string
	Measured   int64
	Max        int64
	RetryAfter time.Duration
}

// Error is "RULE: reason", e.g. "TOO_LONG: SMS text is 92 EUC-KR bytes, limit 80".
func (r *Refusal) Error() string { return r.Rule + ": " + r.Reason }
