package bench

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// Config is one scenario. The zero value is not useful; start from
// DefaultConfig and change what the scenario needs.
type Config struct {
	// Addr of a running relayd (its address for the Ingress); empty runs
	// an in-process relay with simulated carriers in a temporary data
	// directory. For the upstream ingress it may list the nodes of a
	// cluster, "a,b,c": each connection then holds one to every node and
	// sends each submit to a live one (client.Multi).
	Addr string
	// Customer and Secret authenticate against a running relayd. In
	// process, the harness makes its own customers.
	Customer, Secret string
	// PID of the running relayd, to read its peak RSS; 0 skips it.
	PID int

	// Conns is the number of upstream connections; Window the submits in
	// flight on each.
	Conns, Window int
	// Customers in process: connections are spread over this many
	// customers; 0 gives each connection its own. A customer's reports
	// are shared among its connections, each sent on one of them; one
	// sent again (its connection ended unacknowledged) counts as a
	// duplicate_report.
	Customers int
	// Messages to send; when Duration is set instead, the load runs that
	// long (Messages then caps it if it is also set).
	Messages int
	Duration time.Duration
	// Rate caps the offered load in submits per second over all
	// connections; 0 sends as fast as the windows allow. A rate run shows
	// whether the relay sustains a load rather than how fast it queues one.
	Rate float64
	// Mix is the product mix.
	Mix Mix
	// Sender is the registered sender number; SenderKey the Kakao sender
	// profile and Template the AlimTalk template code.
	Sender, SenderKey, Template string
	// Drain bounds the wait for final reports after the last submit.
	Drain time.Duration

	// Carriers are the simulated SMSCs of the in-process relay.
	Carriers CarrierConfig
	// Kakao is the simulated Kakao endpoint of the in-process relay.
	Kakao KakaoConfig

	// Ingress is the door the messages go in by: "upstream" (the default,
	// Conns connections with Window submits in flight each), "http" (the
	// HTTP API, in process only: Conns × HTTPInFlight senders posting
	// batches of HTTPBatch; reports come back over upstream connections)
	// or "smpp" (Conns SMPP transceiver binds with Window submit_sm in
	// flight each; SMS and LMS only; the final results come back as
	// deliver_sm receipts on the binds; with Addr, Customer and Secret are
	// the system_id and SMPP password).
	Ingress string
	// HTTPBatch is the messages per POST and HTTPInFlight the POSTs in
	// flight per connection, with Ingress "http".
	HTTPBatch, HTTPInFlight int

	// Metrics, if set, is where the in-process relay registers its
	// metrics, for reading after the run.
	Metrics *metrics.Set
	// Logger receives the in-process relay's logs; nil discards them.
	Logger *slog.Logger

	// Answered and Reported, when set, see every answer to a submit of
	// the upstream ingress (with the submit's client_ref) and every
	// status report, copies included, from several goroutines: for a
	// caller that judges the run message by message, as bench/faults'
	// cluster scenario does.
	Answered func(clientRef string, r *upstreampb.SubmitResp)
	Reported func(*upstreampb.Report)

	// CPUSplit, in process, profiles the measured window and divides
	// cpu_us_per_msg among the relay, the loader and the simulated SMSCs
	// (Result.CPUSplit; see cpusplit.go). It needs the CPU profiler, so it
	// cannot run beside another CPU profile of the process.
	CPUSplit bool

	// Progress, if set, is called about every ProgressEvery with the
	// figures so far, from one goroutine.
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// Mix weighs the products sent; weights need not sum to anything.
type Mix struct {
	SMS, LMS, AlimTalk, FriendTalk int
	// AlimTalkFallback is the share (0..1) of AlimTalk sent with an SMS
	// fallback requested.
	AlimTalkFallback float64
}

func (m Mix) total() int { return m.SMS + m.LMS + m.AlimTalk + m.FriendTalk }

// Kakao reports whether the mix needs the Kakao channel.
func (m Mix) Kakao() bool { return m.AlimTalk+m.FriendTalk > 0 }

// CarrierConfig shapes the simulated carriers.
type CarrierConfig struct {
	Count int // carriers; default 2
	Binds int // sessions per carrier; default 2
	// Window is the relay's submit window per bind; default 64.
	Window int
	// TPS per bind (the relay's limit and the SMSC's); 0 is unlimited.
	TPS int
	// ReceiptDelay between submit_sm_resp and the receipt.
	ReceiptDelay time.Duration
	// FailRatio is the share of receipts that report UNDELIV.
	FailRatio float64
}

// KakaoConfig shapes the in-process relay's simulated Kakao server.
type KakaoConfig struct {
	Latency time.Duration
	// Mix is the result-code mix, "code:weight,…": 1000 is success, 3018
	// (recipient cannot receive KakaoTalk) falls back to SMS/LMS when the
	// message asks for it. Default "1000:1".
	Mix string
}

// DefaultConfig is the bar's scenario: 200,000 SMS over 4 upstream
// connections to 2 carriers × 2 binds, a receipt for every message.
//
// The window is what an upstream gateway keeps in flight per connection.
// Accept latency is bounded below by in flight / throughput (Little's law):
// 4 × 512 submits in flight at 30,000/s wait 68 ms on average, whatever the
// relay does, so a window that large cannot show a 20 ms p99. At 32 per
// connection the relay accepts as fast as it delivers and the acceptance
// latency is the store's group commit.
func DefaultConfig() Config {
	return Config{
		Conns:     4,
		Window:    32,
		Messages:  200_000,
		Mix:       Mix{SMS: 1},
		Sender:    "0212345678",
		SenderKey: "bench-profile",
		Template:  "BENCH_ORDER_01",
		Drain:     60 * time.Second,
		Carriers:  CarrierConfig{Count: 2, Binds: 2, Window: 64},
		Kakao:     KakaoConfig{Latency: 20 * time.Millisecond, Mix: "1000:1"},
		Ingress:   IngressUpstream,

		HTTPBatch:    100,
		HTTPInFlight: 2,

		ProgressEvery: time.Second,
	}
}

// Ingresses the harness can drive.
const (
	IngressUpstream = "upstream"
	IngressHTTP     = "http"
	IngressSMPP     = "smpp"
)

// Errors of the harness.
var (
	ErrConfig = errors.New("bench: bad config")
)

// Validate reports a scenario that cannot run.
func (c *Config) Validate() error {
	var errs []error
	if c.Conns < 1 || c.Window < 1 {
		errs = append(errs, fmt.Errorf("conns %d, window %d: must be positive", c.Conns, c.Window))
	}
	if c.Messages < 0 || c.Duration < 0 || (c.Messages == 0 && c.Duration == 0) {
		errs = append(errs, errors.New("give a message count or a duration"))
	}
	if c.Rate < 0 {
		errs = append(errs, fmt.Errorf("rate %v: must not be negative", c.Rate))
	}
	if c.Mix.total() <= 0 || c.Mix.SMS < 0 || c.Mix.LMS < 0 || c.Mix.AlimTalk < 0 || c.Mix.FriendTalk < 0 {
		errs = append(errs, fmt.Errorf("mix %+v: weights must be non-negative and not all zero", c.Mix))
	}
	switch c.Ingress {
	case "", IngressUpstream:
	case IngressHTTP:
		if c.Addr != "" {
			errs = append(errs, errors.New("ingress http: in process only"))
		}
		if c.HTTPBatch < 1 || c.HTTPBatch > 1000 || c.HTTPInFlight < 1 {
			errs = append(errs, fmt.Errorf("http batch %d (1 to 1000), in flight %d: must be positive", c.HTTPBatch, c.HTTPInFlight))
		}
	case IngressSMPP:
		if len(client.SplitAddrs(c.Addr)) > 1 {
			errs = append(errs, errors.New("ingress smpp: one address only"))
		}
		if c.Mix.Kakao() {
			errs = append(errs, errors.New("ingress smpp carries SMS and LMS only"))
		}
	default:
		errs = append(errs, fmt.Errorf("ingress %q: upstream, http or smpp", c.Ingress))
	}
	if c.Addr != "" && c.CPUSplit {
		errs = append(errs, errors.New("cpu split: in process only (a running relayd's CPU is its own already)"))
	}
	if c.Addr != "" && c.Customer == "" {
		errs = append(errs, errors.New("a remote relay needs a customer and secret"))
	}
	if c.Addr == "" {
		cc := c.Carriers
		if cc.Count < 1 || cc.Binds < 1 || cc.Window < 1 || cc.TPS < 0 {
			errs = append(errs, fmt.Errorf("carriers %+v: count, binds and window must be positive", cc))
		}
		if cc.FailRatio < 0 || cc.FailRatio > 1 {
			errs = append(errs, errors.New("carriers: fail ratio must be in [0,1]"))
		}
		if c.Customers < 0 {
			errs = append(errs, fmt.Errorf("customers %d: must not be negative", c.Customers))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	return nil
}
