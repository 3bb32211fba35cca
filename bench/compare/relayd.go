package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/loopback"
)

const (
	benchCustomer = "bench"
	benchSecret   = "bench-secret-not-for-production"
	benchSender   = "0212345678"
)

// relaydConfig is the minimal relayd configuration operators start from:
// data_dir, ops_listen, [upstream], one customer, one carrier, one route.
// Everything else is the daemon's defaults, fsync included.
func relaydConfig(dir string, o *options, smsc, upstream, ops int) (string, error) {
	hash, err := customer.HashSecret(benchSecret, customer.MinIterations)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`data_dir = %q
ops_listen = "127.0.0.1:%d"

[upstream]
listen = "127.0.0.1:%d"

[[customer]]
id = %q
name = "Bench"
secret_hash = %q
products = ["sms", "lms"]
senders = [%q]
rate = 10000000.0
burst = 10000000

[[carrier]]
name = "smsc"
addr = "127.0.0.1:%d"
system_id = "relay"
password = "secret"
binds = %d
window = %d
resp_ids = "decimal"
receipt_ids = "decimal"

[[route]]
carriers = [{name = "smsc", weight = 1}]
`, filepath.Join(dir, "data"), ops, upstream, benchCustomer, hash, benchSender,
		smsc, o.binds, o.bindWindow), nil
}

// benchJSON is the part of relaybench's JSON that the comparison reads.
type benchJSON struct {
	Accepted     int64   `json:"accepted"`
	Delivered    int64   `json:"delivered"`
	Failed       int64   `json:"failed"`
	Expired      int64   `json:"expired"`
	Lost         int64   `json:"lost"`
	DoubleBilled int64   `json:"double_billed"`
	AcceptedPerS float64 `json:"accepted_per_s"`
	ReportsPerS  float64 `json:"reports_per_s"`
	ReportP50ms  float64 `json:"report_p50_ms"`
	PeakRSSMiB   float64 `json:"relay_peak_rss_mib"`
}

// runRelayd plays one round against relayd: smscsim and relayd as their
// own processes, relaybench -addr -pid as the loader.
func runRelayd(ctx context.Context, o *options, dir string) (result, error) {
	res := result{System: "relayd"}
	ports, err := loopback.Ports(3)
	if err != nil {
		return res, err
	}
	smscPort, upPort, opsPort := ports[0], ports[1], ports[2]
	smsc, err := startSMSC(ctx, o, dir, smscPort, "relay:secret")
	if err != nil {
		return res, err
	}
	defer smsc.stop(5 * time.Second)

	text, err := relaydConfig(dir, o, smscPort, upPort, opsPort)
	if err != nil {
		return res, err
	}
	cfgPath := filepath.Join(dir, "relayd.toml")
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		return res, err
	}
	relayd, err := start(dir, "relayd", o.bin("relayd"), "-config", cfgPath)
	if err != nil {
		return res, err
	}
	defer relayd.stop(30 * time.Second)
	if err := waitReady(ctx, relayd, fmt.Sprintf("http://127.0.0.1:%d/readyz", opsPort)); err != nil {
		return res, err
	}

	relay0, err := cpuOf(relayd)
	if err != nil {
		return res, err
	}
	smsc0, err := cpuOf(smsc)
	if err != nil {
		return res, err
	}
	cmd := exec.CommandContext(ctx, o.bin("relaybench"),
		"-addr", fmt.Sprintf("127.0.0.1:%d", upPort),
		"-customer", benchCustomer, "-secret", benchSecret, "-sender", benchSender,
		"-pid", strconv.Itoa(relayd.pid()), "-n", strconv.Itoa(o.n),
		"-conns", strconv.Itoa(o.conns), "-window", strconv.Itoa(o.window),
		"-rate", strconv.FormatFloat(o.rate, 'f', -1, 64), "-json")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	runErr := cmd.Run()
	relay1, err := cpuOf(relayd)
	if err != nil {
		return res, err
	}
	smsc1, err := cpuOf(smsc)
	if err != nil {
		return res, err
	}
	var b benchJSON
	if jerr := json.Unmarshal(out.Bytes(), &b); jerr != nil {
		return res, fmt.Errorf("compare: relaybench: %v (%v)\n%s", runErr, jerr, errOut.String())
	}
	// relaybench exits 3 when something was lost or double billed: that
	// is a figure to show, not a failure of the comparison.
	res.Messages = b.Accepted
	res.Finals = b.Delivered + b.Failed + b.Expired
	res.ReportsPerS = b.ReportsPerS
	res.ReportP50ms = b.ReportP50ms
	res.PeakRSSMiB = b.PeakRSSMiB
	res.Lost = b.Lost
	res.DoubleBilled = b.DoubleBilled
	res.SystemCPU = perMsg(relay1-relay0, b.Accepted)
	res.SMSCCPU = perMsg(smsc1-smsc0, b.Accepted)
	if cmd.ProcessState != nil {
		res.LoaderCPU = perMsg(cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime(), b.Accepted)
	}
	return res, nil
}

// waitReady polls a relayd's /readyz until it answers 200: the carrier
// is bound.
func waitReady(ctx context.Context, p *proc, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if r, err := http.Get(url); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return nil
			}
		}
		if p.exited() {
			return fmt.Errorf("compare: %s exited:\n%s", p.name, p.tail(10))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("compare: %s not ready: %w\n%s", p.name, ctx.Err(), p.tail(10))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startSMSC starts cmd/smscsim with the round's receipt delay and decimal
// message ids, which both systems read without a per-SMSC id setting.
func startSMSC(ctx context.Context, o *options, dir string, port int, users string) (*proc, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := start(dir, "smscsim", o.bin("smscsim"), "-addr", addr, "-users", users,
		"-receipt-delay", o.receiptDelay.String(), "-id-base", "10")
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := waitListening(wctx, p, addr); err != nil {
		p.stop(time.Second)
		return nil, err
	}
	return p, nil
}

func perMsg(d time.Duration, n int64) float64 {
	if n <= 0 {
		return 0
	}
	return float64(d.Microseconds()) / float64(n)
}
