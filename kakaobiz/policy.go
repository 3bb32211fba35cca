package kakaobiz

import "strconv"

// Action is what the caller should do with a message after a Kakao answer.
type Action uint8

const (
	// Delivered: KakaoTalk delivered it; final; bill the Kakao product.
	Delivered Action = iota + 1
	// Fallback: KakaoTalk cannot deliver it; send it as SMS/LMS instead.
	Fallback
	// FallbackAlert: as Fallback, and an operator must look: the cause is
	// our own configuration (template, sender profile, credentials, content).
	FallbackAlert
	// Wait: Kakao holds the message; its final result comes later, through
	// Lookup with the same serial (inside the 48-hour window). Do not fall
	// back now: the handset might get it twice.
	Wait
	// Retry: transient; send again later with the SAME serial.
	Retry
	// Fail: the message cannot be delivered by Kakao nor by a fallback.
	Fail
)

var actionNames = [...]string{"unknown", "delivered", "fallback", "fallback_alert", "wait", "retry", "fail"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "unknown"
}

// FallsBack reports whether the message should go out as SMS/LMS instead.
func (a Action) FallsBack() bool { return a == Fallback || a == FallbackAlert }

// Final reports whether the Kakao leg is over: delivered, failed, or to be
// replaced by a fallback leg. Wait and Retry are not final.
func (a Action) Final() bool { return a == Delivered || a == Fail || a.FallsBack() }

// Decision is one answer classified: the action, the code it came from
// ("1000", "3018", "http 503", "timeout", …) and why.
type Decision struct {
	Action Action
	Code   string
	Reason string
}

// source says which namespace a policy row matches.
type source uint8

const (
	kakaoCode  source = iota + 1 // Kakao delivery/request code in the body
	httpStatus                   // HTTP status, when it decides alone
	transport                    // no answer at all
)

// Transport failures, as pseudo-codes of the transport source.
const (
	codeTimeout = 1 // no answer in RequestTimeout
	codeConn    = 2 // connection refused, reset or closed
	codeGarbage = 3 // an answer we could not parse, or too large
)

type rule struct {
	src    source
	lo, hi int
	action Action
	reason string
}

// policy is THE result-code policy: first matching row wins. Codes are
// Kakao's published BizMessage delivery codes. Every row that fails or drops
// a message (Fail) says why; every Fallback row says why SMS still can.
var policy = [...]rule{
	// --- Kakao codes -----------------------------------------------------
	{kakaoCode, 1000, 1000, Delivered, "delivered to KakaoTalk"},
	// The sender profile (channel) is blocked, dormant, deleted, being
	// deleted or spam-blocked: KakaoTalk cannot carry it, an SMS can.
	{kakaoCode, 1021, 1025, Fallback, "sender profile blocked or closed"},
	// Other 1xxx: sender key, hub partner key, contract or request format
	// rejected. That is our configuration; SMS still delivers meanwhile.
	{kakaoCode, 1001, 1999, FallbackAlert, "sender profile or request configuration rejected"},
	// Handed to KakaoTalk, receipt unconfirmed: the final code comes later.
	{kakaoCode, 3005, 3005, Wait, "sent, receipt unconfirmed; final result follows"},
	// Kakao's own internal error before the hand-off: same serial again.
	{kakaoCode, 3006, 3006, Retry, "Kakao internal error"},
	// Fail: the number itself is not a valid mobile number; an SMS to it
	// would fail the same way and cost a carrier submit for nothing.
	{kakaoCode, 3008, 3008, Fail, "invalid phone number"},
	// Fail: empty message; nothing to send by Kakao nor by fallback.
	{kakaoCode, 3013, 3013, Fail, "empty message"},
	// Too long, template not found, template mismatch: our templates.
	{kakaoCode, 3014, 3016, FallbackAlert, "message or template mismatch"},
	// Not a KakaoTalk user, blocked us, old app, not reachable.
	{kakaoCode, 3018, 3021, Fallback, "recipient cannot receive KakaoTalk"},
	// FriendTalk outside its sending hours; the relay's fallback applies
	// its own night rules for advertising SMS.
	{kakaoCode, 3022, 3022, Fallback, "outside KakaoTalk sending hours"},
	// Image missing or invalid, variables, buttons, chat extras: our content.
	{kakaoCode, 3023, 3999, FallbackAlert, "content does not match what Kakao approved"},
	// Fail: Kakao refused the request itself (format, auth scope, limits);
	// a fallback would carry the same malformed message.
	{kakaoCode, 4000, 4999, Fail, "request refused"},
	// 2xxx, other 30xx and 9xxx: Kakao could not send it for its own
	// reasons; SMS can.
	{kakaoCode, 2000, 3004, Fallback, "KakaoTalk could not send"},
	{kakaoCode, 3007, 3012, Fallback, "KakaoTalk could not send"},
	{kakaoCode, 9000, 9999, Fallback, "KakaoTalk system error"},

	// --- HTTP statuses that decide without a body ------------------------
	{httpStatus, 408, 408, Retry, "request timeout"},
	{httpStatus, 429, 429, Retry, "throttled"},
	{httpStatus, 500, 599, Retry, "server error"},
	// Duplicate cid: Kakao already holds the message; look it up, never resend.
	{httpStatus, 409, 409, Wait, "duplicate serial; already accepted"},
	// Still refused after one token refresh: credentials or IP allow-list
	// are wrong (our configuration); deliver by SMS meanwhile.
	{httpStatus, 401, 401, FallbackAlert, "credentials rejected"},
	{httpStatus, 403, 403, FallbackAlert, "access forbidden"},
	// Fail: any other 4xx without a Kakao code is a request this client
	// built wrongly; repeating it cannot help.
	{httpStatus, 400, 499, Fail, "request refused"},

	// --- No usable answer: the request may or may not have been accepted,
	// so only a retry with the same serial is safe.
	{transport, codeTimeout, codeTimeout, Retry, "timeout"},
	{transport, codeConn, codeConn, Retry, "connection failed"},
	{transport, codeGarbage, codeGarbage, Retry, "unreadable answer"},
}

// unknownCode is the Decision for a Kakao code the table does not know: our
// table is out of date, an operator must look; SMS still delivers.
const unknownReason = "unknown Kakao code"

func lookupRule(src source, code int) (rule, bool) {
	for _, r := range policy {
		if r.src == src && code >= r.lo && code <= r.hi {
			return r, true
		}
	}
	return rule{}, false
}

// Classify turns a Kakao code ("1000", "3018", …) into a Decision.
func Classify(code string) Decision {
	n, err := strconv.Atoi(code)
	if err != nil {
		return Decision{Action: FallbackAlert, Code: code, Reason: unknownReason}
	}
	r, ok := lookupRule(kakaoCode, n)
	if !ok {
		return Decision{Action: FallbackAlert, Code: code, Reason: unknownReason}
	}
	return Decision{Action: r.action, Code: code, Reason: r.reason}
}

// classifyHTTP decides on an HTTP status alone; ok is false for statuses that
// need the body's Kakao code (2xx, and 4xx carrying a code).
func classifyHTTP(status int) (Decision, bool) {
	r, ok := lookupRule(httpStatus, status)
	if !ok {
		return Decision{}, false
	}
	return Decision{Action: r.action, Code: "http " + strconv.Itoa(status), Reason: r.reason}, true
}

func classifyTransport(code int) Decision {
	r, _ := lookupRule(transport, code)
	names := [...]string{"", "timeout", "connection", "garbage"}
	return Decision{Action: r.action, Code: names[code], Reason: r.reason}
}
