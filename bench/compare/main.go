// Command compare measures the relay in the shape operators deploy it —
// relayd, the carrier's SMSC and the upstream gateway each in their own
// process, on loopback — and, where Debian's kannel is installed, Kannel
// against the same simulated SMSC in the same run:
//
//	relayd: relaybench -addr -pid ──upstream──▶ relayd ──SMPP──▶ smscsim
//	Kannel: this program (sendsms) ──HTTP──▶ smsbox ▶ bearerbox ──SMPP──▶ smscsim
//	                              ◀──dlr-url──┘
//
// Each round runs both systems, alternating which goes first, from a fresh
// data directory and fresh processes. It prints every round, the medians,
// and relayd's ratio to Kannel: final reports per second, and CPU per
// message of each system's own processes (relayd; bearerbox + smsbox),
// with the loader's and the SMSC's CPU per message beside them, since all
// share the machine's cores.
//
//	go run ./bench/compare                      # 3 rounds × 50,000 SMS each
//	go run ./bench/compare -rounds 5 -n 100000 -json
//	go run ./bench/compare -kannel off -receipt-delay 0 -rate 2000 -n 16000
//
// relayd is built with cmd/relayd/relayd.pgo, as it is released.
//
// bench/README.md explains the figures.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type options struct {
	rounds       int
	n            int
	conns        int
	window       int
	binds        int
	bindWindow   int
	receiptDelay time.Duration
	rate         float64
	drain        time.Duration
	kannel       string
	binDir       string
	keep         bool
	asJSON       bool
}

func (o *options) bin(name string) string { return filepath.Join(o.binDir, name) }

func (o *options) kannelBin(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return filepath.Join("/usr/sbin", name)
}

// hasKannel reports whether bearerbox and smsbox are installed.
func (o *options) hasKannel() bool {
	for _, b := range []string{"bearerbox", "smsbox"} {
		if _, err := os.Stat(o.kannelBin(b)); err != nil {
			return false
		}
	}
	return true
}

func main() {
	o := &options{}
	flag.IntVar(&o.rounds, "rounds", 3, "rounds; each runs every system once")
	flag.IntVar(&o.n, "n", 50000, "SMS per system per round")
	flag.IntVar(&o.conns, "conns", 4, "relaybench connections (Kannel: conns × window HTTP workers)")
	flag.IntVar(&o.window, "window", 32, "submits in flight per relaybench connection")
	flag.IntVar(&o.binds, "binds", 1, "relayd's binds to the SMSC (Kannel keeps one)")
	flag.IntVar(&o.bindWindow, "bind-window", 100, "submits in flight per SMPP bind, both systems")
	flag.DurationVar(&o.receiptDelay, "receipt-delay", 100*time.Millisecond, "the SMSC's delay from submit_sm_resp to receipt")
	flag.Float64Var(&o.rate, "rate", 0, "relayd only: offered submits per second (relaybench -rate); 0 as fast as the windows allow")
	flag.DurationVar(&o.drain, "drain", 60*time.Second, "longest wait for final reports after the last send")
	flag.StringVar(&o.kannel, "kannel", "auto", "auto (when installed), off, or require")
	flag.StringVar(&o.binDir, "bin", "", "directory with prebuilt relayd, smscsim and relaybench (default: build them)")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directory with configs and logs")
	flag.BoolVar(&o.asJSON, "json", false, "print one JSON object")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o *options) error {
	withKannel := o.kannel == "require" || (o.kannel == "auto" && o.hasKannel())
	if o.kannel == "require" && !o.hasKannel() {
		return errors.New("compare: -kannel require, but bearerbox and smsbox are not installed (apt-get install kannel)")
	}
	work, err := os.MkdirTemp("", "relay-compare-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(os.Stderr, "compare: working directory", work)
	} else {
		defer os.RemoveAll(work)
	}
	if o.binDir == "" {
		o.binDir = filepath.Join(work, "bin")
		if err := build(ctx, o.binDir, true); err != nil {
			return err
		}
	}

	systems := []func(context.Context, *options, string) (result, error){runRelayd}
	if withKannel {
		systems = append(systems, runKannel)
	}
	var all []result
	for r := range o.rounds {
		for i := range systems {
			// Alternate the order, so neither system always gets the
			// machine right after the other has warmed or littered it.
			sys := systems[(i+r)%len(systems)]
			dir := filepath.Join(work, fmt.Sprintf("round%d-%d", r+1, i))
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
			res, err := sys(ctx, o, dir)
			if err != nil {
				return err
			}
			res.Round = r + 1
			all = append(all, res)
			if !o.asJSON {
				fmt.Fprintf(os.Stderr, "round %d %-6s %8.0f reports/s %6.1f µs/msg\n", res.Round, res.System, res.ReportsPerS, res.SystemCPU)
			}
		}
	}
	rep := summarize(o, all)
	if o.asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(os.Stdout)
	return nil
}

// pgoProfile is the CPU profile relayd is released with, from the
// module's root (bench/README.md says how to refresh it).
const pgoProfile = "cmd/relayd/relayd.pgo"

// build compiles the three programs the relayd side runs. With pgo,
// relayd is built as it is released, with cmd/relayd/relayd.pgo; that
// compiles its whole dependency tree again, some minutes of CPU, so the
// test of this command builds without it.
func build(ctx context.Context, dir string, pgo bool) error {
	root, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return fmt.Errorf("compare: finding the module (run inside it): %w", err)
	}
	out := dir + string(filepath.Separator)
	relayd := []string{"build", "-o", out, "./cmd/relayd"}
	if pgo {
		relayd = []string{"build", "-pgo=" + pgoProfile, "-o", out, "./cmd/relayd"}
	}
	for _, args := range [][]string{relayd, {"build", "-o", out, "./cmd/smscsim", "./cmd/relaybench"}} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = strings.TrimSpace(string(root))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("compare: go %s: %w", strings.Join(args, " "), err)
		}
	}
	return nil
}
