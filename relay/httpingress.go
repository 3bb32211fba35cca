package relay

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/msgrelay/relay/relay/authguard"
	"github.com/msgrelay/relay/relay/httpapi"
	"github.com/msgrelay/relay/relay/webhook"
	"github.com/msgrelay/relay/relay/webhook/webhooktest"
)

// httpGuard is the wrong-key throttle of the HTTP API: the upstream
// protocol's per-source failure budget. A key is checked with one SHA-256
// on every request, not one PBKDF2 per connection, so the check budget is
// no limit.
var httpGuard = authguard.Config{CheckRate: 1e6, CheckBurst: 1e5}

// listenHTTP starts the HTTP API on the shared accept path, if configured.
func (d *Daemon) listenHTTP() error {
	if d.cfg.HTTP.Listen == "" {
		return nil
	}
	g := httpGuard
	g.Now = d.opts.Now
	srv, err := httpapi.New(httpapi.Options{Config: d.cfg.HTTP, Acceptor: d.load, Keys: d.reg,
		Messages: d.st, Guard: authguard.New(g), Logger: d.log, Metrics: d.set})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", d.cfg.HTTP.Listen)
	if err != nil {
		return err
	}
	if c := d.cfg.HTTP; c.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	d.httpSrv, d.httpLn = srv, ln
	d.background.Go(func() {
		if err := srv.Serve(ln); err != nil {
			d.log.Error("relay: HTTP API stopped", "err", err)
		}
	})
	d.log.Info("relay: HTTP API listening", "addr", ln.Addr().String())
	return nil
}

// stopHTTP stops taking HTTP requests; the ones in flight are answered
// once their messages are durable (or refused as shutting down).
func (d *Daemon) stopHTTP(ctx context.Context) error {
	if d.httpSrv == nil {
		return nil
	}
	return d.httpSrv.Shutdown(ctx)
}

// HTTPAddr is the HTTP API's address, "" if disabled.
func (d *Daemon) HTTPAddr() string {
	if d.httpLn == nil {
		return ""
	}
	return d.httpLn.Addr().String()
}

// startWebhooks starts delivering the reports of customers with a
// report_url (and, in the dev configuration, the test receiver they point
// at). Their upstream sessions get no reports: see reportsByWebhook.
func (d *Daemon) startWebhooks() error {
	if addr := d.cfg.Webhook.DevReceiver; addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		var secrets []string
		for _, c := range d.reg.All() {
			secrets = append(secrets, c.WebhookSecrets()...)
		}
		d.devReceiver = webhooktest.Listen(ln, secrets...)
		d.log.Info("relay: dev webhook receiver listening", "addr", ln.Addr().String())
	}
	s, err := webhook.New(webhook.Options{Config: d.cfg.Webhook, Outbox: d.st, Customers: d.reg,
		Watch: d.hub.Watch, Logger: d.log, Metrics: d.set, Now: d.opts.Now})
	if err != nil {
		return err
	}
	d.webhooks = s
	s.Start()
	return nil
}

// stopWebhooks stops the webhook workers; what they had not delivered
// stays in the outbox for the next start.
func (d *Daemon) stopWebhooks() {
	if d.webhooks != nil {
		d.webhooks.Stop()
	}
	if d.devReceiver != nil {
		d.devReceiver.Close()
	}
}

// reportsByWebhook reports whether a customer's reports go to its
// report_url, and so not to its upstream or SMPP sessions.
func (d *Daemon) reportsByWebhook(customer string) bool {
	return d.webhooks != nil && d.webhooks.Handles(customer)
}

// WebhookStatus is every webhook endpoint's state, failing ones first, for
// the status page.
func (d *Daemon) WebhookStatus() []webhook.EndpointStatus {
	if d.webhooks == nil {
		return nil
	}
	return d.webhooks.Status()
}

// DevReceiver is the dev webhook receiver, nil unless configured.
func (d *Daemon) DevReceiver() *webhooktest.Server { return d.devReceiver }
