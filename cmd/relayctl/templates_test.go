package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/loopback"
)

// startDev starts a relay from configs/dev.toml on loopback ports with the
// test operator token, and returns it with the admin flags for relayctl.
func startDev(t *testing.T) (*relay.Daemon, []string) {
	t.Helper()
	cfg, err := relay.LoadConfig("../../configs/dev.toml")
	if err != nil {
		t.Fatal(err)
	}
	moveOffDev(cfg, t.TempDir(), loopback.TestAddr(t))
	cfg.Admin.Tokens = []admin.TokenConfig{{Name: "test operator", Hash: admin.HashToken(testToken)}}
	d, err := relay.Start(cfg, relay.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = d.Shutdown(ctx)
	})
	return d, []string{"-admin", d.AdminAddr(), "-token", testToken}
}

// moveOffDev moves a configuration read from configs/dev.toml off the dev
// ports (each listener on one the kernel gives, no ops listener) and data
// directory, into dir; its webhook receiver to receiver, with the report
// URLs that name it; and makes its simulated carriers deliver everything.
func moveOffDev(cfg *relay.Config, dir, receiver string) {
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Upstream.Listen, cfg.OpsListen, cfg.Admin.Listen = "127.0.0.1:0", "", "127.0.0.1:0"
	cfg.SMPPServer.Listen, cfg.HTTP.Listen = "127.0.0.1:0", "127.0.0.1:0" // the dev ports may be taken
	if old := cfg.Webhook.DevReceiver; old != "" {
		cfg.Webhook.DevReceiver = receiver
		for i := range cfg.Customers {
			cfg.Customers[i].ReportURL = strings.Replace(cfg.Customers[i].ReportURL, old, receiver, 1)
		}
	}
	cfg.Admin.AuditFile = filepath.Join(dir, "audit.jsonl")
	cfg.Simulate.FailRatio = 0
}

// TestTemplatesCommands: templates ls/put/rm drive the AlimTalk template
// registry the door matches against: a template put is usable at once, a
// removed one refused, one a payment subscription renders is kept.
func TestTemplatesCommands(t *testing.T) {
	d, adm := startDev(t)
	must := func(want int, args ...string) string {
		t.Helper()
		code, out := capture(t, append(args, adm...)...)
		if code != want {
			t.Fatalf("relayctl %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
	if out := must(0, "templates", "ls", "demo"); !strings.Contains(out, "ORDER_SHIPPED") || !strings.Contains(out, "PAY_B_VACCOUNT") {
		t.Fatalf("templates ls does not list dev.toml's templates:\n%s", out)
	}

	textFile := filepath.Join(t.TempDir(), "coupon.txt")
	if err := os.WriteFile(textFile, []byte("#{name}님, 쿠폰이 발급되었습니다.\n유효기간 #{until}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	buttons := `[{"type":"WL","name":"쿠폰 보기","url_mobile":"https://shop.example/c/#{id}"}]`
	out := must(0, "templates", "put", "demo", "demo-sender-key", "COUPON", "--text-file", textFile, "--buttons", buttons)
	if !strings.Contains(out, "COUPON") || !strings.Contains(out, "WL:쿠폰 보기") || !strings.Contains(out, `발급되었습니다.\n유효기간`) {
		t.Fatalf("templates put did not list the new template:\n%s", out)
	}
	sendCoupon := func(want int) string {
		t.Helper()
		code, out := capture(t, "send", "-addr", d.UpstreamAddr(), "-customer", "demo", "-secret", "demo-secret",
			"-product", "alimtalk", "-sender-key", "demo-sender-key", "-template", "COUPON", "-wait", "0",
			"-text", "김하나님, 쿠폰이 발급되었습니다.\n유효기간 12월 31일",
			"-buttons", `[{"type":"WL","name":"쿠폰 보기","url_mobile":"https://shop.example/c/77"}]`)
		if code != want {
			t.Fatalf("send COUPON: exit %d, want %d\n%s", code, want, out)
		}
		return out
	}
	sendCoupon(0)

	must(0, "templates", "rm", "demo", "demo-sender-key", "COUPON")
	if out := sendCoupon(1); !strings.Contains(out, "TEMPLATE_MISMATCH") {
		t.Fatalf("a removed template was not refused:\n%s", out)
	}
	// demo_mid_01's buyer approval notice renders PAY_B_APPROVAL.
	code, out := capture(t, append([]string{"templates", "rm", "demo", "demo-sender-key", "PAY_B_APPROVAL"}, adm...)...)
	if code != 1 {
		t.Fatalf("removing a template a payment subscription renders: exit %d\n%s", code, out)
	}
	if out := must(0, "templates", "ls", "demo"); !strings.Contains(out, "PAY_B_APPROVAL") {
		t.Fatalf("PAY_B_APPROVAL is gone:\n%s", out)
	}

	must(2, "templates", "put", "demo", "demo-sender-key", "X")                                          // no text
	must(2, "templates", "put", "demo", "demo-sender-key", "X", "--text", "t", "--buttons", `[{"x":1}]`) // bad buttons
	must(2, "templates", "rm", "demo")
}
