package door

import (
	"cmp"
	"errors"
	"math"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/VictoriaMetrics/metrics"

	"github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/message"
)

// Request is what a customer asked to send: the submit's fields as the
// upstream protocol carries them, before anything is normalised.
type Request struct {
	// ClientRef is the client's idempotency key; "" has none. The door
	// checks only that the store can keep it.
	ClientRef string
	Product   message.Product // may be ProductAuto
	Sender    string          // sender number; '-' and spaces allowed
	Recipient string          // Korean mobile number, in any accepted form
	Text      string
	Subject   string        // LMS subject
	Title     string        // AlimTalk title (Kakao's emphasised title)
	Kakao     message.Kakao // sender key, template code, image, ad flag
	Fallback  message.Fallback
	Truncate  bool // a fallback may be cut to its limit instead of refused
	// Receipts is which final results the submitter wants a delivery
	// receipt of (SMPP's registered_delivery); the door does not check it.
	Receipts message.Receipts
	// NotBefore is when the submitter wants it sent (SMPP's
	// schedule_delivery_time); zero or past: at once. Expires is its own
	// validity (SMPP's validity_period); zero: the relay's. Both are
	// checked by CheckTimes; the night rules of advertising apply at the
	// later of acceptance and NotBefore.
	NotBefore, Expires time.Time
	// Payment marks a payment AlimTalk the relay built from a payment
	// event; product payment AlimTalk passes only with it, so no customer
	// submits one (with its fallback from the company's number) directly.
	Payment bool
}

// Options are a Checker's collaborators.
type Options struct {
	// Metrics receives relay_door_refused_total{rule} and
	// relay_door_passed_total{product}; nil means a private set.
	Metrics *metrics.Set
	// OptOuts, if set, is the customers' advertising opt-out lists (080
	// 수신거부): an advertisement to a listed number is refused (OPTED_OUT).
	OptOuts OptOuts
	// Templates, if set, is the AlimTalk template registry: an AlimTalk
	// must name one of its sender profile's templates and match it
	// (TEMPLATE_MISMATCH). The daemon always sets it.
	Templates Templates
	// Reserved are numbers no customer may send from (the company's
	// representative number, digits only): a message from one is refused
	// as SENDER_NOT_REGISTERED with a reason saying whose number it is.
	Reserved []string
	// Validity is how long after acceptance a message must be final, the
	// store's: a message scheduled later than that is refused. Zero is
	// message.ResultWindow.
	Validity time.Duration
}

// Templates matches an AlimTalk against its sender profile's template;
// *alimtalk.Registry implements it.
type Templates interface {
	Match(senderKey, code, text string, buttons []alimtalk.Button) error
}

// OptOuts answers whether a recipient (normalised: digits only, 010…)
// has opted out of a customer's advertising. It must be safe for
// concurrent use and should not block.
type OptOuts interface {
	OptedOut(customer, recipient string) bool
}

// Checker applies the door's rules. It is safe for concurrent use.
type Checker struct {
	cfg       atomic.Pointer[Config] // replaced whole by SetConfig
	optOuts   OptOuts
	templates Templates
	reserved  []string
	buckets   limiters
	refused   map[string]*metrics.Counter
	passed    [message.ProductAuto + 1]*metrics.Counter
	validity  time.Duration // Options.Validity
}

// MetricHelp is the help text of every family this package makes, for the
// HELP lines of the exposition.
var MetricHelp = map[string]string{
	"relay_door_refused_total": "Messages refused at the door, by the rule they broke.",
	"relay_door_passed_total":  "Messages that passed the door's checks, by product.",
}

// New makes a Checker; zero limits in cfg take their defaults.
func New(cfg Config, opts Options) (*Checker, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	set := opts.Metrics
	if set == nil {
		set = metrics.NewSet()
	}
	k := &Checker{optOuts: opts.OptOuts, templates: opts.Templates, reserved: opts.Reserved, refused: make(map[string]*metrics.Counter, len(Rules)),
		validity: cmp.Or(opts.Validity, message.ResultWindow)}
	k.cfg.Store(&cfg)
	for _, r := range Rules {
		k.refused[r] = set.GetOrCreateCounter(`relay_door_refused_total{rule="` + r + `"}`)
	}
	for _, p := range message.Products {
		k.passed[p] = set.GetOrCreateCounter(`relay_door_passed_total{product="` + p.String() + `"}`)
	}
	return k, nil
}

