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
