// Package configs_test checks the deploy assets beside it against a live
// relay: the metrics pass promtool, and every metric the dashboards and the
// alert rules name is one the relay exports.
package configs_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/loopback"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// devRelay runs the relay on configs/dev.toml, as README.md tells a new user
// to, with its data directory and ports moved out of the way.
func devRelay(t *testing.T) *relay.Daemon {
	t.Helper()
	cfg, err := relay.LoadConfig("dev.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg.DataDir = filepath.Join(dir, "data")
	movePorts(t, cfg)
	cfg.Admin.AuditFile = filepath.Join(dir, "audit.jsonl")
	d, err := relay.Start(cfg, relay.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := d.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return d
}

// movePorts moves every listener of the dev configuration off its dev
// port, so the test runs beside a dev relay, or another package's test of
// the same file: each gets a port of its own. The dev webhook receiver
// needs a known address (customers' report_url names it), so it gets a
// free one below the ephemeral range (a port from that range, free when
// looked at, can be taken by any other process's outgoing connection
// before the relay listens on it), and the report URLs follow it.
func movePorts(t *testing.T, cfg *relay.Config) {
	t.Helper()
	cfg.Upstream.Listen, cfg.OpsListen, cfg.Admin.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.SMPPServer.Listen, cfg.HTTP.Listen = "127.0.0.1:0", "127.0.0.1:0"
	if old := cfg.Webhook.DevReceiver; old != "" {
		cfg.Webhook.DevReceiver = loopback.TestAddr(t)
		for i := range cfg.Customers {
			cfg.Customers[i].ReportURL = strings.Replace(cfg.Customers[i].ReportURL, old, cfg.Webhook.DevReceiver, 1)
		}
	}
}

// get fetches a path from the relay's ops port.
func get(t *testing.T, d *relay.Daemon, path string) string {
	t.Helper()
	res, err := http.Get("http://" + d.OpsAddr() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", path, res.Status, b)
	}
	return string(b)
}

// tool finds an outside program a test runs; without it the test skips,
// unless RELAY_REQUIRE_PEERS=1 says every peer must be there.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("RELAY_REQUIRE_PEERS") == "1" {
			t.Fatalf("%s not found and RELAY_REQUIRE_PEERS=1", name)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// sendSome sends an SMS and an AlimTalk as the dev customer and waits for
// both final reports, so that the series made on first use exist.
func sendSome(t *testing.T, d *relay.Daemon) {
	t.Helper()
	submitAndWait(t, d, "configs-test", 30*time.Second,
		&upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS, Text: "배송이 시작되었습니다.",
			ClientRef: "configs-a", Sender: "0212345678", Recipient: "01012345678"},
		&upstreampb.Submit{Product: upstreampb.Product_PRODUCT_ALIMTALK, Text: "주문하신 상품이 발송되었습니다.", SenderKey: "demo-sender-key",
			TemplateCode: "ORDER_SHIPPED", Fallback: upstreampb.Fallback_FALLBACK_SMS,
			ClientRef: "configs-b", Sender: "0212345678", Recipient: "01012345678"})
}

// submitAndWait sends each submit as the dev customer demo, over one
// upstream connection named name, and waits, all within the given time,
// for as many final reports.
func submitAndWait(t *testing.T, d *relay.Daemon, name string, within time.Duration, subs ...*upstreampb.Submit) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	reports := make(chan *upstreampb.Report, max(4, len(subs)))
	c, err := client.Dial(ctx, d.UpstreamAddr(), client.Options{Customer: "demo", Secret: "demo-secret",
		ClientName: name, OnReport: func(r *upstreampb.Report) { reports <- r }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, s := range subs {
		resp, err := c.Submit(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != upstreampb.Status_OK {
			t.Fatalf("submit %s refused: %s", s.Product, resp.Reason)
		}
	}
	for range subs {
		select {
		case <-reports:
		case <-ctx.Done():
			t.Fatalf("no final reports within %v", within)
		}
	}
}
