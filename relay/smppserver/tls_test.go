package smppserver

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/internal/testcert"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
)

// TestBindOverTLS: over TLS an ESME that verifies the certificate binds,
// submits and is answered; the source networks are checked on the TLS
// connection's peer as on a plain one: a customer allowed 127.0.0.1 binds,
// one allowed only 10.0.0.0/8 does not.
func TestBindOverTLS(t *testing.T) {
	cert, pool := testcert.New(t)
	h := newHarnessOn(t, Config{}, func(ln net.Listener) net.Listener {
		return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	})
	dial := func(ctx context.Context) (net.Conn, error) {
		d := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}
		return d.DialContext(ctx, "tcp", h.addr)
	}
	s, err := smpp.Dial(smpp.Config{SystemID: "loop", Password: "looppass", Dial: dial, FailFast: true, ResponseTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitBound(ctx); err != nil {
		t.Fatalf("TLS bind from an allowed network: %v", err)
	}
	if id, st := submit(t, s, sms("0255556666", "01012345678")); st != pdu.StatusOK || id == "" {
		t.Fatalf("submit over TLS: %v %q", st, id)
	}

	nc, err := dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := bindOn(t, nc, pdu.BindTransceiverID, "lan", "lanpass"); st != pdu.StatusBindFail {
		t.Fatalf("a customer allowed only 10.0.0.0/8 binding over TLS from 127.0.0.1: %v, want %v", st, pdu.StatusBindFail)
	}
}
