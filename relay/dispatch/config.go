package dispatch

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/msgrelay/relay/kakaobiz"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp/receipt"
	"github.com/msgrelay/relay/store"
)

// Config tunes sending and the result window (the [dispatch] table).
type Config struct {
	// MaxAttempts bounds the submits of one message leg. Default 5.
	MaxAttempts int `toml:"max_attempts"`
	// RetryMin and RetryMax bound the backoff between attempts.
	RetryMin time.Duration `toml:"retry_min"` // the first backoff. Default 200ms.
	RetryMax time.Duration `toml:"retry_max"` // the longest backoff. Default 30s.
	// Validity is how long after its acceptance every message is final,
	// whatever happens to it (never routed, carrier down, retries, Kakao
	// 3005, fallback legs): the deadline set at acceptance. Each submit
	// asks the carrier for the time left as its validity period. Default
	// 47h; at most 48h (the service terms' ceiling), at least 10s in tests.
	Validity time.Duration `toml:"validity"`
	// ExpiryScan is how often messages at their deadline are closed; the
	// scan looks one period ahead. Default 10s.
	ExpiryScan time.Duration `toml:"expiry_scan"`
	// ParkedReceiptTTL is how long a receipt that arrives before its
	// submit_sm_resp waits for the relay to record the id; after it, the
	// receipt is dropped and counted. It is applied only to a message on
	// the same carrier whose submit_sm went out before it arrived. Default
	// 10m; at most 1h: carriers reuse ids.
	ParkedReceiptTTL time.Duration `toml:"parked_receipt_ttl"`
}

// SetDefaults fills every setting left zero with its default.
func (d *Config) SetDefaults() {
	if d.MaxAttempts == 0 {
		d.MaxAttempts = 5
	}
	if d.RetryMin == 0 {
		d.RetryMin = 200 * time.Millisecond
	}
	if d.RetryMax == 0 {
		d.RetryMax = 30 * time.Second
	}
	if d.Validity == 0 {
		d.Validity = 47 * time.Hour
	}
	if d.ExpiryScan == 0 {
		d.ExpiryScan = 10 * time.Second
	}
	if d.ParkedReceiptTTL == 0 {
		d.ParkedReceiptTTL = store.DefaultParkedTTL
	}
}

// Validate reports every setting that cannot work.
func (d *Config) Validate() error {
	var errs []error
	if d.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("dispatch.max_attempts %d < 1", d.MaxAttempts))
	}
	if d.RetryMin > d.RetryMax {
		errs = append(errs, errors.New("dispatch.retry_min > retry_max"))
	}
	if d.Validity <= 0 || d.Validity > message.ResultWindow {
		errs = append(errs, fmt.Errorf("dispatch.validity %v must be positive and at most %v: every message is final within it of its acceptance",
			d.Validity, message.ResultWindow))
	}
	if d.ExpiryScan <= 0 || d.ExpiryScan >= d.Validity {
		errs = append(errs, fmt.Errorf("dispatch.expiry_scan %v must be positive and shorter than validity %v", d.ExpiryScan, d.Validity))
	}
	if d.ParkedReceiptTTL < time.Second || d.ParkedReceiptTTL > time.Hour {
		errs = append(errs, fmt.Errorf("dispatch.parked_receipt_ttl %v must be between 1s and 1h: a parked receipt waits for a submit_sm_resp, and carriers reuse ids",
			d.ParkedReceiptTTL))
	}
	return errors.Join(errs...)
}