// Config returns the limits in force.
func (k *Checker) Config() Config { return *k.limits() }

func (k *Checker) limits() *Config { return k.cfg.Load() }

// SetConfig replaces the limits for the next request (a configuration
// reload); zero limits take their defaults. A config that fails Validate
// changes nothing. The customers' token buckets are kept.
func (k *Checker) SetConfig(cfg Config) error {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	k.cfg.Store(&cfg)
	return nil
}

// Decision is what the door decided for a request that passes: what is
// stored with the message.
type Decision struct {
	Product  message.Product  // never ProductAuto
	Fallback message.Fallback // never FallbackAuto: the leg a Kakao failure sends
}

// Check applies the door's rules, in the order of the package doc, to req
// from customer c (nil if the connection is not authenticated) at now. It
// returns the product to store (never ProductAuto), or the first rule req
// breaks. A message that passes takes one token from c's bucket.
//
// Check does not normalise: store the sender with
// [customer.NormalizeNumber] and the recipient with [NormalizeRecipient].
func (k *Checker) Check(c *customer.Customer, req Request, now time.Time) (message.Product, *Refusal) {
	d, r := k.Decide(c, req, now)
	return d.Product, r
}

// Decide is Check that also returns the fallback to store with the
// message, decided by [FallbackLeg].
func (k *Checker) Decide(c *customer.Customer, req Request, now time.Time) (Decision, *Refusal) {
	p, r := k.check(c, &req, now)
	if r != nil {
		if ctr := k.refused[r.Rule]; ctr != nil {
			ctr.Inc()
		}
		return Decision{}, r
	}
	k.passed[p].Inc()
	return Decision{Product: p, Fallback: req.Fallback}, nil
}

func (k *Checker) check(c *customer.Customer, req *Request, now time.Time) (message.Product, *Refusal) {
	if c == nil {
		return 0, refuse(RuleUnauthenticated, "", "", "the connection has not authenticated")
	}
	if c.Suspended {
		return 0, refuse(RuleCustomerSuspended, c.SuspendReason, "",
			"customer %s is suspended: %s", c.ID, c.SuspendReason)
	}
	if c.Ended(now) {
		return 0, refuse(RuleCustomerSuspended, c.EndDate, "",
			"customer %s's contract ended on %s", c.ID, c.EndDate)
	}
	if r := checkStorable(req); r != nil {
		return 0, r
	}
	if r := checkTimes(req, now, k.validity); r != nil {
		return 0, r
	}
	p := req.Product
	switch {
	case p == message.ProductAuto:
		if !c.Allows(message.ProductSMS) && !c.Allows(message.ProductLMS) {
			return 0, notAllowed(c, p)
		}
	case p == message.ProductUnknown || p > message.ProductAuto:
		return 0, refuse(RuleInvalidRequest, p.String(), "", "unknown product %s", p).about("product")
	case !c.Allows(p):
		return 0, notAllowed(c, p)
	case p == message.ProductPaymentAlimTalk && !req.Payment:
		return 0, refuse(RuleProductNotAllowed, p.String(), "",
			"%s is sent only from the payment system's payment events, not submitted", p).about("product")
	}
	if req.Text == "" {
		return 0, refuse(RuleMissingField, "text", "", "the message text is empty").about("text")
	}
	// The text's own UTF-8 is checked while it is measured, in one pass.
	if !utf8.ValidString(req.Subject) {
		return 0, invalidUTF8("subject")
	}
	if !utf8.ValidString(req.Title) {
		return 0, invalidUTF8("title")
	}
	lim := k.limits() // one set of limits for the whole request, whatever a reload does meanwhile
	var r *Refusal
	sendAt := now // the night rules judge when it goes out
	if req.NotBefore.After(now) {
		sendAt = req.NotBefore
	}
	if p.Kakao() {
		r = k.checkKakao(c, req, p, sendAt, lim)
	} else {
		p, r = k.checkSMPP(c, req, p, sendAt, lim)
	}
	if r != nil {
		return 0, r
	}
	if !k.buckets.allow(c, now) {
		return 0, k.throttled(c, now)
	}
	return p, nil
}

