package relay

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/msgrelay/relay/relay/smppserver"
)

// listenSMPP starts the SMPP server for upstream ESMEs when
// [smpp_server] listen is set: the same intake and report outbox as the
// upstream protocol.
func (d *Daemon) listenSMPP() error {
	cfg := d.cfg.SMPPServer
	if cfg.Listen == "" {
		return nil
	}
	cfg.Now = d.opts.Now
	tc, err := cfg.TLSConfig()
	if err != nil {
		return err
	}
	be := &smppserver.Relay{Registry: d.reg, Acceptor: d.load, Store: d.st, Hub: d.hub,
		ReportsElsewhere: d.reportsByWebhook} // a customer with a report_url gets webhooks only
	srv, err := smppserver.NewServer(cfg, be, smppserver.Options{Logger: d.log, Metrics: d.set})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	d.smpp, d.smppLn = srv, ln
	d.background.Go(func() { _ = srv.Serve(ln) })
	d.log.Info("relay: SMPP server listening", "addr", ln.Addr().String(), "tls", tc != nil)
	return nil
}

// closeSMPP stops the SMPP server: binds stop reading, answer what they
// read, and unbind.
func (d *Daemon) closeSMPP(ctx context.Context) error {
	if d.smpp == nil {
		return nil
	}
	return d.smpp.Close(ctx)
}

// SMPPAddr is where upstream ESMEs bind, "" without an SMPP server.
func (d *Daemon) SMPPAddr() string {
	if d.smppLn == nil {
		return ""
	}
	return d.smppLn.Addr().String()
}
