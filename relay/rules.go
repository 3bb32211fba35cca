package relay

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	templates "github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/journal"
	"github.com/msgrelay/relay/relay/optout"
	"github.com/msgrelay/relay/relay/payment"
)

// rules are the door's registries that operators and customers change at
// run time: the AlimTalk templates and the advertising opt-out lists. Each
// keeps its changes in a journal in the data directory
// (templates.jsonl, optout.jsonl), replayed over the configuration at
// start.
type rules struct {
	templates *templates.Registry
	tlog      templateLog
	optOuts   *optout.List
}

// templateLog persists template changes; with no journal yet (while it is
// replayed) it records nothing.
type templateLog struct {
	j     *journal.Journal
	state *runtimeState // in a cluster: the changes go to the shared state instead
}

type templateChange struct {
	Put    *templates.Template `json:"put,omitempty"`
	Remove *templates.Template `json:"remove,omitempty"`
}

func (l *templateLog) TemplateChanged(t *templates.Template, removed bool) error {
	if l.state != nil {
		return l.state.templateChanged(t, removed)
	}
	if l.j == nil {
		return nil
	}
	c := templateChange{Put: t}
	if removed {
		c = templateChange{Remove: &templates.Template{SenderKey: t.SenderKey, Code: t.Code}}
	}
	return l.j.Append(c)
}

// replayTemplateChange applies one record of the template journal through
// put or remove. Removing a template that is not there is no error: the
// configuration the journal is replayed over may have dropped it.
func replayTemplateChange(b []byte, put func(templates.Template) error, remove func(senderKey, code string) error) error {
	var c templateChange
	if err := json.Unmarshal(b, &c); err != nil {
		return err
	}
	if c.Put != nil {
		return put(*c.Put)
	}
	if c.Remove != nil {
		if err := remove(c.Remove.SenderKey, c.Remove.Code); err != nil && !errors.Is(err, templates.ErrNotFound) {
			return err
		}
	}
	return nil
}

func (d *Daemon) loadRules() error {
	r := &rules{}
	reg, err := templates.NewRegistry(d.cfg.Templates, templates.Options{Observer: &r.tlog, Logger: d.log})
	if err != nil {
		return err
	}
	r.templates = reg
	if d.state.clustered { // the shared state bucket keeps the changes
		r.tlog.state = d.state
	} else {
		j, err := journal.Open(filepath.Join(d.cfg.DataDir, "templates.jsonl"), func(b []byte) error {
			return replayTemplateChange(b, reg.Put, reg.Remove)
		})
		if err != nil {
			return err
		}
		r.tlog.j = j
	}
	if r.optOuts, err = d.openOptOuts(filepath.Join(d.cfg.DataDir, "optout.jsonl")); err != nil {
		_ = r.tlog.close()
		return err
	}
	d.rules = r
	return nil
}

// replay replays the run-time template changes through put and remove:
// the journal's, or in a cluster the shared state's.
func (l *templateLog) replay(put func(templates.Template) error, remove func(senderKey, code string) error) error {
	if l.state != nil {
		return l.state.replayTemplates(put, remove)
	}
	return l.j.Replay(func(b []byte) error { return replayTemplateChange(b, put, remove) })
}

func (l *templateLog) close() error {
	if l.j == nil {
		return nil
	}
	return l.j.Close()
}

func (r *rules) close() error {
	if r == nil {
		return nil
	}
	return errors.Join(r.tlog.close(), r.optOuts.Close())
}

// representative is the company's representative number, digits only.
func (c *Config) representative() string {
	if c.RepresentativeNumber == "" {
		return payment.FallbackSender
	}
	return customer.NormalizeNumber(c.RepresentativeNumber)
}

// validateRules checks the `[[template]]` tables: each valid, of a sender
// profile some customer owns, and registering every template a payment
// subscription uses with the subscription's text.
func (c *Config) validateRules() []error {
	var errs []error
	if err := customer.CheckNumbers(c.Customers, []string{c.representative()}, c.SharedSenders); err != nil {
		errs = append(errs, err)
	}
	owned := map[string]bool{}
	for _, cu := range c.Customers {
		for _, k := range cu.SenderKeys {
			owned[k] = true
		}
	}
	registered := map[[2]string]*templates.Template{}
	for i := range c.Templates {
		t := &c.Templates[i]
		if err := t.Validate(); err != nil {
			errs = append(errs, err)
		}
		if !owned[t.SenderKey] {
			errs = append(errs, fmt.Errorf("template %q: no customer owns sender profile %q", t.Code, t.SenderKey))
		}
		registered[[2]string{t.SenderKey, t.Code}] = t
	}
	get := func(key, code string) *templates.Template { return registered[[2]string{key, code}] }
	for _, p := range c.Payments {
		for _, t := range p.Templates {
			if err := paymentTemplateFits(get, p.SenderKey, t); err != nil {
				errs = append(errs, fmt.Errorf("payment %q: %w (add or fix its [[template]])", p.MID, err))
			}
		}
	}
	return errs
}

// paymentTemplateFits checks that a payment subscription's template is
// registered for its sender profile (get looks it up) with the same text
// and no buttons, so the door matches every notice rendered from it.
func paymentTemplateFits(get func(senderKey, code string) *templates.Template, senderKey string, t payment.Template) error {
	reg := get(senderKey, t.Code)
	switch {
	case reg == nil:
		return fmt.Errorf("template %q is not registered for sender profile %q", t.Code, senderKey)
	case reg.Text != t.Text:
		return fmt.Errorf("template %q differs from the registered text %q", t.Code, reg.Text)
	case len(reg.Buttons) > 0:
		return fmt.Errorf("template %q is registered with buttons; payment notices carry none", t.Code)
	}
	return nil
}

// paymentTemplate is the payment registry's check of a subscription put at
// run time against the template registry in force.
func (d *Daemon) paymentTemplate(senderKey string, t payment.Template) error {
	return paymentTemplateFits(d.rules.templates.Get, senderKey, t)
}

// guardTemplates refuses a template change that would break a payment
// subscription rendering it: a removal, another text, or buttons. The
// refusal names every subscription in the way.
func (d *Daemon) guardTemplates(old, next *templates.Template) error {
	if old == nil || d.payments == nil {
		return nil // a new template breaks nothing
	}
	get := func(senderKey, code string) *templates.Template {
		if senderKey == old.SenderKey && code == old.Code {
			return next
		}
		return d.rules.templates.Get(senderKey, code)
	}
	var mids []string
	var first error
	for _, s := range d.payments.All() {
		if s.SenderKey != old.SenderKey {
			continue
		}
		for _, t := range s.Templates {
			if t.Code != old.Code {
				continue
			}
			if err := paymentTemplateFits(get, s.SenderKey, t); err != nil {
				mids = append(mids, s.MID)
				first = cmp.Or(first, err)
				break
			}
		}
	}
	if mids == nil {
		return nil
	}
	verb := "changed"
	if next == nil {
		verb = "removed"
	}
	return fmt.Errorf("%w: template %q of sender profile %q cannot be %s: payment subscription %s renders it (%v); change the subscription first",
		templates.ErrInUse, old.Code, old.SenderKey, verb, strings.Join(mids, ", "), first)
}
