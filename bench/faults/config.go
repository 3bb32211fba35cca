package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/customer"
)

// Secret is the upstream secret of the suite's customers. It is looked
// for in the relay's logs: it must never appear there.
const Secret = "faults-Secret-7f3a9c-never-logged"

// CarrierPassword is the SMPP password the relay binds with; it must not
// appear in logs either.
const CarrierPassword = "pw5be1x9"

// Setup is the relay configuration of a scenario, written as relayd's TOML.
type Setup struct {
	DataDir   string
	Customers []string // ids; all share Secret
	Carriers  []*Carrier
	Binds     int     // per carrier; default 2
	Window    int     // per bind; default 64
	TPS       float64 // per bind; 0 unlimited
	// MaxBinds is each carrier's max_binds, the account's quota shared by
	// a cluster's nodes; 0 none.
	MaxBinds int
	// ResponseTimeout and EnquireLink of the SMPP sessions; zero keeps the
	// relay's defaults.
	ResponseTimeout, EnquireLink time.Duration
	// SystemType is the carriers' bind system_type; a cluster's nodes on
	// one host set one each, for the SMSC to tell them apart.
	SystemType string
	// RespIDs and ReceiptIDs are the carriers' id formats
	// (receipt.ParseIDFormat); default "hex" both.
	RespIDs, ReceiptIDs string
	// UpstreamListen is the upstream listen address; default
	// 127.0.0.1:0. A relay that must come back on its address (a node a
	// cluster's clients know) names one (loopback.Addr).
	UpstreamListen string
	// Upstream is more keys of the [upstream] table, verbatim.
	Upstream string
	// Extra is appended to the file verbatim (more sections).
	Extra string
}

// Write writes the TOML file at path.
func (s *Setup) Write(path string) error {
	text, err := s.Text()
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), 0o600)
}

// Text is the configuration as TOML.
func (s *Setup) Text() (string, error) {
	hash, err := customer.HashSecret(Secret, customer.MinIterations)
	if err != nil {
		return "", err
	}
	binds, window := s.Binds, s.Window
	if binds == 0 {
		binds = 2
	}
	if window == 0 {
		window = 64
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	// Every customer sends from one number, shared on purpose.
	w("data_dir = %q\nshutdown_timeout = \"5s\"\nshared_senders = [\"0212345678\"]", filepath.Clean(s.DataDir))
	listen := s.UpstreamListen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	w("[upstream]\nlisten = %q\nmax_conns_per_customer = 64\n%s", listen, s.Upstream)
	w("[dispatch]\nretry_min = \"10ms\"\nretry_max = \"500ms\"\nexpiry_scan = \"1s\"")
	for _, id := range s.Customers {
		w("[[customer]]\nid = %q\nname = %q\nsecret_hash = %q", id, id, hash)
		w("products = [\"sms\", \"lms\", \"alimtalk\", \"friendtalk_text\"]")
		w("senders = [\"0212345678\"]\nsender_keys = [\"faults-key\"]\nrate = 10000000.0\nburst = 10000000")
	}
	// The AlimTalk template of the loader's texts (Loader.Text).
	w("[[template]]\nsender_key = \"faults-key\"\ncode = \"FAULTS_01\"\ntext = \"#{prefix} msg #{n}\"")
	respIDs, receiptIDs := s.RespIDs, s.ReceiptIDs
	if respIDs == "" {
		respIDs = "hex"
	}
	if receiptIDs == "" {
		receiptIDs = "hex"
	}
	var names []string
	for _, c := range s.Carriers {
		names = append(names, fmt.Sprintf("{name = %q, weight = 1}", c.Name))
		w("[[carrier]]\nname = %q\naddr = %q\nsystem_id = \"relay\"\npassword = %q", c.Name, c.Addr(), CarrierPassword)
		w("binds = %d\nwindow = %d\ntps = %.1f\nresp_ids = %q\nreceipt_ids = %q", binds, window, s.TPS, respIDs, receiptIDs)
		if s.MaxBinds > 0 {
			w("max_binds = %d", s.MaxBinds)
		}
		if s.SystemType != "" {
			w("system_type = %q", s.SystemType)
		}
		if s.ResponseTimeout > 0 {
			w("response_timeout = %q", s.ResponseTimeout.String())
		}
		if s.EnquireLink > 0 {
			w("enquire_link_interval = %q", s.EnquireLink.String())
		}
	}
	if len(names) > 0 {
		w("[[route]]\ncarriers = [%s]", strings.Join(names, ", "))
	}
	b.WriteString(s.Extra)
	return b.String(), nil
}