// CarrierConfig is one carrier (SMSC) and its binds.
type CarrierConfig struct {
	Name string `toml:"name"` // the carrier's name in routes, metrics, logs and billing. Required.
	// Account names the carrier account this entry binds: one login
	// (system_id) at one SMSC. The SMSC may send a receipt on any bind of
	// the login, so receipts are matched per account, and max_binds and
	// account_tps count every bind of it. Entries that bind one login must
	// give the same account, and agree on max_binds, account_tps,
	// resp_ids and receipt_ids; the messages keep the entry's name. In a
	// cluster, bind slots are leased and receipts passed on per account:
	// every node must give it the same name. Default: the name. Give a
	// second entry the first's name as its account, and the receipts of
	// messages already sent by the first still find them.
	Account string `toml:"account"`
	// Addr is host:port, or "sim" for an in-process simulated SMSC (which
	// the composition root's Dialer provides).
	Addr         string `toml:"addr"`
	SystemID     string `toml:"system_id"`     // the bind's system_id, from the carrier
	Password     string `toml:"password"`      // the bind's password in the file (prefer password_file)
	PasswordEnv  string `toml:"password_env"`  // environment variable holding the password
	PasswordFile string `toml:"password_file"` // file holding the password (trailing space trimmed)
	SystemType   string `toml:"system_type"`   // the bind's system_type, when the carrier wants one
	// Mode is "transceiver" (default) or "transmitter+receiver".
	Mode string `toml:"mode"`
	// Binds is the number of sessions kept to this carrier. Default 1.
	Binds int `toml:"binds"`
	// Window is the requests outstanding per bind. Default 64.
	Window int `toml:"window"`
	// TPS is the submit rate per bind; 0 means unlimited.
	TPS float64 `toml:"tps"`
	// MaxBinds is the most binds the carrier account allows at once, of
	// the kind binds counts (a transceiver, or a transmitter and receiver
	// pair), over every entry of the account. In a cluster, the nodes that
	// configure the account share them: each bind waits for a slot leased from the cluster
	// (cluster.bind_lease_ttl), so that no more than max_binds are bound
	// whatever each node's binds. Alone, the relay keeps min(binds,
	// max_binds); when several of its entries share the account, each of
	// their binds waits for one of the max_binds slots of the relay's
	// own. 0: no quota.
	MaxBinds int `toml:"max_binds"`
	// AccountTPS is the submit rate the account allows over all its
	// binds, every entry's: each bind gets an equal share, and at most tps. With
	// max_binds in a cluster, the share is by the binds the whole cluster
	// holds, re-split as slots are taken and given back. 0: none.
	AccountTPS          float64       `toml:"account_tps"`
	ResponseTimeout     time.Duration `toml:"response_timeout"`      // wait for a response this long; 0: the SMPP default
	EnquireLinkInterval time.Duration `toml:"enquire_link_interval"` // enquire_link when idle this long; 0: the SMPP default
	// DataCoding of SMS/LMS text: "ksc5601" (0x0E, EUC-KR, default) or "ucs2".
	DataCoding string `toml:"data_coding"`
	// RespIDs and ReceiptIDs say how the carrier writes message ids in
	// submit_sm_resp and in receipts (receipt.ParseIDFormat).
	RespIDs    receipt.IDFormat `toml:"resp_ids"`
	ReceiptIDs receipt.IDFormat `toml:"receipt_ids"`
	// TimeZone of the dates in the carrier's receipts. Default Asia/Seoul.
	TimeZone string `toml:"time_zone"`
	// ReceiptClockSkew is how far the carrier's clock may be from the
	// relay's, the time a submit_sm takes to reach the carrier included.
	// A receipt's dates are read only when its done date is within it of
	// the receipt's arrival; then a receipt whose submit date is further
	// than this from the submit of the message holding its id is another
	// message's (carriers reuse ids). Default 2m, at most 1h.
	ReceiptClockSkew time.Duration `toml:"receipt_clock_skew"`
	// LMSSubject says how the carrier takes an LMS subject: the vendor TLV
	// tag its onboarding sheet names ("0x1500"; 0x1400 to 0x3fff), or
	// "none", when the subject is dropped. Unset is none, except on a
	// simulated carrier (addr = "sim"), which carries it in 0x1500.
	// -check-config warns of a route that sends LMS to a carrier that
	// drops subjects.
	LMSSubject string `toml:"lms_subject"`
}

