package relay

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/payment"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/relay/settle"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/smpp/receipt"
)

// Config is the daemon's configuration: one TOML file. Each package that
// uses a setting owns its typed part (door.Config, customer.Config,
// route.Config, upstream.Config); this type only gathers them.
type Config struct {
	// DataDir holds the store. Required.
	DataDir string `toml:"data_dir"`
	// Upstream is where upstream gateways connect.
	Upstream UpstreamConfig `toml:"upstream"`
	// Ops serves /metrics, /healthz and /readyz; empty disables it.
	OpsListen string `toml:"ops_listen"`

	Door      door.Config       `toml:"door"`
	Customers []customer.Config `toml:"customer"`
	Carriers  []CarrierConfig   `toml:"carrier"`
	Routes    []route.Config    `toml:"route"`
	Dispatch  DispatchConfig    `toml:"dispatch"`

	// Kakao is the Kakao BizMessage channel; without base_url, Kakao
	// products are refused by routing.
	Kakao KakaoConfig `toml:"kakao"`

	// Simulate starts in-process simulated carriers (and, once configured,
	// a simulated Kakao endpoint) for development: a carrier whose addr is
	// "sim" is served by one.
	Simulate SimulateConfig `toml:"simulate"`

	// Admin is the admin API and merchant pages; no listen, no server.
	Admin admin.Config `toml:"admin"`
	// Settle prices the monthly statements.
	Settle settle.Config `toml:"settle"`
	// Payments are the per-MID payment AlimTalk subscriptions.
	Payments []payment.Subscription `toml:"payment"`
	// PaymentSource is the customer id of the payment system, the only
	// customer that may push payment events (for any subscribed MID);
	// merchants never may.
	PaymentSource string `toml:"payment_source"`
	// Retention of personal data.
	Retention RetentionConfig `toml:"retention"`

	// ShutdownTimeout bounds the drain on SIGTERM. Default 20s.
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
}

// UpstreamConfig is the listener of the upstream protocol.
type UpstreamConfig struct {
	Listen  string `toml:"listen"`
	TLSCert string `toml:"tls_cert"` // PEM files; both or neither
	TLSKey  string `toml:"tls_key"`

	MaxFrameSize        int      `toml:"max_frame_size"`
	BindTimeout         Duration `toml:"bind_timeout"`
	IdleTimeout         Duration `toml:"idle_timeout"`
	MaxConns            int      `toml:"max_conns"`
	MaxConnsPerCustomer int      `toml:"max_conns_per_customer"`
	MaxInFlight         int      `toml:"max_in_flight"`
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

// CarrierConfig is one carrier (SMSC) and its binds.
type CarrierConfig struct {
	Name string `toml:"name"`
	// Addr is host:port, or "sim" for an in-process simulated SMSC.
	Addr         string `toml:"addr"`
	SystemID     string `toml:"system_id"`
	Password     string `toml:"password"`
	PasswordEnv  string `toml:"password_env"`
	PasswordFile string `toml:"password_file"`
	SystemType   string `toml:"system_type"`
	// Mode is "transceiver" (default) or "transmitter+receiver".
	Mode string `toml:"mode"`
	// Binds is the number of sessions kept to this carrier. Default 1.
	Binds int `toml:"binds"`
	// Window is the requests outstanding per bind. Default 64.
	Window int `toml:"window"`
	// TPS is the submit rate per bind; 0 means unlimited.
	TPS                 float64  `toml:"tps"`
	ResponseTimeout     Duration `toml:"response_timeout"`
	EnquireLinkInterval Duration `toml:"enquire_link_interval"`
	// DataCoding of SMS/LMS text: "ksc5601" (0x0E, EUC-KR, default) or "ucs2".
	DataCoding string `toml:"data_coding"`
	// RespIDs and ReceiptIDs say how the carrier writes message ids in
	// submit_sm_resp and in receipts (receipt.ParseIDFormat).
	RespIDs    receipt.IDFormat `toml:"resp_ids"`
	ReceiptIDs receipt.IDFormat `toml:"receipt_ids"`
	// TimeZone of the dates in the carrier's receipts. Default Asia/Seoul.
	TimeZone string `toml:"time_zone"`
	// LMSSubjectTag is the vendor TLV the carrier takes an LMS subject in;
	// 0 sends no subject.
	LMSSubjectTag uint16 `toml:"lms_subject_tag"`
}

// DispatchConfig tunes sending and the result window.
type DispatchConfig struct {
	// MaxAttempts bounds the submits of one message leg. Default 5.
	MaxAttempts int `toml:"max_attempts"`
	// RetryMin and RetryMax bound the backoff between attempts.
	RetryMin Duration `toml:"retry_min"`
	RetryMax Duration `toml:"retry_max"`
	// Validity is the validity period asked of the carrier; it must leave
	// room for the final receipt inside the 48-hour window. Default 47h.
	Validity Duration `toml:"validity"`
	// ExpiryScan is how often overdue messages are closed. Default 10s.
	ExpiryScan Duration `toml:"expiry_scan"`
}

// SimulateConfig drives the in-process simulated carriers.
type SimulateConfig struct {
	ReceiptDelay Duration `toml:"receipt_delay"`
	FailRatio    float64  `toml:"fail_ratio"`
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
	var c Config
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return nil, fmt.Errorf("relay: config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
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
	c.Kakao.setDefaults()
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = Duration(20 * time.Second)
	}
	d := &c.Dispatch
	if d.MaxAttempts == 0 {
		d.MaxAttempts = 5
	}
	if d.RetryMin == 0 {
		d.RetryMin = Duration(200 * time.Millisecond)
	}
	if d.RetryMax == 0 {
		d.RetryMax = Duration(30 * time.Second)
	}
	if d.Validity == 0 {
		d.Validity = Duration(47 * time.Hour)
	}
	if d.ExpiryScan == 0 {
		d.ExpiryScan = Duration(10 * time.Second)
	}
	for i := range c.Carriers {
		cc := &c.Carriers[i]
		if cc.Binds == 0 {
			cc.Binds = 1
		}
		if cc.Window == 0 {
			cc.Window = 64
		}
		if cc.DataCoding == "" {
			cc.DataCoding = "ksc5601"
		}
		if cc.TimeZone == "" {
			cc.TimeZone = "Asia/Seoul"
		}
		if cc.Mode == "" {
			cc.Mode = "transceiver"
		}
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
	if err := c.Door.Validate(); err != nil {
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
		if err := cc.validate(); err != nil {
			errs = append(errs, fmt.Errorf("carrier %q: %w", cc.Name, err))
		}
		if names[cc.Name] {
			errs = append(errs, fmt.Errorf("carrier %q defined twice", cc.Name))
		}
		names[cc.Name] = true
	}
	if len(c.Carriers) > 0 && len(c.Routes) == 0 {
		errs = append(errs, errors.New("carriers need at least one [[route]]"))
	}
	for i := range c.Routes {
		if err := c.Routes[i].Validate(names); err != nil {
			errs = append(errs, fmt.Errorf("route %d: %w", i+1, err))
		}
	}
	d := c.Dispatch
	if d.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("dispatch.max_attempts %d < 1", d.MaxAttempts))
	}
	if d.RetryMin > d.RetryMax {
		errs = append(errs, errors.New("dispatch.retry_min > retry_max"))
	}
	if d.Validity.D() <= 0 || d.Validity.D() >= message.ResultWindow {
		errs = append(errs, fmt.Errorf("dispatch.validity %v must be positive and leave room for a receipt inside the %v window",
			d.Validity.D(), message.ResultWindow))
	}
	errs = append(errs, c.validateBusiness()...)
	if err := c.Kakao.validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Simulate.FailRatio < 0 || c.Simulate.FailRatio > 1 {
		errs = append(errs, fmt.Errorf("simulate.fail_ratio %v not in [0,1]", c.Simulate.FailRatio))
	}
	return errors.Join(errs...)
}

