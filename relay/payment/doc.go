// Package payment turns payment events (결제 이벤트) into payment AlimTalk
// messages (결제 알림톡).
//
// A payment system pushes events: approval completed (승인완료), cancellation
// completed (취소완료), virtual account issued (가상계좌 채번), deposit
// completed (입금완료) and virtual account expired unpaid (입금기한 만료), for
// card, virtual account, account transfer and mobile payments. Only the
// payment system may ([Submitter].Sources, config payment_source): a
// merchant never pushes events, not even for its own MIDs. A virtual
// account's events carry its bank, account number, holder and deposit due
// date, and their templates must show all of them and the amount.
//
// Per MID (적용 MID) a [Subscription] names the customer that is
// billed, the Kakao sender profile, and two audiences:
//
//   - merchant (가맹점 대상): approval and/or cancellation, sent to 1..20
//     registered recipient numbers;
//   - buyer (구매자 대상): approval, cancellation and/or virtual account
//     issued, sent to the buyer number carried by the event. Buyer
//     cancellation needs buyer approval too.
//
// Each (audience, notice) has its own template: a Kakao template code and a
// text with placeholders (#{order_name}, #{amount}, ...; see [Placeholders]).
//
// # Which event sends what
//
//	event                    method            notice sent
//	approval completed       card, transfer,   approval
//	                         mobile
//	approval completed       virtual account   nothing: for a virtual account
//	                                           approval is the buyer's deposit
//	virtual account issued   virtual account   vaccount_issued (buyer only)
//	deposit completed        virtual account   vaccount_deposited where the
//	                                           audience subscribes to it,
//	                                           otherwise approval
//	virtual account expired  virtual account   vaccount_expired (buyer only)
//	cancellation completed   any               cancellation
//
// # Idempotency
//
// Every generated message carries a client reference derived only from the
// event id, the audience and the recipient ([ClientRef]). Expanding the
// same event twice yields the same references, and the store's unique
// (customer, client reference) index turns the second acceptance into a
// duplicate: the same event id never creates a second set of messages,
// even across restarts or after a subscription change.
//
// On the nodes of a cluster the rule holds across nodes: before a node
// stores a message it claims the message's client reference in the
// cluster (relay/cluster, bucket RELAY_REFS, 48 h), and an event sent again
// to another node is answered as a duplicate with the first node's message
// ids. Without a NATS quorum a node cannot tell a repeated event from a new
// one, so it answers STORE_UNAVAILABLE (send again later) rather than risk
// a second notice; an event it accepted itself is still answered from its
// store.
//
// # Fallback
//
// When KakaoTalk cannot deliver, the message falls back to SMS or LMS
// (whichever fits) from the company's fixed number 1588-4954
// ([FallbackSender]); the customer does not choose it. A delivered fallback
// is billed as SMS/LMS, a delivered AlimTalk as payment AlimTalk.
package payment
