package pdu

import "strconv"

// Status is the command_status field of the PDU header: zero in requests, the
// outcome in responses. Its values are part of the wire format (SMPP 3.4
// table 5-2) and must not change.
//
// A non-zero Status is an error: a *_resp with a failing status can be
// returned as is and classified with errors.Is / errors.As. This package does
// not decide what is transient; that belongs to the relay. For its reference,
// the statuses carriers commonly use for conditions that pass are
// ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR, ESME_RX_T_APPN and
// ESME_RDELIVERYFAILURE (a temporary SMSC-side failure); ESME_RBINDFAIL and
// ESME_RINVBNDSTS are session conditions that a rebind may clear. The
// ESME_RINV* family describes a message the SMSC will never accept as sent.
type Status uint32

// Command status codes of SMPP 3.4, table 5-2.
const (
	StatusOK              Status = 0x00000000 // ESME_ROK: no error
	StatusInvMsgLen       Status = 0x00000001 // ESME_RINVMSGLEN: message length is invalid
	StatusInvCmdLen       Status = 0x00000002 // ESME_RINVCMDLEN: command length is invalid
	StatusInvCmdID        Status = 0x00000003 // ESME_RINVCMDID: invalid command id
	StatusInvBnd          Status = 0x00000004 // ESME_RINVBNDSTS: incorrect bind status for the command
	StatusAlyBnd          Status = 0x00000005 // ESME_RALYBND: already bound
	StatusInvPrtFlg       Status = 0x00000006 // ESME_RINVPRTFLG: invalid priority flag
	StatusInvRegDlvFlg    Status = 0x00000007 // ESME_RINVREGDLVFLG: invalid registered delivery flag
	StatusSysErr          Status = 0x00000008 // ESME_RSYSERR: system error
	StatusInvSrcAdr       Status = 0x0000000A // ESME_RINVSRCADR: invalid source address
	StatusInvDstAdr       Status = 0x0000000B // ESME_RINVDSTADR: invalid destination address
	StatusInvMsgID        Status = 0x0000000C // ESME_RINVMSGID: message id is invalid
	StatusBindFail        Status = 0x0000000D // ESME_RBINDFAIL: bind failed
	StatusInvPaswd        Status = 0x0000000E // ESME_RINVPASWD: invalid password
	StatusInvSysID        Status = 0x0000000F // ESME_RINVSYSID: invalid system id
	StatusCancelFail      Status = 0x00000011 // ESME_RCANCELFAIL: cancel_sm failed
	StatusReplaceFail     Status = 0x00000013 // ESME_RREPLACEFAIL: replace_sm failed
	StatusMsgQFul         Status = 0x00000014 // ESME_RMSGQFUL: message queue full
	StatusInvSerTyp       Status = 0x00000015 // ESME_RINVSERTYP: invalid service type
	StatusInvNumDests     Status = 0x00000033 // ESME_RINVNUMDESTS: invalid number of destinations
	StatusInvDLName       Status = 0x00000034 // ESME_RINVDLNAME: invalid distribution list name
	StatusInvDestFlag     Status = 0x00000040 // ESME_RINVDESTFLAG: invalid destination flag (submit_multi)
	StatusInvSubRep       Status = 0x00000042 // ESME_RINVSUBREP: invalid submit with replace request
	StatusInvEsmClass     Status = 0x00000043 // ESME_RINVESMCLASS: invalid esm_class field data
	StatusCntSubDL        Status = 0x00000044 // ESME_RCNTSUBDL: cannot submit to distribution list
	StatusSubmitFail      Status = 0x00000045 // ESME_RSUBMITFAIL: submit_sm or submit_multi failed
	StatusInvSrcTON       Status = 0x00000048 // ESME_RINVSRCTON: invalid source address TON
	StatusInvSrcNPI       Status = 0x00000049 // ESME_RINVSRCNPI: invalid source address NPI
	StatusInvDstTON       Status = 0x00000050 // ESME_RINVDSTTON: invalid destination address TON
	StatusInvDstNPI       Status = 0x00000051 // ESME_RINVDSTNPI: invalid destination address NPI
	StatusInvSysTyp       Status = 0x00000053 // ESME_RINVSYSTYP: invalid system_type field
	StatusInvRepFlag      Status = 0x00000054 // ESME_RINVREPFLAG: invalid replace_if_present flag
	StatusInvNumMsgs      Status = 0x00000055 // ESME_RINVNUMMSGS: invalid number of messages
	StatusThrottled       Status = 0x00000058 // ESME_RTHROTTLED: throttling error (rate exceeded)
	StatusInvSched        Status = 0x00000061 // ESME_RINVSCHED: invalid scheduled delivery time
	StatusInvExpiry       Status = 0x00000062 // ESME_RINVEXPIRY: invalid validity period
	StatusInvDftMsgID     Status = 0x00000063 // ESME_RINVDFTMSGID: predefined message invalid or not found
	StatusRxTAppn         Status = 0x00000064 // ESME_RX_T_APPN: receiver temporary application error
	StatusRxPAppn         Status = 0x00000065 // ESME_RX_P_APPN: receiver permanent application error
	StatusRxRAppn         Status = 0x00000066 // ESME_RX_R_APPN: receiver reject message error
	StatusQueryFail       Status = 0x00000067 // ESME_RQUERYFAIL: query_sm failed
	StatusInvOptParStream Status = 0x000000C0 // ESME_RINVOPTPARSTREAM: error in the optional part of the body
	StatusOptParNotAllwd  Status = 0x000000C1 // ESME_ROPTPARNOTALLWD: optional parameter not allowed
	StatusInvOptParLen    Status = 0x000000C2 // ESME_RINVPARLEN: invalid parameter length
	StatusMissingOptParam Status = 0x000000C3 // ESME_RMISSINGOPTPARAM: expected optional parameter missing
	StatusInvOptParamVal  Status = 0x000000C4 // ESME_RINVOPTPARAMVAL: invalid optional parameter value
	StatusDeliveryFailure Status = 0x000000FE // ESME_RDELIVERYFAILURE: delivery failure (data_sm_resp)
	StatusUnknownErr      Status = 0x000000FF // ESME_RUNKNOWNERR: unknown error
)

