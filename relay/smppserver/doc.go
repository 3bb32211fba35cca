// Package smppserver is the relay's SMPP 3.4 server for upstream ESMEs
// (`[smpp_server] listen`): SMS gateways such as Kannel bind to the relay
// as to an SMSC. It is a third door beside the upstream protocol and the
// HTTP API, with the same checks (relay/door), the same durable acceptance
// (one store AcceptBatch per batch) and the same report outbox; the
// Backend interface is all it knows of the relay.
//
// # Binds
//
// bind_transmitter, bind_receiver and bind_transceiver. system_id is the
// customer id and password the customer's SMPP password (at most 8
// characters, as SMPP 3.4 allows; stored hashed like the secret, see
// customer.Config.SMPPPasswordHash). Every bind goes through the relay's
// shared bind throttle (package authguard, Account = system_id) before the
// password is checked. A customer may restrict the
// source networks it binds from (smpp_networks) and has a bind cap
// (smpp_binds, else max_binds_per_customer). enquire_link is answered, and
// sent after EnquireLink without a PDU from the ESME; an unanswered one
// closes the socket. unbind is answered once every submit read before it
// is answered. On shutdown the server stops reading, answers what it has
// read, and sends unbind.
//
//	bind_resp status   when
//	ESME_ROK           bound
//	ESME_RINVPASWD     unknown system_id, no SMPP password, or a wrong one (one answer for all)
//	ESME_RBINDFAIL     throttled after wrong passwords; a network the customer does not allow; at the bind cap
//	ESME_RSYSERR       the relay could not decide (the ESME binds again later)
//	ESME_RINVBNDSTS    any other request before a bind
//	ESME_RALYBND       a second bind on a bound socket
//
// # Submits
//
// submit_sm and data_sm (text in short_message, or in message_payload) on
// a transmitter or transceiver bind. At most Window submits of one bind
// are unanswered; past that the server stops reading the socket. Workers
// store what is waiting in one batch and answer submit_sm_resp with the
// relay's message id (16 hex digits) only once the batch is durable.
//
// Numbers: TON 0 (unknown) and 2 (national) carry national digits; TON 1
// (international) carries 82…, normalised to the national form (821012345678
// → 01012345678). Korea has no alphanumeric senders: TON 5 is refused.
// Text: data_coding 0x00 (GSM 03.38), 0x01 (IA5), 0x03 (Latin-1), 0x08
// (UCS2) and 0x0E (KS C 5601, EUC-KR bytes) are decoded to text, which the
// door measures in EUC-KR bytes.
//
// The product is chosen by service_type, which SMPP leaves to the SMSC:
//
//	service_type     product   limits
//	"" or "CMT"      auto      SMS up to the SMS limit, LMS beyond (a
//	                           concatenated SMS is joined and goes the same way)
//	"SMS"            SMS       over the SMS limit: ESME_RINVMSGLEN, never an LMS
//	"LMS"            LMS       needs a subject unless [door] lms_subject_optional
//	any other        refused   ESME_RINVSERTYP
//
// (case does not matter). An LMS subject travels in the vendor TLV 0x1500
// (TagSubject, the tag the relay's own carriers default to), in the
// submit's data_coding; an auto message that becomes an LMS keeps it too. schedule_delivery_time and validity_period, in
// either form of SMPP 3.4 7.1.1 (absolute "YYMMDDhhmmsstnnp" with its
// offset from UTC, or relative "YYMMDDhhmmss000R" from acceptance), are
// honoured inside the message's 48-hour result window
// (message.ResultWindow) and refused beyond it. validity_period sets the
// message's deadline when it is earlier than the relay's own validity
// (acceptance + [dispatch] validity); the message is final by then,
// expired if nothing else. schedule_delivery_time holds the message until
// that time, across restarts; it must leave door.MinSendWindow before the
// deadline, and the night rules of advertising judge the scheduled time.
// Both are kept with the message (message.Message.Deadline, NotBefore).
// registered_delivery is kept
// with the message (message.Receipts): 0 asks for no receipt, 2 for one
// only when the message fails or expires, 1 (and the reserved 3) for one
// whatever the result; a report no receipt was asked for leaves the outbox
// unsent (relay_smpp_server_receipts_total{result="not_asked"}).
//
// Concatenated SMS (a UDH with IEI 0x00 or 0x08 under esm_class 0x40, or
// the sar_* TLVs) is joined into one message. Each part's answer waits
// until the whole message is durable, so every part is answered with the
// same id; an ESME's window must be at least the number of parts. At most
// MaxParts parts of one customer wait at a time; parts whose siblings do
// not come within PartsTimeout are refused.
//
// The status of a refusal, one switch in status.go and readSubmit:
//
//	command_status      rule                                                       ESME should
//	ESME_RINVSRCADR     sender not registered (anti-spoofing), or a foreign number  not resend
//	ESME_RINVSRCTON     sender TON other than 0, 1, 2 (alphanumeric TON 5)        not resend
//	ESME_RINVDSTADR     recipient not a Korean mobile number                        not resend
//	ESME_RINVDSTTON     recipient TON other than 0, 1, 2                            not resend
//	ESME_RINVMSGLEN     over the LMS limit, over SMS with no LMS allowed or by
//	                    service_type SMS, empty,
//	                    or octets that are not text in their data_coding            not resend
//	ESME_RTHROTTLED     the customer's rate (the door's token bucket)               resend later
//	ESME_RMSGQFUL       not stored (the store failed, the relay is stopping), or
//	                    the customer's waiting parts are at MaxParts                resend later
//	ESME_RINVSCHED      schedule_delivery_time malformed, beyond 48 h, or less
//	                    than door.MinSendWindow before the message's deadline       not resend
//	ESME_RINVEXPIRY     validity_period malformed, past, or beyond 48 h             not resend
//	ESME_RINVESMCLASS   a message type other than default, or a UDH that does not parse
//	ESME_RINVSERTYP     a service_type other than "", CMT, SMS, LMS                  not resend
//	ESME_RMISSINGOPTPARAM an LMS by service_type without a subject (TagSubject)     not resend
//	ESME_RINVOPTPARAMVAL sar_* TLVs out of range, both short_message and message_payload,
//	                    or a subject that is not text in its coding or over its limit
//	ESME_RSUBMITFAIL    suspended customer, a product not allowed, text not
//	                    encodable in EUC-KR, advertising rules, binary data_coding,
//	                    parts that differ in data_coding or never completed
//	ESME_RINVBNDSTS     a submit on a receiver bind
//	generic_nack ESME_RINVCMDID  query_sm, cancel_sm, replace_sm, submit_multi
//
// # Receipts
//
// Each customer with a receiver or transceiver bound has one pump that
// reads the store's report outbox (the one the upstream protocol reads)
// and sends the final result of each message that came in by SMPP as a
// deliver_sm receipt on one of the customer's receiving binds, round robin,
// at most DeliverWindow per bind: esm_class 0x04, from the recipient to the
// sender, the receipted_message_id and message_state TLVs, and the standard
// text, whose id: is the same string as submit_sm_resp's message id (Kannel
// compares them as strings):
//
//	id:0194f3a2b4c5d6e7 sub:001 dlvrd:001 submit date:2612020930 done date:2612020931 stat:DELIVRD err:000 text:
//
// Dates are Korean time. A receipt leaves the outbox when the ESME answers
// ESME_ROK; one refused, unanswered or lost with its socket is offered
// again after ReceiptRetry, doubling to 10 minutes, until ReceiptMaxAge
// (48 h) after the final result; unacknowledged receipts are read again by
// the customer's next bind; one no bind took by then is dropped from the
// outbox by the relay's scan of every door (store.ReportKeep), counted in
// relay_reports_expired_total{door="smpp"}. Reports of messages that came in by another
// door are left to it. The final state maps to the receipt thus (finalCode):
//
//	state      result decided by             message_state     stat     err
//	delivered  any                           DELIVERED (2)     DELIVRD  000
//	expired    no result within 48 h         EXPIRED (3)       EXPIRED  001
//	failed     the carrier refused the submit REJECTED (8)     REJECTD  002
//	failed     the carrier's receipt          UNDELIVERABLE (5) UNDELIV  003
//	failed     Kakao, without a fallback      UNDELIVERABLE (5) UNDELIV  004
//	failed     a relay rule (no route, …)     REJECTED (8)      REJECTD  005
package smppserver
