package customer

import (
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// MaxSenders is the most sender numbers (발신번호) a customer may register
// (application form; terms Art. 4-4).
const MaxSenders = 10

// Customer is one customer as the relay knows it. Values handed out by a
// [Registry] are immutable: never modify one, ask the registry for a change.
type Customer struct {
	ID   string
	Name string

	// Suspended customers' new messages are refused with SuspendReason
	// (unpaid fees Art. 5-2-3, spoofing Art. 13-3); accepted ones still go.
	Suspended     bool
	SuspendReason string

	// EndDate is the last day of the contract, "YYYY-MM-DD" in KST, or ""
	// while it runs. From the day after, the customer cannot send
	// (Ended), and once suspended with its last statement issued its
	// personal data may be purged (Art. 10-2).
	EndDate string

	Products   []message.Product // products the customer may send (never ProductAuto)
	Senders    []string          // registered sender numbers, digits only, at most MaxSenders
	SenderKeys []string          // Kakao sender profiles (발신프로필) the customer owns
	// Registrations record who registered which sender number, when, and
	// its proof document; a sender without one came from the config file.
	Registrations []Registration
	Advertising   bool // may send advertising FriendTalk

	// Rate is the customer's sustained rate in messages per second and Burst
	// the token bucket's depth. [Load] always sets both; a Customer built
	// by hand with Rate 0 is not rate limited.
	Rate  float64
	Burst int

	// ReportURL, when set, receives the customer's final reports as
	// signed webhooks, instead of its upstream connections.
	ReportURL string

	// SMPPNetworks, when not empty, are the only source networks the
	// customer may bind over SMPP from; SMPPBinds caps its open SMPP binds
	// (0: the server's default).
	SMPPNetworks []netip.Prefix
	SMPPBinds    int

	secret         secretHash
	smppPassword   secretHash   // zero: no SMPP bind
	apiKeys        []apiKeyHash // HTTP API keys
	webhookSecrets []string     // report signing secrets, current first
}

// SMPPFrom reports whether the customer may bind over SMPP from addr.
func (c *Customer) SMPPFrom(addr netip.Addr) bool {
	if len(c.SMPPNetworks) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, p := range c.SMPPNetworks {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Allows reports whether the customer may send product p.
func (c *Customer) Allows(p message.Product) bool {
	for _, q := range c.Products {
		if q == p {
			return true
		}
	}
	return false
}

// Ended reports whether the contract ended before now's day in KST.
func (c *Customer) Ended(now time.Time) bool {
	return c.EndDate != "" && now.In(kst).Format(time.DateOnly) > c.EndDate
}

var kst = time.FixedZone("KST", 9*60*60)

// HasSender reports whether number, after removing '-' and spaces, is one
// of the customer's registered sender numbers. It does not allocate.
func (c *Customer) HasSender(number string) bool {
	for _, s := range c.Senders {
		if EqualNumber(number, s) {
			return true
		}
	}
	return false
}

// HasSenderKey reports whether the customer owns the Kakao sender profile key.
func (c *Customer) HasSenderKey(key string) bool {
	return key != "" && slices.Contains(c.SenderKeys, key)
}

// LogValue logs a customer without its secret hash.
func (c *Customer) LogValue() slog.Value {
	names := make([]string, len(c.Products))
	for i, p := range c.Products {
		names[i] = p.String()
	}
	attrs := []slog.Attr{
		slog.String("id", c.ID),
		slog.String("name", c.Name),
		slog.Bool("suspended", c.Suspended),
		slog.Any("products", names),
		slog.Any("senders", c.Senders),
		slog.Float64("rate", c.Rate),
		slog.Int("burst", c.Burst),
	}
	if c.Suspended {
		attrs = append(attrs, slog.String("suspend_reason", c.SuspendReason))
	}
	return slog.GroupValue(attrs...)
}

// String names the customer; with GoString it keeps fmt from printing the
// secret hash.
func (c *Customer) String() string { return "customer " + c.ID }

// GoString is String, for %#v.
func (c *Customer) GoString() string { return c.String() }

// clone returns a deep copy that a writer may change before publishing it.
func (c *Customer) clone() *Customer {
	d := *c
	d.Products = slices.Clone(c.Products)
	d.Senders = slices.Clone(c.Senders)
	d.Registrations = slices.Clone(c.Registrations)
	d.SenderKeys = slices.Clone(c.SenderKeys)
	d.apiKeys = slices.Clone(c.apiKeys)
	d.webhookSecrets = slices.Clone(c.webhookSecrets)
	d.SMPPNetworks = slices.Clone(c.SMPPNetworks)
	return &d
}

// NormalizeNumber removes '-' and spaces from a phone number. It returns s
// itself, without allocating, when there is nothing to remove.
func NormalizeNumber(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '-' || s[i] == ' ' {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)-n)
	for i := 0; i < len(s); i++ {
		if s[i] != '-' && s[i] != ' ' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// EqualNumber reports whether raw, ignoring '-' and spaces, equals the
// normalised number norm. It does not allocate.
func EqualNumber(raw, norm string) bool {
	j := 0
	for i := 0; i < len(raw); i++ {
		ch := raw[i]
		if ch == '-' || ch == ' ' {
			continue
		}
		if j >= len(norm) || norm[j] != ch {
			return false
		}
		j++
	}
	return j == len(norm) && j > 0
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
