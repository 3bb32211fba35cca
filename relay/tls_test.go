package relay

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/internal/testcert"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// The upstream listener speaks TLS when the configuration names a
// certificate: a verified TLS client binds, submits and gets its report; a
// plain-TCP client gets no session.
func TestUpstreamTLSFromConfig(t *testing.T) {
	var pool *x509.CertPool
	h := newHarness(t, func(s *setup) {
		s.cfg.Upstream.TLSCert, s.cfg.Upstream.TLSKey, pool = testcert.Write(t, t.TempDir())
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, h.d.UpstreamAddr(), client.Options{Customer: "shop", Secret: testSecret, PingInterval: -1,
		TLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Submit(ctx, sms("tls-1", "암호화된 연결"))
	if err != nil || r.Status != upstreampb.Status_OK {
		t.Fatalf("submit over TLS: %v %v", r, err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel2()
	if plain, err := client.Dial(short, h.d.UpstreamAddr(), client.Options{Customer: "shop", Secret: testSecret, PingInterval: -1}); err == nil {
		plain.Close()
		t.Fatal("a plain-TCP client bound to a TLS listener")
	}
}
