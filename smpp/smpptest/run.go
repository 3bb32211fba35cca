package smpptest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"
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
		"throttled", st.Throttled, "receipts", st.Receipts, "deliver_acks", st.DeliverAcks)
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
