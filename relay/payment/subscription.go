package payment

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxRecipients is the most merchant recipient numbers per MID.
const MaxRecipients = 20

// MaxTemplateChars is the AlimTalk limit a template text must keep to
// before its placeholders are filled.
const MaxTemplateChars = 1000

// Audience is who a notice goes to.
type Audience string

// Audiences.
const (
	AudienceMerchant Audience = "merchant" // 가맹점 대상
	AudienceBuyer    Audience = "buyer"    // 구매자 대상
)

// Notice is what a message tells its audience.
type Notice string

// Notices.
const (
	NoticeApproval       Notice = "approval"        // 승인완료 (deposit for a virtual account)
	NoticeCancellation   Notice = "cancellation"    // 취소완료
	NoticeVAccountIssued Notice = "vaccount_issued" // 가상계좌 채번, buyer only

	// NoticeVAccountDeposited tells of a deposit into a virtual account
	// (입금완료) with the account's details; an audience without it hears
	// of a deposit by its approval notice.
	NoticeVAccountDeposited Notice = "vaccount_deposited"
	// NoticeVAccountExpired tells that the deposit due date passed unpaid
	// (입금기한 만료), buyer only.
	NoticeVAccountExpired Notice = "vaccount_expired"
)

// vaccountNotices are the notices about a virtual account; their templates
// must show every one of vaccountPlaceholders.
var (
	vaccountNotices      = []Notice{NoticeVAccountIssued, NoticeVAccountDeposited, NoticeVAccountExpired}
	vaccountPlaceholders = []string{"bank", "account", "holder", "amount", "due"}
)

// Subscription is the payment AlimTalk setup of one MID: a `[[payment]]`
// table of the daemon's TOML file. Values handed out by a [Registry] are
// immutable.
type Subscription struct {
	MID       string `toml:"mid" json:"mid"`               // the payment system's merchant id
	Customer  string `toml:"customer" json:"customer"`     // billed customer
	SenderKey string `toml:"sender_key" json:"sender_key"` // Kakao sender profile (발신프로필)

	Merchant MerchantAudience `toml:"merchant" json:"merchant"`
	Buyer    BuyerAudience    `toml:"buyer" json:"buyer"`

	Templates []Template `toml:"template" json:"templates"`
}

// MerchantAudience chooses the merchant's notices and where they go.
type MerchantAudience struct {
	Events     []Notice `toml:"events" json:"events"`         // subset of approval, cancellation, vaccount_deposited
	Recipients []string `toml:"recipients" json:"recipients"` // 1..20 mobile numbers when Events is set
}

// BuyerAudience chooses the buyer's notices; they go to the event's buyer
// number.
type BuyerAudience struct {
	Events []Notice `toml:"events" json:"events"` // subset of approval, cancellation and the vaccount_ notices
}

// Template is the approved AlimTalk template of one (audience, notice).
type Template struct {
	Audience Audience `toml:"audience" json:"audience"` // merchant or buyer
	Notice   Notice   `toml:"event" json:"event"`       // the payment event it announces
	Code     string   `toml:"code" json:"code"`         // Kakao template code
	Text     string   `toml:"text" json:"text"`         // with #{...} placeholders
}

// Subscribed reports whether the audience gets notice n.
func (s *Subscription) Subscribed(a Audience, n Notice) bool {
	switch a {
	case AudienceMerchant:
		return slices.Contains(s.Merchant.Events, n)
	case AudienceBuyer:
		return slices.Contains(s.Buyer.Events, n)
	}
	return false
}

// Template returns the template of (a, n), or nil.
func (s *Subscription) Template(a Audience, n Notice) *Template {
	for i := range s.Templates {
		if s.Templates[i].Audience == a && s.Templates[i].Notice == n {
			return &s.Templates[i]
		}
	}
	return nil
}

// Normalize removes '-' and spaces from the recipient numbers, in place.
func (s *Subscription) Normalize() {
	for i, r := range s.Merchant.Recipients {
		s.Merchant.Recipients[i] = normalizeNumber(r)
	}
}