// checkSMPP checks an SMS, LMS or auto request and resolves auto.
func (k *Checker) checkSMPP(c *customer.Customer, req *Request, p message.Product, now time.Time, lim *Config) (message.Product, *Refusal) {
	n, err := euckrLen(req.Text)
	if err != nil {
		return 0, unencodable("text", "text", req.Text, err)
	}
	explicit := p
	if p == message.ProductAuto {
		switch {
		case n <= lim.SMSBytes && c.Allows(message.ProductSMS):
			p = message.ProductSMS
		case c.Allows(message.ProductLMS):
			p = message.ProductLMS
		default:
			return 0, refuse(RuleProductNotAllowed, itoa(n), itoa(lim.SMSBytes),
				"auto: text is %d EUC-KR bytes, over the SMS limit %d, and customer %s may not send LMS", n, lim.SMSBytes, c.ID).
				about("product").measured(n, lim.SMSBytes)
		}
	}
	if req.Fallback != message.FallbackNone {
		return 0, refuse(RuleInvalidRequest, req.Fallback.String(), "", "a fallback applies to Kakao products only, not %s", p).about("fallback")
	}
	if r := k.checkSender(c, req.Sender); r != nil {
		return 0, r
	}
	if r := checkRecipient(req.Recipient); r != nil {
		return 0, r
	}
	if p == message.ProductSMS {
		if n > lim.SMSBytes {
			return 0, tooLong("text", "SMS text", n, lim.SMSBytes, "EUC-KR bytes")
		}
	} else {
		if n > lim.LMSBytes {
			return 0, tooLong("text", "LMS text", n, lim.LMSBytes, "EUC-KR bytes")
		}
		if req.Subject == "" && explicit == message.ProductLMS && !lim.LMSSubjectOptional {
			return 0, refuse(RuleMissingField, "subject", "", "an LMS needs a subject").about("subject")
		}
		sn, err := euckrLen(req.Subject)
		if err != nil {
			return 0, unencodable("subject", "subject", req.Subject, err)
		}
		if sn > lim.LMSSubjectBytes {
			return 0, tooLong("subject", "LMS subject", sn, lim.LMSSubjectBytes, "EUC-KR bytes")
		}
	}
	if req.IsAd() {
		if r := k.checkAd(c, req); r != nil {
			return 0, r
		}
		if !AdSMSAllowed(now) {
			return 0, nightRefusal("no advertising SMS/LMS is sent", now, "21:00")
		}
	}
	return p, nil
}

// checkKakao checks an AlimTalk or FriendTalk request.
func (k *Checker) checkKakao(c *customer.Customer, req *Request, p message.Product, now time.Time, lim *Config) *Refusal {
	key := req.Kakao.SenderKey
	if key == "" {
		return refuse(RuleMissingField, "sender_key", "", "%s needs a sender profile (sender key)", p).about("sender_key")
	}
	if !c.HasSenderKey(key) {
		return refuse(RuleSenderNotRegistered, key, "",
			"sender profile %q is not registered for customer %s", key, c.ID).about("sender_key")
	}
	if r := checkRecipient(req.Recipient); r != nil {
		return r
	}
	limit := lim.KakaoChars
	if p == message.ProductFriendTalkImage {
		limit = lim.FriendTalkImageChars
	}
	n, ok := countRunes(req.Text)
	if !ok {
		return invalidUTF8("text")
	}
	if n > limit {
		return tooLong("text", p.String()+" text", n, limit, "characters")
	}
	buttons, err := alimtalk.ParseButtons(req.Kakao.Buttons)
	if err != nil {
		var be *alimtalk.ButtonsError
		errors.As(err, &be)
		return refuse(RuleInvalidRequest, firstRunes(req.Kakao.Buttons, 40), "", "%s", err).about(be.Field)
	}
	switch p {
	case message.ProductAlimTalk, message.ProductPaymentAlimTalk:
		if req.Kakao.TemplateCode == "" {
			return refuse(RuleMissingField, "template_code", "", "%s needs a template code", p).about("template_code")
		}
		if n := utf8.RuneCountInString(req.Title); n > lim.AlimTalkTitleChars {
			return tooLong("title", "AlimTalk title", n, lim.AlimTalkTitleChars, "characters")
		}
		if req.Kakao.Ad {
			return refuse(RuleAd, "ad", "", "AlimTalk is informational only and cannot carry advertising (Art. 2-4)").about("ad")
		}
		if IsAdText(req.Text) {
			return refuse(RuleAd, firstRunes(req.Text, 8), "", "AlimTalk is informational only and cannot carry advertising (Art. 2-4); the text opens as an advertisement").about("text")
		}
		if r := k.checkTemplate(req, buttons); r != nil {
			return r
		}
	case message.ProductFriendTalkText:
		if req.Kakao.ImageURL != "" {
			return refuse(RuleInvalidRequest, "image_url", "", "a text FriendTalk carries no image; send friendtalk_image").about("image_url")
		}
	case message.ProductFriendTalkImage:
		if req.Kakao.ImageURL == "" {
			return refuse(RuleMissingField, "image_url", "", "an image FriendTalk needs exactly 1 image").about("image_url")
		}
		if !validImageURL(req.Kakao.ImageURL) {
			return refuse(RuleInvalidRequest, req.Kakao.ImageURL, "1",
				"an image FriendTalk takes exactly 1 image, as one http(s) URL").about("image_url")
		}
	}
	if req.IsAd() {
		if r := k.checkAd(c, req); r != nil {
			return r
		}
		if !AdFriendTalkAllowed(now) {
			return nightRefusal("Kakao takes no advertising FriendTalk", now, "20:50")
		}
	}
	return k.checkFallback(c, req, p, lim)
}

