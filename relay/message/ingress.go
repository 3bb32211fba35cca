package message

// Ingress names the door a message came in by. Part of the on-disk format
// (two bits of the record's flags): never renumber, only append, and stay
// below 4.
type Ingress uint8

const (
	IngressUpstream Ingress = 0 // the protobuf-over-TCP upstream protocol
	IngressSMPP     Ingress = 1 // the SMPP server for upstream ESMEs
	IngressHTTP     Ingress = 2 // the HTTP API
)

var ingressNames = [...]string{"upstream", "smpp", "http"}

func (i Ingress) String() string {
	if int(i) < len(ingressNames) {
		return ingressNames[i]
	}
	return "ingress(?)"
}

// ReportDoor is the door a message's report goes back through when its
// customer has no report_url (with one, every report goes there): an SMPP
// message's as a deliver_sm on the customer's SMPP binds, any other's
// (the HTTP API's too) on its upstream connections. Each door takes from
// the outbox only the reports whose ReportDoor it is.
func (i Ingress) ReportDoor() Ingress {
	if i == IngressSMPP {
		return IngressSMPP
	}
	return IngressUpstream
}

// Receipts says which final results the submitter asked to be told of by
// a delivery receipt (SMPP's registered_delivery); reports are written
// for every message whatever it says. Part of the on-disk format (two bits
// of the record's flags): never renumber, only append, and stay below 4.
type Receipts uint8

const (
	ReceiptsAll      Receipts = 0 // every final result (the default of every ingress)
	ReceiptsNone     Receipts = 1 // none (registered_delivery 0)
	ReceiptsFailures Receipts = 2 // failed and expired only (registered_delivery 2)
)

// Wants reports whether a receipt of final state st is asked for.
func (r Receipts) Wants(st State) bool {
	switch r {
	case ReceiptsNone:
		return false
	case ReceiptsFailures:
		return st != StateDelivered
	}
	return true
}
