package message

import "time"

// Message is everything the relay keeps about one message: what it needs to
// deliver it, correlate its receipt, report its result upstream and bill it.
// The store owns its encoding.
type Message struct {
	ID        ID
	Customer  string // customer id (고객사)
	ClientRef string // the customer's own reference; unique per customer when set
	Product   Product
	Ingress   Ingress  // the door it came in by
	Receipts  Receipts // which final results get a delivery receipt (SMPP)

	Sender    string // sender number (발신번호), digits only
	Recipient string // Korean mobile number, digits only
	Text      string
	Subject   string // LMS subject, or Kakao title

	Kakao Kakao // Kakao fields; zero for SMS/LMS

	Fallback Fallback // what to do when Kakao cannot deliver
	Truncate bool     // a fallback LMS may be cut to its limit instead of failing

	State    State
	Attempts uint32 // submit attempts over all legs
	Leg      uint8  // 0 for the first leg; 1 for an SMS/LMS fallback of a Kakao message

	Carrier      string // carrier of the current SMPP leg
	CarrierMsgID string // normalised message id from submit_sm_resp

	AcceptedAt time.Time
	SentAt     time.Time // when the current leg was accepted by the carrier or Kakao
	FinalAt    time.Time

	// Deadline is when the message must be final. On acceptance it is the
	// submitter's own validity (zero: none); the store sets it to the
	// earlier of that and acceptance + its validity, once. Zero in records
	// written before it was kept: acceptance + the store's validity.
	Deadline time.Time
	// NotBefore is when the submitter scheduled it (SMPP's
	// schedule_delivery_time): no leg is sent before. Zero: at once.
	NotBefore time.Time

	Result Result
	Billed Product // the product billed on delivery; ProductUnknown until then
}

// Kakao holds the fields of a KakaoTalk BizMessage.
type Kakao struct {
	SenderKey    string // sender profile key (발신프로필)
	TemplateCode string // AlimTalk template code
	Buttons      string // buttons, as the JSON array the Kakao API takes
	ImageURL     string // FriendTalk image
	Ad           bool   // FriendTalk advertising
}

// Result is the outcome reported for a message: a code from the channel that
// decided it (SMPP command_status, receipt error, Kakao result code, or a
// relay rule) and a reason a person can read.
type Result struct {
	Source Source
	Code   string // e.g. "DELIVRD", "0x00000045", "3018", "expired"
	Reason string
}

// Source names who decided a result. Part of the on-disk format.
type Source uint8

const (
	SourceNone    Source = 0
	SourceRelay   Source = 1 // a relay rule (expiry, routing, fallback refused)
	SourceSMPP    Source = 2 // a carrier's command_status
	SourceReceipt Source = 3 // a carrier's delivery receipt
	SourceKakao   Source = 4 // a Kakao result code
)

var sourceNames = [...]string{"none", "relay", "smpp", "receipt", "kakao"}

func (s Source) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return "source(?)"
}

// ResultWindow is how long after sending a message may wait for its final
// result (Art. 5-3). A message without a receipt by then is expired.
const ResultWindow = 48 * time.Hour

// DeadlineOf is the deadline of a message accepted at accepted under a
// validity: acceptance + validity, or own, the submitter's own validity,
// when it is set and earlier. The door checks a schedule against it, and
// the store sets a message's Deadline to it once, at acceptance.
func DeadlineOf(accepted time.Time, validity time.Duration, own time.Time) time.Time {
	if limit := accepted.Add(validity); own.IsZero() || own.After(limit) {
		return limit
	}
	return own
}
