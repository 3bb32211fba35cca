// Command relaybench runs a load scenario against an in-process relay with
// simulated carriers, or against a running relayd (-addr), and prints the
// figures: a summary table, or one JSON object with -json.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/bench"
	"github.com/msgrelay/relay/relay"
)

func main() {
	c := bench.DefaultConfig()
	flag.StringVar(&c.Addr, "addr", "", "address of a running relayd for the ingress (for -ingress upstream, several comma-separated: the nodes of a cluster, each submit to a live one); empty runs an in-process relay")
	flag.StringVar(&c.Customer, "customer", "", "customer id (with -addr)")
	flag.StringVar(&c.Secret, "secret", os.Getenv("RELAYBENCH_SECRET"), "customer secret (with -addr; default $RELAYBENCH_SECRET)")
	flag.IntVar(&c.PID, "pid", 0, "pid of the relayd, to read its peak RSS (with -addr)")
	flag.IntVar(&c.Conns, "conns", c.Conns, "upstream connections")
	flag.IntVar(&c.Window, "window", c.Window, "submits in flight per connection")
	flag.IntVar(&c.Customers, "customers", c.Customers, "customers the connections are spread over, in process (0: one per connection)")
	flag.IntVar(&c.Messages, "n", c.Messages, "messages to send (0 with -duration: no cap)")
	flag.DurationVar(&c.Duration, "duration", 0, "send for this long instead of a count")
	flag.Float64Var(&c.Rate, "rate", 0, "offered submits per second over all connections (0: as fast as the windows allow)")
	flag.DurationVar(&c.Drain, "drain", c.Drain, "longest wait for final reports after the last submit")
	mix := flag.String("mix", "sms=1", "product weights, e.g. sms=6,lms=2,alimtalk=1,friendtalk=1")
	flag.Float64Var(&c.Mix.AlimTalkFallback, "alimtalk-fallback", 0, "share of AlimTalk sent with SMS/LMS fallback")
	flag.StringVar(&c.Sender, "sender", c.Sender, "registered sender number")
	flag.StringVar(&c.SenderKey, "sender-key", c.SenderKey, "Kakao sender profile key")
	flag.StringVar(&c.Template, "template", c.Template, "AlimTalk template code")
	flag.IntVar(&c.Carriers.Count, "carriers", c.Carriers.Count, "simulated carriers")
	flag.IntVar(&c.Carriers.Binds, "binds", c.Carriers.Binds, "binds per carrier")
	flag.IntVar(&c.Carriers.Window, "bind-window", c.Carriers.Window, "relay window per bind")
	flag.IntVar(&c.Carriers.TPS, "tps", 0, "submit rate per bind (0: unlimited)")
	flag.DurationVar(&c.Carriers.ReceiptDelay, "receipt-delay", 0, "delay from submit_sm_resp to receipt")
	flag.Float64Var(&c.Carriers.FailRatio, "fail-ratio", 0, "share of receipts that report UNDELIV")
	flag.DurationVar(&c.Kakao.Latency, "kakao-latency", c.Kakao.Latency, "simulated Kakao answer time")
	flag.StringVar(&c.Kakao.Mix, "kakao-mix", c.Kakao.Mix, "simulated Kakao result codes, code:weight,… (3018 falls back to SMS/LMS)")
	flag.StringVar(&c.Ingress, "ingress", c.Ingress, "the door messages go in by: upstream, http (in process) or smpp")
	flag.IntVar(&c.HTTPBatch, "http-batch", c.HTTPBatch, "messages per POST with -ingress http")
	flag.IntVar(&c.HTTPInFlight, "http-in-flight", c.HTTPInFlight, "POSTs in flight per connection with -ingress http")
	asJSON := flag.Bool("json", false, "print one JSON object")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile (in-process: relay and loader)")
	memProfile := flag.String("memprofile", "", "write a heap profile at the end")
	flag.BoolVar(&c.CPUSplit, "cpu-split", false, "in process: also give cpu_us_per_msg divided among relay, loader, simulator and runtime, from a CPU profile of the same window (not with -cpuprofile; for that file use go tool pprof -tags)")
	metricsOut := flag.String("metrics-out", "", "write the in-process relay's metrics (Prometheus text) here at the end")
	verbose := flag.Bool("v", false, "log the in-process relay at info level to stderr")
	flag.Parse()

	var err error
	fallback := c.Mix.AlimTalkFallback
	if c.Mix, err = bench.ParseMix(*mix); err != nil {
		fmt.Fprintln(os.Stderr, "relaybench:", err)
		os.Exit(2)
	}
	c.Mix.AlimTalkFallback = fallback
	if *verbose {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	c.Progress = progressPrinter(!*asJSON)
	if *metricsOut != "" {
		c.Metrics = metrics.NewSet()
	}

	if c.CPUSplit && *cpuProfile != "" {
		fmt.Fprintln(os.Stderr, "relaybench: -cpu-split takes its own profile; with -cpuprofile, read the split with go tool pprof -tags")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "relaybench:", err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "relaybench:", err)
			os.Exit(1)
		}
	}
	if c.Addr == "" {
		// The relay in this process stands for relayd: the same collector
		// setting (the [runtime] defaults; GOGC and GOMEMLIMIT win).
		if _, _, err := (relay.RuntimeConfig{}).Apply(os.Getenv); err != nil {
			fmt.Fprintln(os.Stderr, "relaybench:", err)
			os.Exit(1)
		}
	}
	res, err := bench.Run(ctx, c)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		if f, ferr := os.Create(*memProfile); ferr == nil {
			runtime.GC()
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	if *metricsOut != "" {
		if f, ferr := os.Create(*metricsOut); ferr == nil {
			c.Metrics.WritePrometheus(f)
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "relaybench:", err)
		os.Exit(1)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		_ = enc.Encode(res)
	} else {
		res.WriteTable(os.Stdout)
	}
	if res.Lost > 0 || res.DoubleBilled > 0 || res.BillingMismatch > 0 {
		os.Exit(3)
	}
}

// progressPrinter draws a bar on a terminal (stderr) and plain lines
// otherwise; nothing when quiet.
func progressPrinter(show bool) func(bench.Progress) {
	if !show {
		return nil
	}
	fi, err := os.Stderr.Stat()
	tty := err == nil && fi.Mode()&os.ModeCharDevice != 0
	return func(p bench.Progress) {
		phase := "sending"
		if p.Draining {
			phase = "draining"
		}
		line := fmt.Sprintf("%6.1fs %-8s sent %d accepted %d reports %d",
			p.Elapsed.Seconds(), phase, p.Sent, p.Accepted, p.Reports)
		if !tty {
			fmt.Fprintln(os.Stderr, line)
			return
		}
		frac := 0.0
		switch {
		case p.Draining && p.Accepted > 0:
			frac = float64(p.Reports) / float64(p.Accepted)
		case p.Target > 0:
			frac = float64(p.Sent) / float64(p.Target)
		}
		frac = min(max(frac, 0), 1)
		const width = 30
		n := int(frac * width)
		fmt.Fprintf(os.Stderr, "\r[%s%s] %3.0f%% %s", strings.Repeat("#", n), strings.Repeat(".", width-n), frac*100, line)
		if p.Draining && p.Reports >= p.Accepted {
			fmt.Fprintln(os.Stderr)
		}
	}
}