// SetDefaults fills every setting left zero with its default.
func (cc *CarrierConfig) SetDefaults() {
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
	if cc.ReceiptClockSkew == 0 {
		cc.ReceiptClockSkew = 2 * time.Minute
	}
	if cc.Mode == "" {
		cc.Mode = "transceiver"
	}
	if cc.LMSSubject == "" && cc.Addr == "sim" {
		cc.LMSSubject = SimSubject
	}
}

// Validate reports every setting that cannot work.
func (cc *CarrierConfig) Validate() error {
	var errs []error
	if cc.Name == "" {
		errs = append(errs, errors.New("name is required"))
	} else if len(cc.Name) > message.MaxIndexed {
		// The store keys receipts by carrier name: a longer one could take none.
		errs = append(errs, fmt.Errorf("name is %d bytes, over the %d the store keys receipts by", len(cc.Name), message.MaxIndexed))
	}
	if len(cc.Account) > message.MaxIndexed {
		errs = append(errs, fmt.Errorf("account is %d bytes, over the %d the store keys receipts by", len(cc.Account), message.MaxIndexed))
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
	if cc.MaxBinds < 0 || cc.AccountTPS < 0 {
		errs = append(errs, fmt.Errorf("max_binds %d, account_tps %v: must not be negative", cc.MaxBinds, cc.AccountTPS))
	}
	if _, err := cc.SubjectTag(); err != nil {
		errs = append(errs, err)
	}
	if _, err := time.LoadLocation(cc.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("time_zone: %w", err))
	}
	if cc.ReceiptClockSkew < 0 || cc.ReceiptClockSkew > time.Hour {
		errs = append(errs, fmt.Errorf("receipt_clock_skew %v: want 0 to 1h", cc.ReceiptClockSkew))
	}
	return errors.Join(errs...)
}

// AccountName is the carrier account the entry binds: Account, or Name.
func (cc *CarrierConfig) AccountName() string {
	if cc.Account != "" {
		return cc.Account
	}
	return cc.Name
}

// Accounts maps the name of every carrier whose account is not its name
// to the account (store.Options.Accounts).
func Accounts(carriers []CarrierConfig) map[string]string {
	m := map[string]string{}
	for i := range carriers {
		if a := carriers[i].AccountName(); a != carriers[i].Name {
			m[carriers[i].Name] = a
		}
	}
	return m
}

// ValidateAccounts reports entries that bind one login of one SMSC (the
// same addr and system_id) under different accounts, whose receipts would
// be lost on the other's binds, and entries of one account that disagree
// on what the account is: its quota, its rate or how it writes ids.
// Simulated carriers (addr "sim") are each their own SMSC.
func ValidateAccounts(carriers []CarrierConfig) error {
	var errs []error
	type login struct{ addr, systemID string }
	byLogin := map[login]*CarrierConfig{}
	byAccount := map[string]*CarrierConfig{}
	for i := range carriers {
		cc := &carriers[i]
		if cc.Addr != "sim" {
			l := login{cc.Addr, cc.SystemID}
			if o := byLogin[l]; o == nil {
				byLogin[l] = cc
			} else if o.AccountName() != cc.AccountName() {
				errs = append(errs, fmt.Errorf("carriers %q (account %q) and %q (account %q) share system_id %s at %s: give them the same account",
					o.Name, o.AccountName(), cc.Name, cc.AccountName(), cc.SystemID, cc.Addr))
			}
		}
		o := byAccount[cc.AccountName()]
		if o == nil {
			byAccount[cc.AccountName()] = cc
			continue
		}
		for _, d := range [...]struct {
			key     string
			one, of any
		}{
			{"max_binds", o.MaxBinds, cc.MaxBinds},
			{"account_tps", o.AccountTPS, cc.AccountTPS},
			{"resp_ids", o.RespIDs, cc.RespIDs},
			{"receipt_ids", o.ReceiptIDs, cc.ReceiptIDs},
		} {
			if d.one != d.of {
				errs = append(errs, fmt.Errorf("carriers %q and %q share account %q but not %s (%v and %v): an account has one",
					o.Name, cc.Name, cc.AccountName(), d.key, d.one, d.of))
			}
		}
	}
	return errors.Join(errs...)
}

