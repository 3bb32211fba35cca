package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/loopback"
	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
)

// TestDevConfigEndToEnd runs what README.md tells a new user to run: relayd
// on configs/dev.toml, then relayctl send, and checks the final report.
func TestDevConfigEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	dir := t.TempDir()
	build := func(pkg, out string) string {
		bin := filepath.Join(dir, out)
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Dir = "../.."
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, b)
		}
		return bin
	}
	relayd, relayctl := build("./cmd/relayd", "relayd"), build("./cmd/relayctl", "relayctl")

	// The dev configuration as shipped, with its data directory and ports
	// moved out of the way of anything else on the machine.
	cfg, err := os.ReadFile("../../configs/dev.toml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(cfg)
	s = strings.Replace(s, `data_dir = "data/dev"`, `data_dir = "`+filepath.Join(dir, "data")+`"`, 1)
	s = strings.Replace(s, `listen = "127.0.0.1:7600"`, `listen = "127.0.0.1:0"`, 1)
	s = strings.Replace(s, `ops_listen = "127.0.0.1:7601"`, `ops_listen = ""`, 1)
	s = strings.Replace(s, `listen = "127.0.0.1:7603"`, `listen = "127.0.0.1:0"`, 1)
	s = strings.Replace(s, `listen = "127.0.0.1:7602"`, `listen = "127.0.0.1:0"`, 1)
	s = strings.Replace(s, `listen = "127.0.0.1:7604"`, `listen = "127.0.0.1:0"`, 1)
	// The dev webhook receiver needs a known address: report_url names it.
	s = strings.ReplaceAll(s, `127.0.0.1:7605`, loopback.TestAddr(t))
	if m := regexp.MustCompile(`"127\.0\.0\.1:76\d\d`).FindString(s); m != "" {
		t.Fatalf("dev.toml has a listener on %s this test does not move", m)
	}
	s = strings.Replace(s, `audit_file = "data/dev/audit.jsonl"`, `audit_file = "`+filepath.Join(dir, "audit.jsonl")+`"`, 1)
	path := filepath.Join(dir, "dev.toml")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(relayd, "-check-config", "-config", path).CombinedOutput(); err != nil {
		t.Fatalf("check-config: %v\n%s", err, out)
	}

	cmd := exec.Command(relayd, "-config", path)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addrRE := regexp.MustCompile(`upstream listening" addr=(\S+)`)
	smppRE := regexp.MustCompile(`SMPP server listening" addr=(\S+)`)
	addr, smppAddr, reloaded := make(chan string, 1), make(chan string, 1), make(chan string, 1)
	var logs bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
			if m := smppRE.FindStringSubmatch(sc.Text()); m != nil {
				smppAddr <- m[1]
			}
			if strings.Contains(sc.Text(), "relay: configuration reloaded") {
				reloaded <- sc.Text()
			}
		}
	}()
	var a string
	select {
	case a = <-addr:
	case <-time.After(30 * time.Second):
		t.Fatal("relayd did not start listening")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, relayctl, "send", "-addr", a, "-customer", "demo", "-secret", "demo-secret",
		"-from", "0212345678", "-to", "01012345678", "-text", "안녕하세요", "-wait", "30s").CombinedOutput()
	// dev.toml fails 5% of simulated submits on purpose; relayctl then
	// prints the report and exits 1.
	undelivered := regexp.MustCompile(`(?m)^report .*"state":\s*"(FAILED|EXPIRED)"`).Match(out)
	if err != nil && !undelivered {
		t.Fatalf("relayctl send: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^report .*"message_id"`).Match(out) {
		t.Fatalf("no final report in relayctl output:\n%s", out)
	}

	// README's SMPP credentials: demo binds with demopass, and its
	// message's receipt comes back on the bind.
	receipts := make(chan string, 1)
	sess, err := smpp.Dial(smpp.Config{Addr: <-smppAddr, SystemID: "demo", Password: "demopass",
		OnDeliver: func(_ context.Context, d *pdu.DeliverSM) error {
			id, _ := d.TLVs.ReceiptedMessageID()
			select {
			case receipts <- id:
			default:
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.WaitBound(ctx); err != nil {
		t.Fatalf("SMPP bind as demo/demopass: %v", err)
	}
	resp, err := sess.Submit(ctx, &pdu.SubmitSM{RegisteredDelivery: 1, Source: pdu.Address{Addr: "0212345678"},
		Dest: pdu.Address{Addr: "01012345678"}, ShortMessage: []byte("hello over SMPP")})
	if err != nil {
		t.Fatalf("SMPP submit: %v", err)
	}
	select {
	case id := <-receipts:
		if id != resp.MessageID {
			t.Fatalf("receipt for %q, want %q", id, resp.MessageID)
		}
	case <-ctx.Done():
		t.Fatal("no receipt over SMPP")
	}
	_ = sess.Close(ctx)

	// SIGHUP reloads the file; unchanged, it changes nothing.
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reloaded:
	case <-ctx.Done():
		t.Fatal("no reload after SIGHUP")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := cmd.Wait(); err != nil {
		t.Fatalf("relayd did not exit cleanly on SIGTERM: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "relay: stop: close store") {
		t.Fatalf("shutdown did not reach the store:\n%s", logs.String())
	}
	// One ready line names every listener; the drain names its signal; a
	// clean stop warns of nothing.
	ready := regexp.MustCompile(`(?m)^.*msg="relay: ready" upstream=\S+ smpp=\S+ http=\S+ admin=\S+$`)
	if !ready.MatchString(logs.String()) {
		t.Errorf("no ready line with every address:\n%s", logs.String())
	}
	_, stopping, ok := strings.Cut(logs.String(), `msg="relayd: draining" signal=terminated`)
	if !ok {
		t.Fatalf("no drain line naming the signal:\n%s", logs.String())
	}
	if strings.Contains(stopping, "level=WARN") || strings.Contains(stopping, "level=ERROR") {
		t.Errorf("a clean stop logged warnings:\n%s", stopping)
	}
	if strings.Contains(logs.String(), "demo-secret") {
		t.Fatal("a secret appears in the logs")
	}
}
