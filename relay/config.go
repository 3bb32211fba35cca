package relay

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/msgrelay/relay/kakaobiz/kakaotest"
	"github.com/msgrelay/relay/relay/admin"
	templates "github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/httpapi"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/payment"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/relay/settle"
	"github.com/msgrelay/relay/relay/smppserver"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/webhook"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// Config is the daemon's configuration: one TOML file. Each package that
// uses a setting owns its typed part (door.Config, customer.Config,
// route.Config, upstream.Config); this type only gathers them.
type Config struct {
	// DataDir holds the store. Required. It is created 0700, and the relay
	// refuses to start if group or others may use it, unless
	// AllowSharedDataDir (package datadir).
	DataDir            string `toml:"data_dir"`
	AllowSharedDataDir bool   `toml:"allow_shared_data_dir"`
	// Upstream is where upstream gateways connect.
	Upstream UpstreamConfig `toml:"upstream"`
	// SMPPServer is where upstream ESMEs bind over SMPP; no listen, no
	// server.
	SMPPServer smppserver.Config `toml:"smpp_server"`
	// OpsListen serves /metrics, /healthz, /readyz and /status; empty
	// disables it.
	OpsListen string `toml:"ops_listen"`

	Door      door.Config              `toml:"door"`
	Customers []customer.Config        `toml:"customer"`
	Carriers  []dispatch.CarrierConfig `toml:"carrier"`
	Routes    []route.Config           `toml:"route"`
	Dispatch  dispatch.Config          `toml:"dispatch"`
	// Admission bounds the backlog of accepted messages not yet sent:
	// past it, every ingress answers "slow down".
	Admission intake.AdmissionConfig `toml:"admission"`

	// Kakao is the Kakao BizMessage channel; without base_url, Kakao
	// products are refused by routing.
	Kakao dispatch.KakaoConfig `toml:"kakao"`

	// Simulate starts in-process simulated carriers (and, once configured,
	// a simulated Kakao endpoint) for development: a carrier whose addr is
	// "sim" is served by one.
	Simulate SimulateConfig `toml:"simulate"`

	// Admin is the admin API and merchant pages; no listen, no server.
	Admin admin.Config `toml:"admin"`
	// HTTP is the HTTP API beside the upstream protocol; no listen, no
	// server.
	HTTP httpapi.Config `toml:"http"`
	// Webhook delivers the reports of customers with a report_url.
	Webhook webhook.Config `toml:"webhook"`
	// Settle prices the monthly statements.
	Settle settle.Config `toml:"settle"`
	// Templates are the sender profiles' AlimTalk templates
	// (`[[template]]`); the admin API changes them at run time.
	Templates []templates.Template `toml:"template"`
	// Payments are the per-MID payment AlimTalk subscriptions.
	Payments []payment.Subscription `toml:"payment"`
	// PaymentSource is the customer id of the payment system, the only
	// customer that may push payment events (for any subscribed MID);
	// merchants never may.
	PaymentSource string `toml:"payment_source"`
	// RepresentativeNumber is the company's representative number (대표번호),
	// reserved: payment AlimTalk falls back from it and no customer may
	// register it. Default 1588-4954.
	RepresentativeNumber string `toml:"representative_number"`
	// SharedSenders are sender numbers several customers may register;
	// operators mark more at run time (audited).
	SharedSenders []string `toml:"shared_senders"`
	// Retention of personal data.
	Retention RetentionConfig `toml:"retention"`

	// LogFormat is how relayd writes its log on stderr: "text" (the
	// default, key=value) or "json" (one object a line).
	LogFormat string `toml:"log_format"`
	// AccessLog, when set, is a file the relay appends one JSON line to
	// per message that became final: ids, customer, products, state,
	// result, carrier, times, the recipient masked (010****5678), no text.
	AccessLog string `toml:"access_log"`

	// Cluster makes the relay one node of several on NATS JetStream
	// (configs/cluster-dev/README.md); without a node name the relay runs
	// alone, with no NATS.
	Cluster cluster.Config `toml:"cluster"`

	// ShutdownTimeout bounds the drain on SIGTERM. Default 20s.
	ShutdownTimeout Duration `toml:"shutdown_timeout"`

	// Runtime is the Go garbage collector's setting, applied by relayd.
	Runtime RuntimeConfig `toml:"runtime"`

	// emptyPasswords are the carriers whose table says password = "", the
	// only ones CheckSecrets lets bind without a password.
	emptyPasswords map[string]bool
}

// UpstreamConfig is the listener of the upstream protocol.
type UpstreamConfig struct {
	Listen  string `toml:"listen"`   // host:port upstream gateways connect to. Required.
	TLSCert string `toml:"tls_cert"` // PEM certificate chain; with tls_key, the listener speaks TLS
	TLSKey  string `toml:"tls_key"`  // PEM private key of tls_cert

	MaxFrameSize        int      `toml:"max_frame_size"`         // largest frame read, in bytes
	BindTimeout         Duration `toml:"bind_timeout"`           // a connection must bind within this
	IdleTimeout         Duration `toml:"idle_timeout"`           // a connection silent this long is closed
	MaxConns            int      `toml:"max_conns"`              // open connections in total
	MaxConnsPerCustomer int      `toml:"max_conns_per_customer"` // open connections per customer
	MaxInFlight         int      `toml:"max_in_flight"`          // submits read and not yet answered, per connection
}