// ResolvePassword reads the carrier password from the file, environment or
// config, in that order of preference.
func (cc *CarrierConfig) ResolvePassword() (string, error) {
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

// KakaoConfig is the Kakao BizMessage channel.
type KakaoConfig struct {
	// BaseURL of the BizMessage API, or "sim" for an in-process simulated
	// server (the dev configuration, which the composition root's Dialer
	// provides). Empty disables the channel.
	BaseURL          string `toml:"base_url"`
	ClientID         string `toml:"client_id"`          // OAuth client id from Kakao's dealer
	ClientSecret     string `toml:"client_secret"`      // OAuth client secret in the file (prefer client_secret_file)
	ClientSecretEnv  string `toml:"client_secret_env"`  // environment variable holding the client secret
	ClientSecretFile string `toml:"client_secret_file"` // file holding the client secret
	// MaxConns bounds the connections (and calls in flight) to the API.
	MaxConns       int           `toml:"max_conns"`
	RequestTimeout time.Duration `toml:"request_timeout"` // one HTTP request's deadline
	// Workers send Kakao messages; separate from the SMPP binds' workers,
	// so a slow Kakao cannot slow SMS. Default 2 × max_conns.
	Workers int `toml:"workers"`
	// PollEvery is how often a 3005 (sent, receipt unconfirmed) is looked
	// up until its final result. Default 1m.
	PollEvery time.Duration `toml:"poll_every"`
	// Simulate shapes the in-process server when base_url is "sim"; the
	// composition root reads and checks it.
	Simulate KakaoSimConfig `toml:"simulate"`
}

// KakaoSimConfig shapes the simulated Kakao server.
type KakaoSimConfig struct {
	Latency time.Duration `toml:"latency"` // the simulated server answers after this long
	// Mix is "code:weight,…", e.g. "1000:95,3018:5".
	Mix string `toml:"mix"`
}

// SetDefaults fills every setting left zero with its default.
func (k *KakaoConfig) SetDefaults() {
	if k.MaxConns == 0 {
		k.MaxConns = kakaobiz.DefaultMaxConns
	}
	if k.Workers == 0 {
		k.Workers = 2 * k.MaxConns
	}
	if k.PollEvery == 0 {
		k.PollEvery = time.Minute
	}
}

// Validate reports every setting that cannot work.
func (k *KakaoConfig) Validate() error {
	if k.BaseURL == "" {
		return nil
	}
	if k.BaseURL != "sim" && !strings.HasPrefix(k.BaseURL, "http://") && !strings.HasPrefix(k.BaseURL, "https://") {
		return fmt.Errorf("kakao.base_url %q: want http(s)://… or sim", k.BaseURL)
	}
	if k.Workers < 1 || k.MaxConns < 1 {
		return errors.New("kakao: workers and max_conns must be positive")
	}
	return nil
}

// ResolveSecret reads the client secret from the file, environment or
// config, in that order of preference.
func (k *KakaoConfig) ResolveSecret() (string, error) {
	switch {
	case k.ClientSecretFile != "":
		b, err := os.ReadFile(k.ClientSecretFile)
		if err != nil {
			return "", fmt.Errorf("kakao: client_secret_file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	case k.ClientSecretEnv != "":
		v, ok := os.LookupEnv(k.ClientSecretEnv)
		if !ok {
			return "", fmt.Errorf("kakao: client_secret_env %s is not set", k.ClientSecretEnv)
		}
		return v, nil
	}
	return k.ClientSecret, nil
}
