package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/tokenfmt"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// inproc is a relay in this process with simulated carriers (and the
// daemon's own simulated Kakao server), in a temporary data directory
// removed at close.
type inproc struct {
	dir    string
	sims   []*smpptest.Server
	d      *relay.Daemon
	secret string
}

const (
	benchSecret       = "bench-secret-not-for-production"
	benchSMPPPassword = "benchpw" // SMPP allows 8 characters
)

func customerID(i int) string { return "bench" + strconv.Itoa(i+1) }

// benchAPIKey is customer i's HTTP API key.
func benchAPIKey(i int) string {
	k, err := tokenfmt.Seal(fmt.Sprintf("benchNotForProd%07d", i+1))
	if err != nil {
		panic(err) // the body above is 22 base62 characters
	}
	return k
}

// The simulated SMSCs label their goroutines "simulator" themselves; the
// relay's inherit "relay" from the goroutine that starts it.
func startInproc(ctx context.Context, c *Config, log *slog.Logger) (_ *inproc, err error) {
	p := &inproc{secret: benchSecret}
	defer func() {
		if err != nil {
			p.close(context.Background())
		}
	}()
	if p.dir, err = os.MkdirTemp("", "relaybench-"); err != nil {
		return nil, err
	}
	for i := range c.Carriers.Count {
		sim, err := smpptest.NewServer(smpptest.Config{
			Users:        map[string]string{"relay": "pw"},
			ReceiptDelay: c.Carriers.ReceiptDelay,
			FailRatio:    c.Carriers.FailRatio,
			TPS:          c.Carriers.TPS,
			Seed:         uint64(i + 1),
			MaxRecorded:  1, // the harness checks reports, not what the SMSC saw
			MaxPending:   1 << 22,
			Logger:       log,
		})
		if err != nil {
			return nil, err
		}
		p.sims = append(p.sims, sim)
	}
	text, err := p.configText(c)
	if err != nil {
		return nil, err
	}
	// The relay reads its configuration as relayd does, defaults and
	// validation included.
	path := filepath.Join(p.dir, "relay.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return nil, err
	}
	cfg, err := relay.LoadConfig(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	withPart(ctx, partRelay, func(context.Context) {
		p.d, err = relay.Start(cfg, relay.Options{Logger: log, Metrics: c.Metrics})
	})
	if err != nil {
		return nil, err
	}
	return p, p.waitBound(c.Carriers.Binds)
}

// configText writes the relay's configuration for the scenario as TOML.
func (p *inproc) configText(c *Config) (string, error) {
	hash, err := customer.HashSecret(benchSecret, customer.MinIterations)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	// Every customer sends from the scenario's one number, shared on purpose.
	w("data_dir = %q\nshared_senders = [%q]", filepath.Join(p.dir, "data"), c.Sender)
	w("[upstream]\nlisten = \"127.0.0.1:0\"\nmax_conns_per_customer = %d", c.Conns+1)
	w("[dispatch]\nretry_min = \"10ms\"\nretry_max = \"1s\"")
	if c.Ingress == IngressHTTP {
		w("[http]\nlisten = \"127.0.0.1:0\"")
	}
	smppHash := ""
	if c.Ingress == IngressSMPP {
		w("[smpp_server]\nlisten = \"127.0.0.1:0\"\nmax_binds_per_customer = %d\nwindow = %d", c.Conns+1, max(c.Window, 64))
		if smppHash, err = customer.HashSecret(benchSMPPPassword, customer.MinIterations); err != nil {
			return "", err
		}
	}
	if c.Mix.Kakao() {
		mix := c.Kakao.Mix
		if mix == "" {
			mix = "1000:1"
		}
		w("[kakao]\nbase_url = \"sim\"\nmax_conns = 256\n[kakao.simulate]\nlatency = %q\nmix = %q", c.Kakao.Latency.String(), mix)
	}
	for i := range c.Customers {
		w("[[customer]]\nid = %q\nname = \"Bench %d\"\nsecret_hash = %q", customerID(i), i+1, hash)
		w("products = [\"sms\", \"lms\", \"alimtalk\", \"friendtalk_text\"]")
		w("senders = [%q]\nsender_keys = [%q]\nrate = 10000000.0\nburst = 10000000", c.Sender, c.SenderKey)
		w("api_keys = [%q]", customer.HashAPIKey(benchAPIKey(i)))
		if smppHash != "" {
			w("smpp_password_hash = %q", smppHash)
		}
	}
	if c.SenderKey != "" && c.Template != "" { // the AlimTalk template the messages use, as Kakao approved it
		w("[[template]]\nsender_key = %q\ncode = %q\ntext = %q", c.SenderKey, c.Template, kakaoText)
	}
	var names []string
	for i, sim := range p.sims {
		name := "carrier" + strconv.Itoa(i+1)
		names = append(names, fmt.Sprintf("{name = %q, weight = 1}", name))
		w("[[carrier]]\nname = %q\naddr = %q\nsystem_id = \"relay\"\npassword = \"pw\"", name, sim.Addr())
		w("binds = %d\nwindow = %d\ntps = %d.0\nresp_ids = \"hex\"\nreceipt_ids = \"hex\"",
			c.Carriers.Binds, c.Carriers.Window, c.Carriers.TPS)
	}
	w("[[route]]\ncarriers = [%s]", strings.Join(names, ", "))
	return b.String(), nil
}

// waitBound polls the simulated SMSCs until every bind is up.
func (p *inproc) waitBound(binds int) error {
	deadline := time.Now().Add(10 * time.Second)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		up := 0
		for _, s := range p.sims {
			if s.Stats().Open >= binds {
				up++
			}
		}
		if up == len(p.sims) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %d of %d carriers bound after 10s", up, len(p.sims))
		}
	}
	return nil
}

func (p *inproc) close(ctx context.Context) error {
	var err error
	if p.d != nil {
		err = p.d.Shutdown(ctx)
	}
	for _, s := range p.sims {
		s.Close()
	}
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
	return err
}
