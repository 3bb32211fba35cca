package smppserver

import (
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/smpp/pdu"
)

// refusalStatus is the submit_sm_resp command_status for a door refusal:
// the one switch from the relay's rules to SMPP (the table in the package
// doc). A status an ESME treats as temporary (ESME_RTHROTTLED,
// ESME_RMSGQFUL) is used only where sending the same message again later
// can succeed; everything else fails the message at the ESME.
func refusalStatus(r *door.Refusal) pdu.Status {
	switch r.Rule {
	case door.RuleThrottled:
		return pdu.StatusThrottled // the customer's rate: send again after a pause
	case door.RuleSenderNotRegistered:
		return pdu.StatusInvSrcAdr // anti-spoofing (Art. 2-11): never sent
	case door.RuleRecipientInvalid:
		return pdu.StatusInvDstAdr
	case door.RuleTooLong:
		if r.Field == "subject" {
			return pdu.StatusInvOptParamVal // the TagSubject TLV over the LMS subject limit
		}
		return pdu.StatusInvMsgLen
	case door.RuleMissingField:
		switch r.Field {
		case "text":
			return pdu.StatusInvMsgLen // an empty text
		case "subject":
			return pdu.StatusMissingOptParam // an LMS asked for by service_type, without its TagSubject
		}
		return pdu.StatusSubmitFail
	case door.RuleProductNotAllowed:
		if r.Field == "product" && r.Measured > 0 {
			return pdu.StatusInvMsgLen // over the SMS limit, and no LMS allowed
		}
		return pdu.StatusSubmitFail
	case door.RuleUnauthenticated:
		return pdu.StatusInvBnd
	case door.RuleInvalidRequest:
		switch r.Field {
		case "schedule":
			return pdu.StatusInvSched // later than the relay's validity allows
		case "validity":
			return pdu.StatusInvExpiry
		}
		return pdu.StatusSubmitFail
	case door.RuleStoreUnavailable, door.RuleShuttingDown:
		return pdu.StatusMsgQFul // not stored: the ESME sends it again
	default:
		// CUSTOMER_SUSPENDED, UNENCODABLE_TEXT, AD_RULE, INVALID_REQUEST:
		// the message is refused for good.
		return pdu.StatusSubmitFail
	}
}