var statusNames = map[Status]string{
	StatusOK:              "ESME_ROK",
	StatusInvMsgLen:       "ESME_RINVMSGLEN",
	StatusInvCmdLen:       "ESME_RINVCMDLEN",
	StatusInvCmdID:        "ESME_RINVCMDID",
	StatusInvBnd:          "ESME_RINVBNDSTS",
	StatusAlyBnd:          "ESME_RALYBND",
	StatusInvPrtFlg:       "ESME_RINVPRTFLG",
	StatusInvRegDlvFlg:    "ESME_RINVREGDLVFLG",
	StatusSysErr:          "ESME_RSYSERR",
	StatusInvSrcAdr:       "ESME_RINVSRCADR",
	StatusInvDstAdr:       "ESME_RINVDSTADR",
	StatusInvMsgID:        "ESME_RINVMSGID",
	StatusBindFail:        "ESME_RBINDFAIL",
	StatusInvPaswd:        "ESME_RINVPASWD",
	StatusInvSysID:        "ESME_RINVSYSID",
	StatusCancelFail:      "ESME_RCANCELFAIL",
	StatusReplaceFail:     "ESME_RREPLACEFAIL",
	StatusMsgQFul:         "ESME_RMSGQFUL",
	StatusInvSerTyp:       "ESME_RINVSERTYP",
	StatusInvNumDests:     "ESME_RINVNUMDESTS",
	StatusInvDLName:       "ESME_RINVDLNAME",
	StatusInvDestFlag:     "ESME_RINVDESTFLAG",
	StatusInvSubRep:       "ESME_RINVSUBREP",
	StatusInvEsmClass:     "ESME_RINVESMCLASS",
	StatusCntSubDL:        "ESME_RCNTSUBDL",
	StatusSubmitFail:      "ESME_RSUBMITFAIL",
	StatusInvSrcTON:       "ESME_RINVSRCTON",
	StatusInvSrcNPI:       "ESME_RINVSRCNPI",
	StatusInvDstTON:       "ESME_RINVDSTTON",
	StatusInvDstNPI:       "ESME_RINVDSTNPI",
	StatusInvSysTyp:       "ESME_RINVSYSTYP",
	StatusInvRepFlag:      "ESME_RINVREPFLAG",
	StatusInvNumMsgs:      "ESME_RINVNUMMSGS",
	StatusThrottled:       "ESME_RTHROTTLED",
	StatusInvSched:        "ESME_RINVSCHED",
	StatusInvExpiry:       "ESME_RINVEXPIRY",
	StatusInvDftMsgID:     "ESME_RINVDFTMSGID",
	StatusRxTAppn:         "ESME_RX_T_APPN",
	StatusRxPAppn:         "ESME_RX_P_APPN",
	StatusRxRAppn:         "ESME_RX_R_APPN",
	StatusQueryFail:       "ESME_RQUERYFAIL",
	StatusInvOptParStream: "ESME_RINVOPTPARSTREAM",
	StatusOptParNotAllwd:  "ESME_ROPTPARNOTALLWD",
	StatusInvOptParLen:    "ESME_RINVPARLEN",
	StatusMissingOptParam: "ESME_RMISSINGOPTPARAM",
	StatusInvOptParamVal:  "ESME_RINVOPTPARAMVAL",
	StatusDeliveryFailure: "ESME_RDELIVERYFAILURE",
	StatusUnknownErr:      "ESME_RUNKNOWNERR",
}

// String returns the SMPP name of the status, such as "ESME_RTHROTTLED", or
// "command_status(0x…)" for a vendor-specific or reserved value.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "command_status(0x" + strconv.FormatUint(uint64(s), 16) + ")"
}

// Error makes a Status usable as an error, so that a failing response can be
// returned as is and matched with errors.Is(err, pdu.StatusThrottled).
func (s Status) Error() string { return "smpp/pdu: " + s.String() }
