package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/smpp/receipt"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// inproc is a relay in this process with simulated carriers, in a
// temporary data directory removed at close.
type inproc struct {
	dir    string
	sims   []*smpptest.Server
	d      *relay.Daemon
	cfg    *relay.Config
	kakao  func() // stops the simulated Kakao endpoint, if any
	secret string
}

const benchSecret = "bench-secret-not-for-production"

func customerID(i int) string { return "bench" + strconv.Itoa(i+1) }

func startInproc(c *Config, log *slog.Logger) (_ *inproc, err error) {
	if c.Mix.Kakao() && kakaoHook == nil {
		return nil, ErrNoKakao
	}
	p := &inproc{secret: benchSecret}
	defer func() {
		if err != nil {
			p.close(context.Background())
		}
	}()
	if p.dir, err = os.MkdirTemp("", "relaybench-"); err != nil {
		return nil, err
	}
	hash, err := customer.HashSecret(benchSecret, customer.MinIterations)
	if err != nil {
		return nil, err
	}
	cfg := &relay.Config{
		DataDir:         p.dir,
		Upstream:        relay.UpstreamConfig{Listen: "127.0.0.1:0", MaxConnsPerCustomer: c.Conns + 1},
		Door:            door.DefaultConfig(),
		ShutdownTimeout: relay.Duration(20 * time.Second),
		Dispatch: relay.DispatchConfig{
			MaxAttempts: 5,
			RetryMin:    relay.Duration(10 * time.Millisecond),
			RetryMax:    relay.Duration(time.Second),
			Validity:    relay.Duration(47 * time.Hour),
			ExpiryScan:  relay.Duration(10 * time.Second),
		},
	}
	for i := range c.Customers {
		cfg.Customers = append(cfg.Customers, customer.Config{
			ID: customerID(i), Name: "Bench " + strconv.Itoa(i+1), SecretHash: hash,
			Products: []string{"sms", "lms", "alimtalk", "friendtalk_text"},
			Senders:  []string{c.Sender}, SenderKeys: []string{c.SenderKey},
			Rate: 10_000_000, Burst: 10_000_000,
		})
	}
	hexIDs := receipt.IDFormat{}
	if err := hexIDs.UnmarshalText([]byte("hex")); err != nil {
		return nil, err
	}
	var weighted []route.Weighted
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
		name := "carrier" + strconv.Itoa(i+1)
		cfg.Carriers = append(cfg.Carriers, relay.CarrierConfig{
			Name: name, Addr: sim.Addr(), SystemID: "relay", Password: "pw",
			Mode: "transceiver", Binds: c.Carriers.Binds, Window: c.Carriers.Window,
			TPS: float64(c.Carriers.TPS), DataCoding: "ksc5601", TimeZone: "Asia/Seoul",
			RespIDs: hexIDs, ReceiptIDs: hexIDs,
		})
		weighted = append(weighted, route.Weighted{Name: name, Weight: 1})
	}
	cfg.Routes = []route.Config{{Carriers: weighted}}
	if c.Mix.Kakao() {
		if p.kakao, err = kakaoHook(cfg, c.Kakao, c.SenderKey, c.Template); err != nil {
			return nil, err
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bench: relay config: %w", err)
	}
	p.cfg = cfg
	if p.d, err = relay.Start(cfg, relay.Options{Logger: log}); err != nil {
		return nil, err
	}
	return p, p.waitBound(c.Carriers.Binds)
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
	if p.kakao != nil {
		p.kakao()
	}
	for _, s := range p.sims {
		s.Close()
	}
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
	return err
}
