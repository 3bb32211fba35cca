package smppserver

// MetricHelp is the help text of every family this package makes, for the
// HELP lines of the exposition.
var MetricHelp = map[string]string{
	"relay_smpp_server_parts_waiting":       "Parts of concatenated SMS waiting for the rest of their message.",
	"relay_smpp_server_conns_refused_total": "SMPP connections from upstream ESMEs closed at accept: the server closing, or too many not yet bound in total or from one source.",
	"relay_smpp_server_binds_total":         "Bind requests from upstream ESMEs, by result.",
	"relay_smpp_server_submits_total":       "submit_sm and data_sm from upstream ESMEs, by result.",
	"relay_smpp_server_receipts_total":      "Delivery receipts sent to upstream ESMEs as deliver_sm, by what came of them.",
	"relay_smpp_server_parts_expired_total": "Parts of concatenated SMS dropped because the rest never came.",
}
