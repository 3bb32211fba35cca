// Package door holds the checks a message passes before the relay stores
// it. [Checker.Check] takes the authenticated customer and the submitted
// fields and returns either the product to store or a [Refusal] naming the
// rule it broke, a reason, the measured value and the limit:
//
//	TOO_LONG: SMS text is 92 EUC-KR bytes, limit 80
//
// # Rules
//
// Checked in this order, the first broken rule answering: the customer
// (authenticated, not suspended), the product, the text's encoding, the
// sender number or profile, the recipient, the length, the product's own
// fields, advertising, the fallback, and last the rate, so a refused
// message takes no token. [Refusal.Field] names the request field in the
// upstream protocol's terms.
//
//	rule                   when
//	UNAUTHENTICATED        no customer (the connection has not bound)
//	CUSTOMER_SUSPENDED     the customer is suspended; the reason is given
//	INVALID_REQUEST        unknown product or fallback, invalid UTF-8, an
//	                       image on a text FriendTalk, a malformed image URL,
//	                       a fallback on an SMS/LMS, buttons_json that is not
//	                       a valid button list (the element is named, e.g.
//	                       buttons_json[1].url_mobile)
//	PRODUCT_NOT_ALLOWED    the product (or the fallback's) is not the customer's;
//	                       payment AlimTalk not built from a payment event
//	MISSING_FIELD          empty text; LMS subject; sender profile; AlimTalk
//	                       template code; FriendTalk image
//	UNENCODABLE_TEXT       SMS/LMS text (or a fallback's) has a character
//	                       EUC-KR lacks; the character and position are named
//	SENDER_NOT_REGISTERED  SMS/LMS (and any fallback) from a number not among
//	                       the customer's; Kakao from a sender profile not its own;
//	                       the company's reserved representative number is named
//	                       as such
//	RECIPIENT_INVALID      not 010 + 8 digits, or 011/016/017/018/019 + 7 or 8;
//	                       +82 10…, 82 10… and '-'/spaces are accepted
//	TOO_LONG               over the product's limit in its unit (below)
//	AD_RULE                advertising: customer not allowed to advertise, no
//	                       "(광고)" prefix, no free 080 opt-out number, or night
//	                       time (FriendTalk 20:50–08:00, SMS 21:00–08:00 Seoul);
//	                       AlimTalk is never advertising
//	OPTED_OUT              an advertisement to a number on the customer's
//	                       opt-out list (080 수신거부; [Options].OptOuts)
//	TEMPLATE_MISMATCH      AlimTalk naming a template its sender profile has
//	                       not registered, or whose text or buttons differ
//	                       from it; the first differing character (1-based,
//	                       in Measured) or button is named ([Options].Templates)
//	THROTTLED              the customer's token bucket is empty; the rate is named
//
// # Advertising
//
// A message is an advertisement when it is flagged as one, or when its
// text opens with "(광고)" as a reader sees it ([IsAdText]: after NFKC, so
// full-width "（광고）" counts; leading whitespace and zero-width
// characters skipped; spaces inside the brackets ignored; "[광고]" too),
// whatever the flag says ([Request.IsAd]). Every advertisement needs the
// customer's ad permission, the prefix, the free opt-out line (the relay
// never adds it) and a recipient not on the customer's opt-out list, and
// keeps the night rules. AlimTalk never carries one. The caller stores an
// accepted message's ad flag as [Request.IsAd], so its Kakao leg and its
// SMS fallback are sent as the advertisement it is.
//
// Product auto becomes SMS if the text fits the SMS limit (and the customer
// may send SMS), otherwise LMS; an LMS chosen this way needs no subject.
// A Kakao message's fallback leg is decided once, by [FallbackLeg], the rule
// the dispatcher applies again when Kakao fails: the door refuses a message
// whose fallback could not be sent (SMS fallback of a text over the SMS
// limit unless the customer allows truncation, a product the customer may
// not send, text EUC-KR cannot carry, a sender number that is not
// registered), and [Checker.Decide] returns the fallback to store, auto
// resolved to SMS or LMS by what the customer may send.
//
// # Units
//
//	product            text limit              unit
//	SMS                80 (Config.SMSBytes)    EUC-KR bytes: Hangul 2, ASCII 1
//	LMS                2,000, subject 40       EUC-KR bytes
//	AlimTalk           1,000, title 50         characters, spaces included
//	FriendTalk text    1,000                   characters
//	FriendTalk image   400 + exactly 1 image   characters
//
// Time-of-day rules are in Asia/Seoul whatever the host's zone
// ([Seoul], [AdFriendTalkAllowed], [AdSMSAllowed]). Kakao now sells
// FriendTalk as "brand message"; the relay keeps the terms' names.
//
// Check does not allocate for a message it accepts; the per-customer token
// buckets are found without a lock.
package door