func (cc *CarrierConfig) validate() error {
	var errs []error
	if cc.Name == "" {
		errs = append(errs, errors.New("name is required"))
	}
	if cc.Addr == "" {
		errs = append(errs, errors.New("addr is required (host:port, or sim)"))
	}
	if cc.SystemID == "" && cc.Addr != "sim" {
		errs = append(errs, errors.New("system_id is required"))
	}
	n := 0
	for _, s := range []string{cc.Password, cc.PasswordEnv, cc.PasswordFile} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		errs = append(errs, errors.New("give at most one of password, password_env, password_file"))
	}
	switch cc.Mode {
	case "transceiver", "transmitter+receiver":
	default:
		errs = append(errs, fmt.Errorf("mode %q: want transceiver or transmitter+receiver", cc.Mode))
	}
	switch cc.DataCoding {
	case "ksc5601", "ucs2":
	default:
		errs = append(errs, fmt.Errorf("data_coding %q: want ksc5601 or ucs2", cc.DataCoding))
	}
	if cc.Binds < 1 || cc.Window < 1 || cc.TPS < 0 {
		errs = append(errs, fmt.Errorf("binds %d, window %d, tps %v: must be positive", cc.Binds, cc.Window, cc.TPS))
	}
	if _, err := time.LoadLocation(cc.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("time_zone: %w", err))
	}
	return errors.Join(errs...)
}

// password resolves the carrier password from the file, environment or
// config, in that order of preference.
func (cc *CarrierConfig) password() (string, error) {
	switch {
	case cc.PasswordFile != "":
		b, err := os.ReadFile(cc.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("carrier %q: password_file: %w", cc.Name, err)
		}
		return strings.TrimSpace(string(b)), nil
	case cc.PasswordEnv != "":
		v, ok := os.LookupEnv(cc.PasswordEnv)
		if !ok {
			return "", fmt.Errorf("carrier %q: password_env %s is not set", cc.Name, cc.PasswordEnv)
		}
		return v, nil
	}
	return cc.Password, nil
}