// Validate checks every rule of a subscription. Errors wrap ErrConfig and
// name the rule broken.
func (s *Subscription) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: MID %q: "+format, append([]any{ErrConfig, s.MID}, args...)...)
	}
	if s.MID == "" {
		return fmt.Errorf("%w: a subscription needs a MID", ErrConfig)
	}
	if s.Customer == "" {
		return bad("no customer")
	}
	if s.SenderKey == "" {
		return bad("no sender profile key")
	}
	if err := checkEvents(s.Merchant.Events, NoticeApproval, NoticeCancellation, NoticeVAccountDeposited); err != nil {
		return bad("merchant events: %v", err)
	}
	if err := checkEvents(s.Buyer.Events, NoticeApproval, NoticeCancellation, NoticeVAccountIssued,
		NoticeVAccountDeposited, NoticeVAccountExpired); err != nil {
		return bad("buyer events: %v", err)
	}
	if s.Subscribed(AudienceBuyer, NoticeCancellation) && !s.Subscribed(AudienceBuyer, NoticeApproval) {
		return bad("rule: buyer cancellation requires buyer approval to be subscribed too")
	}
	n := len(s.Merchant.Recipients)
	if n > MaxRecipients {
		return fmt.Errorf("%w: MID %q: rule: %d merchant recipients, at most %d: %w", ErrConfig, s.MID, n, MaxRecipients, ErrTooManyRecipients)
	}
	if len(s.Merchant.Events) > 0 && n == 0 {
		return bad("rule: merchant events need at least 1 recipient number")
	}
	seen := make(map[string]bool, n)
	for _, r := range s.Merchant.Recipients {
		num := normalizeNumber(r)
		if !validMobile(num) {
			return bad("merchant recipient %q is not a Korean mobile number", r)
		}
		if seen[num] {
			return bad("merchant recipient %s listed twice", num)
		}
		seen[num] = true
	}
	for i := range s.Templates {
		t := &s.Templates[i]
		if !s.Subscribed(t.Audience, t.Notice) {
			return bad("template %d for %s/%s, which is not subscribed", i, t.Audience, t.Notice)
		}
		if s.Template(t.Audience, t.Notice) != t {
			return bad("two templates for %s/%s", t.Audience, t.Notice)
		}
		if t.Code == "" || t.Text == "" {
			return bad("template %s/%s needs a code and a text", t.Audience, t.Notice)
		}
		if c := utf8.RuneCountInString(t.Text); c > MaxTemplateChars {
			return bad("template %s/%s is %d characters, at most %d", t.Audience, t.Notice, c, MaxTemplateChars)
		}
		if err := checkPlaceholders(t.Text); err != nil {
			return bad("template %s/%s: %v", t.Audience, t.Notice, err)
		}
		if slices.Contains(vaccountNotices, t.Notice) {
			for _, p := range vaccountPlaceholders {
				if !strings.Contains(t.Text, "#{"+p+"}") {
					return bad("template %s/%s must show #{%s}: a virtual-account notice shows the bank, account, holder, amount and due date", t.Audience, t.Notice, p)
				}
			}
		}
	}
	for _, a := range []Audience{AudienceMerchant, AudienceBuyer} {
		evs := s.Merchant.Events
		if a == AudienceBuyer {
			evs = s.Buyer.Events
		}
		for _, n := range evs {
			if s.Template(a, n) == nil {
				return bad("%s/%s is subscribed but has no template", a, n)
			}
		}
	}
	return nil
}

func checkEvents(evs []Notice, allowed ...Notice) error {
	for i, e := range evs {
		if !slices.Contains(allowed, e) {
			return fmt.Errorf("%q is not one of %v", e, allowed)
		}
		if slices.Contains(evs[:i], e) {
			return fmt.Errorf("%q listed twice", e)
		}
	}
	return nil
}

// clone returns a deep copy a writer may change.
func (s *Subscription) clone() *Subscription {
	d := *s
	d.Merchant.Events = slices.Clone(s.Merchant.Events)
	d.Merchant.Recipients = slices.Clone(s.Merchant.Recipients)
	d.Buyer.Events = slices.Clone(s.Buyer.Events)
	d.Templates = slices.Clone(s.Templates)
	return &d
}

// normalizeNumber removes '-' and spaces; it returns s itself when there
// are none.
func normalizeNumber(s string) string {
	if !strings.ContainsAny(s, "- ") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '-' && s[i] != ' ' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// validMobile accepts Korean mobile numbers, digits only: 010 and the
// legacy 011, 016, 017, 018, 019 prefixes, 10 or 11 digits.
func validMobile(s string) bool {
	if len(s) < 10 || len(s) > 11 || !strings.HasPrefix(s, "01") {
		return false
	}
	switch s[2] {
	case '0', '1', '6', '7', '8', '9':
	default:
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