// checkFallback checks that the SMS/LMS leg a Kakao failure would send can
// be sent: allowed, from a registered number, and decided by [FallbackLeg],
// the rule the dispatcher applies when Kakao fails. It stores the decision
// in req.Fallback: auto becomes the product it resolves to.
func (k *Checker) checkFallback(c *customer.Customer, req *Request, p message.Product, lim *Config) *Refusal {
	if req.Fallback == message.FallbackNone {
		return nil
	}
	leg, _, r := FallbackLeg(*lim, c, req.Fallback, req.Text, req.Truncate)
	if r != nil {
		return r
	}
	// Payment AlimTalk falls back from the company's fixed number.
	if p != message.ProductPaymentAlimTalk {
		if r := k.checkSender(c, req.Sender); r != nil {
			r.Reason = "fallback: " + r.Reason
			r.Field = "fallback"
			return r
		}
	}
	if leg == message.ProductSMS {
		req.Fallback = message.FallbackSMS
	} else {
		req.Fallback = message.FallbackLMS
	}
	return nil
}

// SetRateShare sets the part of every customer's rate and burst this
// relay enforces, in (0, 1]; 1 (the default) is all of it. In a cluster
// each live node takes an equal part, so that the customer's rate holds
// across the cluster.
func (k *Checker) SetRateShare(share float64) { k.buckets.setShare(share) }

// RateShare is the part of every customer's rate this relay enforces.
func (k *Checker) RateShare() float64 {
	if s := math.Float64frombits(k.buckets.share.Load()); s > 0 {
		return s
	}
	return 1
}

func (k *Checker) throttled(c *customer.Customer, now time.Time) *Refusal {
	rateText := strconv.FormatFloat(c.Rate, 'g', -1, 64) + " messages/s (burst " + itoa(c.Burst) + ")"
	if r, burst := k.buckets.limit(c); r != c.Rate {
		rateText += ", of which this node takes " + strconv.FormatFloat(r, 'f', 1, 64) + "/s (burst " + itoa(burst) + ")"
	}
	r := refuse(RuleThrottled, "", rateText, "customer %s exceeds its rate of %s", c.ID, rateText)
	r.Max = int64(math.Ceil(c.Rate))
	r.RetryAfter = max(k.buckets.wait(c, now), time.Millisecond)
	return r
}

// checkTemplate matches an AlimTalk against its registered template.
func (k *Checker) checkTemplate(req *Request, buttons []alimtalk.Button) *Refusal {
	if k.templates == nil {
		return nil
	}
	code := req.Kakao.TemplateCode
	err := k.templates.Match(req.Kakao.SenderKey, code, req.Text, buttons)
	if err == nil {
		return nil
	}
	var m *alimtalk.MismatchError
	if errors.As(err, &m) {
		r := refuse(RuleTemplateMismatch, itoa(m.Pos), "", "%s", m).about(m.Field)
		r.Measured = int64(m.Pos)
		return r
	}
	return refuse(RuleTemplateMismatch, code, "", "%v", err).about("template_code")
}
