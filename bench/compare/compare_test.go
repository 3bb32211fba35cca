package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestCompareShort plays one short round of each system end to end: the
// programs are built, started as their own processes on loopback, loaded,
// and every message must reach its final report on both sides.
func TestCompareShort(t *testing.T) {
	o := &options{
		rounds: 1, n: 2000, conns: 2, window: 16, binds: 1, bindWindow: 100,
		receiptDelay: 10 * time.Millisecond, drain: 60 * time.Second, kannel: "auto",
	}
	if !o.hasKannel() {
		if os.Getenv("RELAY_REQUIRE_PEERS") == "1" {
			t.Fatal("Kannel (bearerbox, smsbox) is not installed and RELAY_REQUIRE_PEERS=1")
		}
		t.Log("Kannel is not installed: relayd only")
		o.kannel = "off"
	}
	o.binDir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := build(ctx, o.binDir, false); err != nil {
		t.Fatal(err)
	}
	systems := map[string]func(context.Context, *options, string) (result, error){"relayd": runRelayd}
	if o.kannel != "off" {
		systems["kannel"] = runKannel
	}
	for name, run := range systems {
		res, err := run(ctx, o, t.TempDir())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %+v", name, res)
		if res.Messages != int64(o.n) || res.Finals != res.Messages || res.Lost != 0 || res.DoubleBilled != 0 {
			t.Errorf("%s: %d accepted, %d final, %d lost, %d double billed of %d sent",
				name, res.Messages, res.Finals, res.Lost, res.DoubleBilled, o.n)
		}
		if res.ReportsPerS <= 0 || res.SystemCPU <= 0 || res.SMSCCPU <= 0 || res.LoaderCPU <= 0 {
			t.Errorf("%s: a figure is missing: %+v", name, res)
		}
	}
}

// TestPGOProfile: the profile relayd is built with is a CPU profile that
// the toolchain reads, and its hot paths are the relay's own (the store,
// the dispatcher), so a build with it optimises relayd, not some other
// program. TestCompareShort builds without it, to save minutes of CPU.
func TestPGOProfile(t *testing.T) {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=200",
		filepath.Join("..", "..", filepath.FromSlash(pgoProfile))).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof %s: %v\n%s", pgoProfile, err, out)
	}
	for _, want := range []string{"Type: cpu", "github.com/msgrelay/relay/store.", "github.com/msgrelay/relay/relay/dispatch."} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("%s has no %q among its 200 heaviest paths", pgoProfile, want)
		}
	}
}
