package security

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/bench/faults"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// Admin tokens of the suite, in the rly_ format.
const (
	opToken   = "rly_ARZnRjqAUjTozzKxCYAYxH0HzEDL"
	shopToken = "rly_5ba5q2fhp9gAjKTmuk14Gp0spP8o"
)

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return "sha256:" + hex.EncodeToString(h[:])
}

// relay is one relayd run of a test.
type relay struct {
	*faults.Relayd
	dir   string // the run's directory: relay.toml, data/, audit.jsonl
	admin string // base URL of the admin API
}

var adminRE = regexp.MustCompile(`admin listening" addr=(\S+)`)

// startRelay runs relayd with customers shop and mall (secret
// faults.Secret), one simulated carrier and the admin API; extra is
// appended to the configuration.
func startRelay(t *testing.T, upstreamKeys, extra string) *relay {
	t.Helper()
	faults.SkipShort(t)
	bin, err := faults.BuildRelayd()
	if err != nil {
		t.Fatal(err)
	}
	c, err := faults.NewCarrier("alpha", smpptest.Config{Users: map[string]string{"relay": faults.CarrierPassword}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	dir := t.TempDir()
	s := &faults.Setup{DataDir: filepath.Join(dir, "data"), Customers: []string{"shop", "mall"},
		Carriers: []*faults.Carrier{c}, Upstream: upstreamKeys,
		Extra: "\n[admin]\nlisten = \"127.0.0.1:0\"\naudit_file = \"" + filepath.Join(dir, "audit.jsonl") + "\"\n" +
			"[[admin.token]]\nname = \"ops\"\nhash = \"" + tokenHash(opToken) + "\"\n" +
			"[[admin.token]]\nname = \"shop admin\"\ncustomer = \"shop\"\nhash = \"" + tokenHash(shopToken) + "\"\n" +
			"[settle.prices]\nsms = 9.9\nlms = 30\nalimtalk = 7.5\nfriendtalk_text = 13\nfriendtalk_image = 20\npayment_alimtalk = 7.5\n" + extra}
	cfg := filepath.Join(dir, "relay.toml")
	if err := s.Write(cfg); err != nil {
		t.Fatal(err)
	}
	r, err := faults.StartRelayd(bin, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Kill)
	rl := &relay{Relayd: r, dir: dir}
	deadline := time.Now().Add(30 * time.Second)
	for rl.admin == "" && time.Now().Before(deadline) {
		if m := adminRE.FindStringSubmatch(r.Logs()); m != nil {
			rl.admin = "http://" + m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	if rl.admin == "" {
		t.Fatalf("admin not listening:\n%s", r.Logs())
	}
	return rl
}

// dialFrom opens a TCP connection from a loopback source address.
func dialFrom(ctx context.Context, local, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return d.DialContext(ctx, "tcp", addr)
}

// bindFrom binds as customer from local; the client is closed.
func bindFrom(local, addr, customer, secret, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	nc, err := dialFrom(ctx, local, addr)
	if err != nil {
		return err
	}
	cl, err := client.New(ctx, nc, client.Options{Customer: customer, Secret: secret, ClientName: name, PingInterval: -1})
	if err != nil {
		nc.Close()
		return err
	}
	return cl.Close()
}

// clientFrom is an HTTP client whose connections come from local.
func clientFrom(local string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return &http.Client{
		Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4},
		Timeout:   10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// call makes an admin API request with a bearer token and returns the
// status and body.
func (r *relay) call(c *http.Client, method, path, token, body string) (int, string) {
	req, _ := http.NewRequest(method, r.admin+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}
