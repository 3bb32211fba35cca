package bench

import (
	"bytes"
	"context"
	"math"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// profileProto builds a small profile.proto: sample types samples/count
// and cpu/nanoseconds, and one sample per entry of samples, labelled with
// part unless it is empty. Values go packed and unpacked in turn, as the
// runtime writes them either way.
func profileProto(samples []struct {
	part       string
	count, cpu int64
}) []byte {
	strs := []string{"", "samples", "count", "cpu", "nanoseconds", "part"}
	idx := func(s string) int64 {
		for i, x := range strs {
			if x == s {
				return int64(i)
			}
		}
		strs = append(strs, s)
		return int64(len(strs) - 1)
	}
	msg := func(fs ...[]byte) []byte { return bytes.Join(fs, nil) }
	varint := func(n protowire.Number, v int64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(nil, n, protowire.VarintType), uint64(v))
	}
	sub := func(n protowire.Number, b []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, n, protowire.BytesType), b)
	}
	var out []byte
	out = append(out, sub(1, msg(varint(1, 1), varint(2, 2)))...)
	out = append(out, sub(1, msg(varint(1, 3), varint(2, 4)))...)
	for i, s := range samples {
		var vals []byte
		if i%2 == 0 {
			packed := protowire.AppendVarint(protowire.AppendVarint(nil, uint64(s.count)), uint64(s.cpu))
			vals = sub(2, packed)
		} else {
			vals = msg(varint(2, s.count), varint(2, s.cpu))
		}
		body := msg(sub(1, protowire.AppendVarint(nil, 7)), vals)
		if s.part != "" {
			body = append(body, sub(3, msg(varint(1, 5), varint(2, idx(s.part))))...)
			body = append(body, sub(3, msg(varint(1, idx("other")), varint(2, idx("x"))))...)
		}
		out = append(out, sub(2, body)...)
	}
	for _, s := range strs {
		out = append(out, sub(6, []byte(s))...)
	}
	return out
}

func TestSplitCPU(t *testing.T) {
	prof := profileProto([]struct {
		part       string
		count, cpu int64
	}{
		{partRelay, 5, 50e6}, {partLoader, 1, 10e6}, {partRelay, 2, 20e6},
		{partSimulator, 1, 10e6}, {"", 1, 10e6},
	})
	got, err := splitCPU(prof, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := CPUSplit{Relay: 70, Loader: 10, Simulator: 10, Runtime: 10, Samples: 10}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if !near(got.Relay, want.Relay) || !near(got.Loader, want.Loader) || !near(got.Simulator, want.Simulator) ||
		!near(got.Runtime, want.Runtime) || got.Samples != want.Samples {
		t.Errorf("split %+v, want %+v", got, want)
	}
	if _, err := splitCPU([]byte{0x0a, 0x05, 1}, 1); err == nil {
		t.Error("a truncated profile was read")
	}
}

// TestSplitCPUOfRuntimeProfile reads a profile the runtime wrote (gzipped)
// of work done under two labels.
func TestSplitCPUOfRuntimeProfile(t *testing.T) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Skip("CPU profiler in use:", err)
	}
	spin := func(ctx context.Context) {
		x := 0
		for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
			for i := range 1000 {
				x += i * i
			}
		}
		_ = x
	}
	withPart(context.Background(), partLoader, spin)
	withPart(context.Background(), partRelay, spin)
	pprof.StopCPUProfile()
	byPart, err := cpuByLabel(buf.Bytes(), partLabel)
	if err != nil {
		t.Fatal(err)
	}
	// 300 ms of CPU each at 100 samples a second; a busy machine may give
	// the test less than that, never none.
	if byPart[partLoader].samples == 0 || byPart[partRelay].samples == 0 || byPart[partRelay].cpu <= 0 {
		t.Errorf("by part %+v: want samples of both", byPart)
	}
}

// TestPartsLabelled checks, on the goroutines of a running scenario, that
// each part's goroutines carry its label: the relay's (store, dispatch,
// upstream server), the loader's (the upstream client) and the simulated
// SMSCs'. A goroutine left unlabelled would be counted as the runtime's.
func TestPartsLabelled(t *testing.T) {
	c := DefaultConfig()
	c.Messages, c.Conns, c.Window = 300, 2, 16
	c.Drain = 15 * time.Second
	c.CPUSplit = true
	var once sync.Once
	var dump string
	c.Progress = func(p Progress) {
		if p.Draining && p.Reports >= p.Accepted {
			once.Do(func() {
				var b strings.Builder
				_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
				dump = b.String()
			})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := Run(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		for _, g := range strings.Split(dump, "\n\n") {
			if !strings.Contains(g, "# labels") && strings.Contains(g, "msgrelay") {
				t.Log(g)
			}
		}
	}
	if dump == "" {
		t.Fatal("no goroutine dump taken")
	}
	want := map[string]string{ // a package in the stack → its part
		"/relay/store.":           partRelay,
		"/relay/dispatch.":        partRelay,
		"/relay/upstream.(*conn)": partRelay,
		"/upstream/client.":       partLoader,
		"/smpp/smpptest.":         partSimulator,
	}
	seen := map[string]int{}
	for _, g := range strings.Split(dump, "\n\n") {
		part := ""
		if _, l, ok := strings.Cut(g, "# labels: "); ok {
			if _, v, ok := strings.Cut(l, `"part":"`); ok {
				part, _, _ = strings.Cut(v, `"`)
			}
		}
		for pkg, p := range want {
			if strings.Contains(g, pkg) {
				seen[pkg]++
				if part != p {
					t.Errorf("goroutine in %s labelled %q, want %q:\n%s", pkg, part, p, g)
				}
			}
		}
	}
	for pkg := range want {
		if seen[pkg] == 0 {
			t.Errorf("no goroutine of %s in the dump", pkg)
		}
	}
	sum := r.CPURelayUs + r.CPULoaderUs + r.CPUSimulatorUs + r.CPURuntimeUs
	if r.CPUSplitSamples > 0 && math.Abs(sum-r.CPUPerMsgUs) > 0.01*r.CPUPerMsgUs {
		t.Errorf("split %.2f + %.2f + %.2f + %.2f = %.2f, cpu_us_per_msg %.2f",
			r.CPURelayUs, r.CPULoaderUs, r.CPUSimulatorUs, r.CPURuntimeUs, sum, r.CPUPerMsgUs)
	}
}
