package dispatch

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/smpp/pdu"
)

// How a carrier takes an LMS subject (CarrierConfig.LMSSubject). SMPP 3.4
// has no field for one: each Korean carrier names a vendor TLV (0x1400 to
// 0x3FFF) in its onboarding sheet, or takes none.
const (
	// SubjectNone: the carrier has no place for a subject; it is dropped.
	SubjectNone = "none"
	// SimSubject is the subject TLV of a simulated carrier (addr = "sim")
	// whose lms_subject is unset; the simulated SMSC reads the subject from
	// whatever tag its carrier names.
	SimSubject = "0x1500"
)

// SubjectTag is the TLV an LMS subject goes in, 0 when the carrier takes
// none (lms_subject "none" or unset).
func (cc *CarrierConfig) SubjectTag() (pdu.Tag, error) {
	s := cc.LMSSubject
	if s == "" || s == SubjectNone {
		return 0, nil
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 16)
	if err != nil || !strings.HasPrefix(strings.ToLower(s), "0x") || v < 0x1400 || v > 0x3fff {
		return 0, fmt.Errorf("lms_subject %q: want %q or the carrier's vendor TLV tag, 0x1400 to 0x3fff", s, SubjectNone)
	}
	return pdu.Tag(v), nil
}

// SubjectWarnings names each route that can send an LMS to a carrier that
// would drop its subject: the message is accepted with a subject the
// recipient never sees. Routes naming unknown carriers are left to
// route.Config.Validate.
func SubjectWarnings(carriers []CarrierConfig, routes []route.Config) []string {
	drops := map[string]string{} // carrier → why
	for i := range carriers {
		cc := &carriers[i]
		if tag, err := cc.SubjectTag(); err == nil && tag == 0 {
			why := "lms_subject is none"
			if cc.LMSSubject == "" {
				why = "lms_subject is not set"
			}
			drops[cc.Name] = why
		}
	}
	var warns []string
	for i, r := range routes {
		if len(r.Products) > 0 && !slices.Contains(r.Products, "lms") {
			continue
		}
		names := slices.Clone(r.Failover)
		for _, w := range r.Carriers {
			names = append(names, w.Name)
		}
		slices.Sort(names)
		for _, n := range slices.Compact(names) {
			if why, ok := drops[n]; ok {
				warns = append(warns, fmt.Sprintf("route %d sends LMS to carrier %q, which drops LMS subjects (%s)", i+1, n, why))
			}
		}
	}
	return warns
}
