package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// capture runs relayctl with args and returns its exit code and stdout.
func capture(t *testing.T, args ...string) (int, string) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = f
	code := run(args)
	os.Stdout = old
	b, _ := os.ReadFile(f.Name())
	f.Close()
	return code, string(b)
}

func TestHelpAndUsageExitCodes(t *testing.T) {
	for _, args := range [][]string{
		{}, {"--help"}, {"-h"}, {"help"}, {"send", "--help"}, {"statement", "--help"}, {"statement", "-help"},
		{"check-config", "--help"}, {"hash-secret", "--help"}, {"customer", "--help"}, {"senders", "--help"},
		{"senders", "add", "--help"}, {"senders", "rm", "--help"}, {"senders", "ls", "--help"},
		{"suspend", "--help"}, {"resume", "--help"}, {"messages", "--help"}, {"message", "--help"},
		{"export", "--help"}, {"payments", "--help"}, {"customers", "--help"}, {"optout", "--help"},
		{"optout", "ls", "--help"}, {"optout", "add", "--help"}, {"optout", "import", "--help"}, {"optout", "rm", "--help"},
		{"carriers"}, {"carriers", "--help"}, {"carriers", "ls", "--help"}, {"carriers", "drain", "--help"},
		{"carriers", "resume", "--help"}, {"status", "--help"}, {"reload", "--help"},
		{"api-keys", "--help"}, {"api-keys", "add", "--help"}, {"api-keys", "revoke", "--help"},
	} {
		if code, _ := capture(t, args...); code != 0 {
			t.Errorf("relayctl %s: exit %d, want 0", strings.Join(args, " "), code)
		}
	}
	for _, args := range [][]string{
		{"bogus"}, {"send", "--bogus"}, {"send", "-product", "fax"}, {"customer"}, {"senders", "add", "x"},
		{"messages", "--token", "t"}, {"check-config"}, {"statement", "-bogus"}, {"suspend", "demo", "--token", "t"},
		{"customer", "demo", "-o", "yaml", "--token", "t"}, {"customers", "x"}, {"carriers", "drain"},
		{"optout", "import", "demo"}, {"status", "extra"}, {"api-keys", "add"}, {"api-keys", "add", "a", "b", "c"},
	} {
		if code, _ := capture(t, args...); code != 2 {
			t.Errorf("relayctl %s: exit %d, want 2 (usage)", strings.Join(args, " "), code)
		}
	}
}

func TestOneDashLongFlags(t *testing.T) {
	root := newRoot()
	got := twoDashes(root, []string{"send", "-customer", "demo", "-to=010", "-o", "json", "--", "-text"})
	want := []string{"send", "--customer", "demo", "--to=010", "-o", "json", "--", "-text"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("twoDashes = %q, want %q", got, want)
	}
}

// testToken fits the admin token format (rly_, base62, CRC32).
const testToken = "rly_sEirPiYOu8QjD6VjXAcvw62KXry2"

// mustRun runs relayctl and fails the test on an unexpected exit code.
func mustRun(t *testing.T) func(want int, args ...string) string {
	return func(want int, args ...string) string {
		t.Helper()
		code, out := capture(t, args...)
		if code != want {
			t.Fatalf("relayctl %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
}

// TestOperatorWorkflow onboards a sender, sends, finds the message and
// suspends the customer with relayctl alone, against a live relay.
func TestOperatorWorkflow(t *testing.T) {
	d, adm := startDev(t)
	must := mustRun(t)

	out := must(0, append([]string{"senders", "add", "demo", "0299998888", "-proof", "KT-2026-0001"}, adm...)...)
	if !strings.Contains(out, "0299998888") {
		t.Fatalf("senders add did not list the new number:\n%s", out)
	}
	out = must(0, "send", "-addr", d.UpstreamAddr(), "-customer", "demo", "-secret", "demo-secret",
		"-from", "0299998888", "-to", "01012345678", "-text", "안녕하세요", "-wait", "30s")
	if !strings.Contains(out, `"state":"DELIVERED"`) && !strings.Contains(out, `"state": "DELIVERED"`) {
		t.Fatalf("send printed no DELIVERED report by name:\n%s", out)
	}
	out = must(0, append([]string{"messages", "-customer", "demo", "-sender", "0299998888", "-o", "json"}, adm...)...)
	var page messagePage
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Messages) != 1 {
		t.Fatalf("messages: %v, %d messages\n%s", err, len(page.Messages), out)
	}
	out = must(0, append([]string{"message", page.Messages[0].ID}, adm...)...)
	if !strings.Contains(out, "delivered") {
		t.Fatalf("message detail:\n%s", out)
	}
	must(0, append([]string{"suspend", "demo", "-reason", "unpaid invoice"}, adm...)...)
	out = must(0, append([]string{"customer", "demo"}, adm...)...)
	if !strings.Contains(out, "unpaid invoice") {
		t.Fatalf("customer does not show the suspension:\n%s", out)
	}
	must(1, "send", "-addr", d.UpstreamAddr(), "-customer", "demo", "-secret", "demo-secret", "-wait", "5s")
	must(0, append([]string{"resume", "demo"}, adm...)...)
	must(1, append([]string{"customer", "nobody"}, adm...)...)
	must(0, append([]string{"senders", "rm", "demo", "0299998888"}, adm...)...)
}
