package smpptest

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
)

// ListenAndServe runs a server on addr until ctx ends, then closes it and
// logs its counters. It is what the smscsim command runs.
func ListenAndServe(ctx context.Context, addr string, cfg Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s := NewUnstarted(cfg)
	s.Start(ln)
	log := s.cfg.Logger
	log.Info("smscsim: listening", "addr", ln.Addr().String())
	<-ctx.Done()
	start := time.Now()
	s.Close()
	st := s.Stats()
	log.Info("smscsim: stopped", "took", time.Since(start), "binds", st.Binds, "submits", st.Submits,
		"throttled", st.Throttled, "receipts", st.Receipts, "deliver_acks", st.DeliverAcks, "subjects", st.Subjects)
	return nil
}

// ParseUsers reads "id:password,id2:password2"; "" means everyone is let in.
func ParseUsers(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	users := make(map[string]string)
	for _, kv := range strings.Split(s, ",") {
		id, pw, ok := strings.Cut(kv, ":")
		if !ok || id == "" {
			return nil, fmt.Errorf("smpptest: user %q is not id:password", kv)
		}
		users[id] = pw
	}
	return users, nil
}

// ParseSubjectTag reads the -subject-tag of smscsim: a TLV tag such as
// 0x1500, or "none" (also 0) for an SMSC that reads no subject.
func ParseSubjectTag(s string) (pdu.Tag, error) {
	if s == "none" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 0, 16)
	if err != nil {
		return 0, fmt.Errorf("smpptest: subject tag %q is not a TLV tag (0x1500) or none", s)
	}
	return pdu.Tag(v), nil
}

// ParseReceiptMode reads both, tlv, text or none.
func ParseReceiptMode(s string) (ReceiptMode, error) {
	switch s {
	case "both", "":
		return ReceiptBoth, nil
	case "tlv":
		return ReceiptTLV, nil
	case "text":
		return ReceiptText, nil
	case "none":
		return ReceiptNone, nil
	}
	return 0, fmt.Errorf("smpptest: receipt mode %q is not both, tlv, text or none", s)
}
