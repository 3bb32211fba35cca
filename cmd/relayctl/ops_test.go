package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/ops"
)

// TestCarriersAndStatus stops a carrier and brings it back with relayctl
// alone, and reads the status the way a script would.
func TestCarriersAndStatus(t *testing.T) {
	d, adm := startDev(t)
	must := mustRun(t)
	with := func(args ...string) []string { return append(args, adm...) }

	out := must(0, with("status")...)
	if !strings.HasPrefix(out, "ready\n") || !strings.Contains(out, "carrier-a") || !strings.Contains(out, "OPEN BY STATE") ||
		!strings.Contains(out, "UPSTREAM  SMPP  HTTP") {
		t.Fatalf("status:\n%s", out)
	}
	out = must(0, with("carriers", "ls")...)
	if !strings.Contains(out, "carrier-a  up") || !strings.Contains(out, "carrier-b  up") {
		t.Fatalf("carriers ls:\n%s", out)
	}
	out = must(0, with("carriers", "drain", "carrier-a")...)
	if !strings.Contains(out, "carrier-a: out of routing") {
		t.Fatalf("drain:\n%s", out)
	}
	if out = must(0, with("carriers", "ls")...); !strings.Contains(out, "carrier-a  drained") {
		t.Fatalf("carriers ls after the drain:\n%s", out)
	}
	// Every SMS now goes to carrier-b.
	for range 3 {
		must(0, "send", "-addr", d.UpstreamAddr(), "-customer", "demo", "-secret", "demo-secret", "-wait", "30s")
	}
	out = must(0, with("status", "-o", "json")...)
	var rep ops.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Ready || len(rep.Warnings) == 0 || !rep.Dispatch.Carriers[0].Drained {
		t.Fatalf("status with carrier-a drained: %+v", rep)
	}
	if a, b := d.Simulators()[0].Stats().Submits, d.Simulators()[1].Stats().Submits; a != 0 || b != 3 {
		t.Fatalf("with carrier-a drained: carrier-a took %d submits, carrier-b %d", a, b)
	}
	must(0, with("carriers", "resume", "carrier-a")...)
	if out = must(0, with("carriers", "ls")...); !strings.Contains(out, "carrier-a  up") {
		t.Fatalf("carriers ls after resume:\n%s", out)
	}
	must(1, with("carriers", "drain", "nope")...)
	// This relay was started from code, with no file to read again.
	must(1, with("reload")...)
}

func TestCustomersAndOptOut(t *testing.T) {
	_, adm := startDev(t)
	must := mustRun(t)
	with := func(args ...string) []string { return append(args, adm...) }

	out := must(0, with("customers")...)
	for _, id := range []string{"demo", "shop", "pg"} {
		if !strings.Contains(out, "\n"+id+" ") {
			t.Fatalf("customers lacks %s:\n%s", id, out)
		}
	}
	if out = must(0, with("optout", "add", "demo", "010-1111-2222", "01033334444")...); !strings.Contains(out, "demo: 2 numbers added") {
		t.Fatalf("optout add:\n%s", out)
	}
	csv := filepath.Join(t.TempDir(), "optout.csv")
	if err := os.WriteFile(csv, []byte("number\n01055556666\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out = must(0, with("optout", "import", "demo", csv)...); !strings.Contains(out, "demo: 1 numbers added") {
		t.Fatalf("optout import:\n%s", out)
	}
	out = must(0, with("optout", "ls", "demo", "-o", "json")...)
	var l optOutList
	if err := json.Unmarshal([]byte(out), &l); err != nil || l.Count != 3 || strings.Contains(out, "01011112222") {
		t.Fatalf("optout ls (operators see masked numbers): %v\n%s", err, out)
	}
	if out = must(0, with("optout", "rm", "demo", "01011112222")...); !strings.Contains(out, "1 numbers removed") {
		t.Fatalf("optout rm:\n%s", out)
	}
	must(1, with("optout", "add", "demo", "not-a-number")...)
	must(2, with("optout", "add", "demo")...)
}