func (u UpstreamConfig) server() upstream.Config {
	return upstream.Config{
		MaxFrameSize:        u.MaxFrameSize,
		BindTimeout:         u.BindTimeout.D(),
		IdleTimeout:         u.IdleTimeout.D(),
		MaxConns:            u.MaxConns,
		MaxConnsPerCustomer: u.MaxConnsPerCustomer,
		MaxInFlight:         u.MaxInFlight,
	}
}

// SimulateConfig drives the in-process simulated carriers.
type SimulateConfig struct {
	ReceiptDelay Duration `toml:"receipt_delay"` // a simulated carrier sends each receipt this long after the submit
	FailRatio    float64  `toml:"fail_ratio"`    // share of simulated submits whose receipt says undelivered, 0 to 1

	// clock times the simulated carriers' receipts; nil is real time.
	// Tests of this package set it.
	clock smpptest.Clock
}

// Duration is a time.Duration written as "1.5s" in TOML.
type Duration time.Duration

// D is the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalText reads "300ms", "10s", "48h".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// LoadConfig reads and validates a configuration file.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("relay: config: %w", err)
	}
	var c Config
	md, err := toml.Decode(string(b), &c)
	if err != nil {
		return nil, fmt.Errorf("relay: config %s: %w", path, err)
	}
	if c.emptyPasswords, err = explicitEmptyPasswords(string(b)); err != nil {
		return nil, fmt.Errorf("relay: config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		known := ConfigKeys()
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
			if s := didYouMean(keys[i], known); s != "" {
				keys[i] += fmt.Sprintf(" (did you mean %s?)", s)
			}
		}
		return nil, fmt.Errorf("relay: config %s: unknown keys: %s", path, strings.Join(keys, ", "))
	}
	c.setDefaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("relay: config %s: %w", path, err)
	}
	return &c, nil
}

// SetDefaults fills every setting left zero with its default, as LoadConfig
// does; for configurations built in code.
func (c *Config) SetDefaults() { c.setDefaults() }

func (c *Config) setDefaults() {
	if c.Door == (door.Config{}) {
		c.Door = door.DefaultConfig()
	}
	c.Retention.setDefaults()
	c.Kakao.SetDefaults()
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = Duration(20 * time.Second)
	}
	c.Dispatch.SetDefaults()
	c.Cluster.SetDefaults()
	c.Admission.SetDefaults(c.Dispatch.Validity)
	c.Runtime.setDefaults()
	for i := range c.Carriers {
		c.Carriers[i].SetDefaults()
	}
}

// Validate reports every setting that cannot work.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is required"))
	}
	if c.Upstream.Listen == "" {
		errs = append(errs, errors.New("upstream.listen is required"))
	}
	if (c.Upstream.TLSCert == "") != (c.Upstream.TLSKey == "") {
		errs = append(errs, errors.New("upstream: tls_cert and tls_key go together"))
	}
	if err := c.Upstream.server().WithDefaults().Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.SMPPServer.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Door.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Runtime.Validate(); err != nil {
		errs = append(errs, err)
	}
	ids := map[string]bool{}
	for i := range c.Customers {
		cu := &c.Customers[i]
		if err := cu.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("customer %q: %w", cu.ID, err))
		}
		if ids[cu.ID] {
			errs = append(errs, fmt.Errorf("customer %q defined twice", cu.ID))
		}
		ids[cu.ID] = true
	}
	names := map[string]bool{}
	for i := range c.Carriers {
		cc := &c.Carriers[i]
		if err := cc.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("carrier %q: %w", cc.Name, err))
		}
		if names[cc.Name] {
			errs = append(errs, fmt.Errorf("carrier %q defined twice", cc.Name))
		}
		names[cc.Name] = true
	}
	if err := dispatch.ValidateAccounts(c.Carriers); err != nil {
		errs = append(errs, err)
	}
	if len(c.Carriers) > 0 && len(c.Routes) == 0 {
		errs = append(errs, errors.New("carriers need at least one [[route]]"))
	}
	for i := range c.Routes {
		if err := c.Routes[i].Validate(names); err != nil {
			errs = append(errs, fmt.Errorf("route %d: %w", i+1, err))
		}
	}
	if err := c.Dispatch.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Admission.Validate(c.Dispatch.Validity); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validateBusiness()...)
	for _, v := range []interface{ Validate() error }{&c.HTTP, &c.Webhook} {
		if err := v.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.Cluster.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Kakao.Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := kakaotest.ParseMix(c.Kakao.Simulate.Mix); c.Kakao.Simulate.Mix != "" && err != nil {
		errs = append(errs, fmt.Errorf("kakao.simulate.mix: %w", err))
	}
	if c.LogFormat != "" && c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log_format %q: want text or json", c.LogFormat))
	}
	if c.Simulate.FailRatio < 0 || c.Simulate.FailRatio > 1 {
		errs = append(errs, fmt.Errorf("simulate.fail_ratio %v not in [0,1]", c.Simulate.FailRatio))
	}
	return errors.Join(errs...)
}

// Warnings are the settings that work but do not do what a reader of the
// file would expect: `relayd -check-config` prints them, and Start logs
// them. Today: routes that send LMS to a carrier that drops subjects.
func (c *Config) Warnings() []string {
	return dispatch.SubjectWarnings(c.Carriers, c.Routes)
}
