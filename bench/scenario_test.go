package bench

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// fasthttp's process-wide janitors (the Kakao client's idle-connection
// cleaner, the simulated server's date updater) outlive any one relay.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"))
}

// TestShortScenario proves the harness end to end on a few thousand
// messages: every accepted message gets one final result, nothing is lost
// or billed twice. It asserts no speed.
func TestShortScenario(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
	}{
		{"sms", func(c *Config) {}},
		{"mixed with failures", func(c *Config) {
			c.Mix = Mix{SMS: 6, LMS: 2, AlimTalk: 1, FriendTalk: 1, AlimTalkFallback: 1}
			c.Kakao = KakaoConfig{Latency: time.Millisecond, Mix: "1000:80,3018:20"}
			c.Carriers.FailRatio = 0.1
			c.Customers = 1 // several connections of one customer
		}},
		{"mixed over the HTTP API", func(c *Config) {
			c.Ingress, c.HTTPBatch = IngressHTTP, 100
			c.Mix = Mix{SMS: 6, LMS: 2, AlimTalk: 1, FriendTalk: 1, AlimTalkFallback: 1}
			c.Kakao = KakaoConfig{Latency: time.Millisecond, Mix: "1000:80,3018:20"}
		}},
		{"smpp ingress, sms and lms with failures", func(c *Config) {
			c.Ingress = IngressSMPP
			c.Mix = Mix{SMS: 3, LMS: 1}
			c.Carriers.FailRatio = 0.1
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Messages, c.Conns, c.Window = 2000, 2, 64
			c.Drain = 15 * time.Second
			tc.mod(&c)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			r, err := Run(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if r.Sent != 2000 || r.Accepted != 2000 {
				t.Errorf("sent %d, accepted %d of 2000", r.Sent, r.Accepted)
			}
			if r.Lost != 0 || r.DoubleBilled != 0 || r.BillingMismatch != 0 {
				t.Errorf("lost %d, double billed %d, billing mismatch %d", r.Lost, r.DoubleBilled, r.BillingMismatch)
			}
			if r.Delivered+r.Failed+r.Expired != r.Accepted {
				t.Errorf("delivered %d + failed %d + expired %d != accepted %d", r.Delivered, r.Failed, r.Expired, r.Accepted)
			}
			var billed int64
			for _, n := range r.Billed {
				billed += n
			}
			if billed != r.Delivered {
				t.Errorf("billed %v, delivered %d", r.Billed, r.Delivered)
			}
			if r.AcceptP99ms <= 0 || r.ReportP50ms <= 0 {
				t.Errorf("no latencies: %+v", r)
			}
			if r.CPUPerMsgUs <= 0 || r.RelayPeakRSSMiB <= 0 || r.AllocsPerMsg <= 0 {
				t.Errorf("no CPU or allocations per message, or peak RSS: %+v", r)
			}
		})
	}
}

// remoteScenario starts an in-process relay with one customer, stopped
// when the test ends, and returns a scenario with that customer's
// credentials and the relay's upstream address, for a test to drive it as
// -addr drives a relayd.
func remoteScenario(t *testing.T) (Config, string) {
	t.Helper()
	c := DefaultConfig()
	c.Customers, c.Conns = 1, 1
	p, err := startInproc(context.Background(), &c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.close(context.Background()) })
	r := DefaultConfig()
	r.Customer, r.Secret = customerID(0), p.secret
	return r, p.d.UpstreamAddr()
}

// TestRemoteMode runs the load against a relay "at an address" (one this
// test starts), as -addr does against relayd: billing is then judged from
// the reports alone.
func TestRemoteMode(t *testing.T) {
	r, addr := remoteScenario(t)
	r.Addr = addr
	r.Messages, r.Conns, r.Window, r.Drain = 1000, 2, 32, 15*time.Second
	r.PID = os.Getpid() // the relay runs in this process: read it through /proc
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != r.Addr || res.Accepted != 1000 || res.Delivered != 1000 || res.Lost != 0 || res.DoubleBilled != 0 {
		t.Errorf("remote run: %+v", res)
	}
	if res.CPUPerMsgUs <= 0 || res.RelayPeakRSSMiB <= 0 {
		t.Errorf("remote run with the relay's pid: CPU per message %v, peak RSS %v", res.CPUPerMsgUs, res.RelayPeakRSSMiB)
	}
	// Two connections of one customer both read its outbox: redelivery
	// is allowed and counted, never billed twice.
	t.Logf("duplicate reports over 2 connections of one customer: %d", res.DuplicateReports)
}

// TestRemoteModeSeveralAddrs: -addr with a list (here the same relay
// twice, as two nodes) drives every address through client.Multi: all
// accepted and delivered, none lost.
func TestRemoteModeSeveralAddrs(t *testing.T) {
	r, addr := remoteScenario(t)
	r.Addr = addr + "," + addr
	r.Messages, r.Conns, r.Window, r.Drain = 500, 1, 32, 15*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 500 || res.Delivered != 500 || res.Lost != 0 || res.DoubleBilled != 0 {
		t.Errorf("run over two addresses: %+v", res)
	}
}

// TestRateCapsOffer: with Rate the loader offers no more than that: 200
// submits at 100/s, a tenth of a second of burst, take at least 1.9 s to
// send, however fast the relay answers.
func TestRateCapsOffer(t *testing.T) {
	c := DefaultConfig()
	c.Messages, c.Conns, c.Window, c.Rate = 200, 2, 64, 100
	c.Drain = 15 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := Run(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Accepted != 200 || r.Lost != 0 {
		t.Errorf("accepted %d of 200, lost %d", r.Accepted, r.Lost)
	}
	if max := c.Rate * 200 / 190; r.AcceptedPerS > max {
		t.Errorf("accepted %.0f/s with rate %v: more than the %.0f/s the rate allows", r.AcceptedPerS, c.Rate, max)
	}
}
