package relay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/payment"
	"github.com/msgrelay/relay/relay/settle"
	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// RetentionConfig says how long personal data is kept (Art. 10-2): after
// PersonalData, the text and recipient number of a final message are purged;
// billing counters and an anonymised sending record stay (Art. 5-6).
type RetentionConfig struct {
	// PersonalData is how long after its final result a message keeps its
	// text and recipient. Default 90 days.
	PersonalData Duration `toml:"personal_data"`
	// Every is how often the purge runs. Default 1h.
	Every Duration `toml:"every"`
}

func (r *RetentionConfig) setDefaults() {
	if r.PersonalData == 0 {
		r.PersonalData = Duration(90 * 24 * time.Hour)
	}
	if r.Every == 0 {
		r.Every = Duration(time.Hour)
	}
}

func (c *Config) validateBusiness() []error {
	var errs []error
	if c.Admin.Listen != "" {
		if err := c.Admin.Validate(); err != nil {
			errs = append(errs, err)
		}
		if err := c.Settle.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("settle (the admin API produces statements): %w", err))
		}
	}
	mids := map[string]bool{}
	keys := map[string][]string{} // sender profiles by customer
	for _, cu := range c.Customers {
		keys[cu.ID] = cu.SenderKeys
	}
	if _, ok := keys[c.PaymentSource]; c.PaymentSource != "" && !ok {
		errs = append(errs, fmt.Errorf("payment_source %q is not a customer", c.PaymentSource))
	}
	for i := range c.Payments {
		p := &c.Payments[i]
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("payment %q: %w", p.MID, err))
		}
		if owned, ok := keys[p.Customer]; !ok || !slices.Contains(owned, p.SenderKey) {
			errs = append(errs, fmt.Errorf("payment %q: customer %q does not exist or does not own sender profile %q", p.MID, p.Customer, p.SenderKey))
		}
		if mids[p.MID] {
			errs = append(errs, fmt.Errorf("payment %q defined twice", p.MID))
		}
		mids[p.MID] = true
	}
	errs = append(errs, c.validateRules()...)
	if c.Retention.PersonalData.D() < 0 || c.Retention.Every.D() <= 0 {
		errs = append(errs, errors.New("retention: personal_data and every must be positive"))
	}
	return errs
}

func (d *Daemon) loadPayments() error {
	subs := d.state.applyPayments(d.cfg.Payments)
	reg, err := payment.NewRegistry(subs, payment.Options{Observer: d.state, Logger: d.log, Owner: d.ownsSenderKey,
		Templates: d.paymentTemplate, FallbackSender: d.cfg.representative()})
	if err != nil {
		return err
	}
	d.payments = reg
	d.rules.templates.SetGuard(d.guardTemplates)
	return nil
}

// ownsSenderKey checks that a payment subscription's customer exists and
// owns its sender profile.
func (d *Daemon) ownsSenderKey(customerID, key string) error {
	c := d.reg.Get(customerID)
	if c == nil {
		return fmt.Errorf("no customer %q", customerID)
	}
	if !c.HasSenderKey(key) {
		return fmt.Errorf("customer %q does not own sender profile %q", customerID, key)
	}
	return nil
}

// openPayments builds the path payment events take: expanded into messages
// that pass the same door and are accepted like any other.
func (d *Daemon) openPayments(dc *door.Checker) error {
	var sources []string
	if d.cfg.PaymentSource != "" {
		sources = []string{d.cfg.PaymentSource}
	}
	d.paySubmit = &payment.Submitter{
		Registry: d.payments,
		Sources:  sources,
		Store:    checkedAccepter{d.intake},
		Check: func(m *message.Message) error {
			c := d.reg.Get(m.Customer)
			dec, r := dc.Decide(c, door.Request{
				Product: m.Product, Sender: m.Sender, Recipient: m.Recipient, Text: m.Text,
				Title: m.Subject, Kakao: m.Kakao, Fallback: m.Fallback, Truncate: m.Truncate, Payment: true,
			}, d.opts.Now())
			if r != nil {
				return r
			}
			m.Fallback = dec.Fallback // stored as the door decided it
			return nil
		},
	}
	return nil
}

