package main

import (
	"context"
	"encoding/json"
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

// TestOnboardACustomerWithRelayctlAlone: against a relay started from a
// copy of configs/dev.toml, an operator onboards a new customer (its
// secret hashed, its admin token made, both added to the file, the file
// reloaded without a restart, its sender number registered), the customer
// sends and finds its message with its own token, and the operator takes
// a carrier out of routing: relayctl and the configuration file alone.
func TestOnboardACustomerWithRelayctlAlone(t *testing.T) {
	dir := t.TempDir()
	dev, err := os.ReadFile("../../configs/dev.toml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "relay.toml")
	if err := os.WriteFile(path, dev, 0o600); err != nil {
		t.Fatal(err)
	}
	receiver := loopback.TestAddr(t)
	// The file as relayd -config reads it, moved off the dev ports and
	// data directory, with the test operator's token.
	load := func() (*relay.Config, error) {
		cfg, err := relay.LoadConfig(path)
		if err != nil {
			return nil, err
		}
		moveOffDev(cfg, dir, receiver)
		cfg.Admin.Tokens = append(cfg.Admin.Tokens, admin.TokenConfig{Name: "test operator", Hash: admin.HashToken(testToken)})
		return cfg, nil
	}
	cfg, err := load()
	if err != nil {
		t.Fatal(err)
	}
	d, err := relay.Start(cfg, relay.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), LoadConfig: load})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = d.Shutdown(ctx)
	})
	adm := []string{"-admin", d.AdminAddr(), "-token", testToken}
	must := mustRun(t)

	// The customer's secret, hashed from standard input.
	in := filepath.Join(dir, "secret")
	if err := os.WriteFile(in, []byte("acme-secret-2026\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	oldIn := os.Stdin
	os.Stdin = f
	hashLine := strings.TrimSpace(must(0, "hash-secret", "-iterations", "1000"))
	os.Stdin = oldIn
	f.Close()
	if !strings.HasPrefix(hashLine, "secret_hash = ") {
		t.Fatalf("hash-secret printed %q", hashLine)
	}
	// Its admin token, and the table that configures it.
	out := must(0, "new-token", "-name", "acme-ops", "-customer", "acme")
	var token string
	var table []string
	for _, line := range strings.Split(out, "\n") {
		if tok, ok := strings.CutPrefix(strings.TrimSpace(strings.TrimPrefix(line, "#")), "rly_"); ok {
			token = "rly_" + tok
		}
		if !strings.HasPrefix(line, "#") {
			table = append(table, line)
		}
	}
	if token == "" {
		t.Fatalf("new-token printed no token:\n%s", out)
	}
	add := "\n[[customer]]\nid = \"acme\"\nname = \"Acme\"\n" + hashLine + "\nproducts = [\"sms\", \"lms\"]\nrate = 100\n\n" +
		strings.Join(table, "\n") + "\n"
	fa, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fa.WriteString(add); err != nil {
		t.Fatal(err)
	}
	fa.Close()

	out = must(0, append([]string{"reload"}, adm...)...)
	if !strings.Contains(out, "customer acme added") || !strings.Contains(out, "admin tokens changed") {
		t.Fatalf("reload:\n%s", out)
	}
	must(0, append([]string{"senders", "add", "acme", "031-777-8888", "-proof", "KT-2026-0002"}, adm...)...)
	out = must(0, "send", "-addr", d.UpstreamAddr(), "-customer", "acme", "-secret", "acme-secret-2026",
		"-from", "0317778888", "-product", "sms", "-text", "첫 메시지", "-ref", "acme-1", "-wait", "30s")
	if !strings.Contains(out, `"state":"DELIVERED"`) {
		t.Fatalf("send:\n%s", out)
	}

	// The customer finds its message with its own token.
	own := []string{"-admin", d.AdminAddr(), "-token", token}
	out = must(0, append([]string{"messages", "-customer", "acme", "-client_ref", "acme-1", "-o", "json"}, own...)...)
	var page messagePage
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Messages) != 1 {
		t.Fatalf("messages: %v\n%s", err, out)
	}
	if out = must(0, append([]string{"message", page.Messages[0].ID}, own...)...); !strings.Contains(out, "delivered") {
		t.Fatalf("message:\n%s", out)
	}
	must(1, append([]string{"messages", "-customer", "demo"}, own...)...) // not its messages

	// The operator takes a carrier out of routing, and puts it back.
	must(0, append([]string{"carriers", "drain", "carrier-a"}, adm...)...)
	if out = must(0, append([]string{"carriers", "ls"}, adm...)...); !strings.Contains(out, "drained") {
		t.Fatalf("carriers ls after the drain:\n%s", out)
	}
	must(0, append([]string{"carriers", "resume", "carrier-a"}, adm...)...)
}