// checkedAccepter is the accept path for messages the payment package
// already checked at the door.
type checkedAccepter struct{ in *intake.Intake }

func (a checkedAccepter) Accept(ctx context.Context, m *message.Message) (message.ID, bool, error) {
	return a.in.AcceptChecked(ctx, m)
}

// AcceptAll takes an event's messages in one batch: one synced write and,
// on a cluster node, their client references claimed at once.
func (a checkedAccepter) AcceptAll(ctx context.Context, ms []*message.Message) ([]message.ID, []bool, []error) {
	out := make([]intake.Result, len(ms))
	a.in.AcceptCheckedBatch(ctx, ms, out)
	ids, dups, errs := make([]message.ID, len(ms)), make([]bool, len(ms)), make([]error, len(ms))
	for i, r := range out {
		ids[i], dups[i], errs[i] = r.ID, r.Duplicate, r.Err
	}
	return ids, dups, errs
}

// PaymentEvent answers a payment event: only a payment source (the payment
// system) may push one, and only for a subscribed MID.
func (in *upstreamIngress) PaymentEvent(ctx context.Context, s upstream.Session, ev *upstreampb.PaymentEvent) *upstreampb.PaymentEventResp {
	if in.payments == nil {
		return &upstreampb.PaymentEventResp{Status: upstreampb.Status_INVALID_REQUEST, Reason: "payment AlimTalk is not configured"}
	}
	if in.accept.Closing() {
		return &upstreampb.PaymentEventResp{Status: upstreampb.Status_SHUTTING_DOWN, Reason: "the relay is shutting down"}
	}
	return in.payments.AnswerFrom(ctx, s.Customer(), ev)
}

func (d *Daemon) listenAdmin() error {
	if d.cfg.Admin.Listen == "" {
		return nil
	}
	tokens, err := admin.LoadTokens(d.cfg.Admin.Tokens, nil)
	if err != nil {
		return err
	}
	settler, err := settle.New(d.cfg.Settle)
	if err != nil {
		return err
	}
	var audit admin.AuditLog
	if d.cfg.Admin.AuditFile != "" {
		fa, err := admin.OpenFileAudit(d.cfg.Admin.AuditFile)
		if err != nil {
			return err
		}
		d.audit = fa
		audit = fa
	}
	srv, err := admin.New(admin.Options{
		Config: d.cfg.Admin, Tokens: tokens, Store: d.statementStore(), Customers: d.reg, Payments: d.payments,
		Templates: d.rules.templates, OptOuts: d.rules.optOuts, Ops: operations{d},
		Settler: settler, Issuable: d.issuable(), Audit: audit, Logger: d.log, Metrics: d.set, Now: d.opts.Now,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", d.cfg.Admin.Listen)
	if err != nil {
		return err
	}
	d.admin, d.adminLn = srv, ln
	ctx, cancel := context.WithCancel(context.Background())
	d.stopAdmin = cancel
	d.background.Go(func() { _ = srv.Serve(ctx, ln) })
	d.log.Info("relay: admin listening", "addr", ln.Addr().String())
	return nil
}

// AdminAddr is the admin API and merchant pages, "" if disabled.
func (d *Daemon) AdminAddr() string {
	if d.adminLn == nil {
		return ""
	}
	return d.adminLn.Addr().String()
}

// PurgeNow runs the retention purge once.
func (d *Daemon) PurgeNow(ctx context.Context) int {
	start := time.Now()
	n, err := d.st.PurgeBefore(ctx, d.opts.Now().Add(-d.cfg.Retention.PersonalData.D()))
	if err != nil {
		d.log.Error("relay: retention purge", "err", err)
	}
	if n > 0 {
		d.log.Info("relay: purged personal data of old messages", "count", n, "took", time.Since(start))
	}
	return n
}
