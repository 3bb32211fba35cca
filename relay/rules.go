package relay

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

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
type templateLog struct{ j *journal.Journal }

type templateChange struct {
	Put    *templates.Template `json:"put,omitempty"`
	Remove *templates.Template `json:"remove,omitempty"`
}

func (l *templateLog) TemplateChanged(t *templates.Template, removed bool) error {
	if l.j == nil {
		return nil
	}
	c := templateChange{Put: t}
	if removed {
		c = templateChange{Remove: &templates.Template{SenderKey: t.SenderKey, Code: t.Code}}
	}
	return l.j.Append(c)
}

func (d *Daemon) loadRules() error {
	r := &rules{}
	reg, err := templates.NewRegistry(d.cfg.Templates, templates.Options{Observer: &r.tlog, Logger: d.log})
	if err != nil {
		return err
	}
	j, err := journal.Open(filepath.Join(d.cfg.DataDir, "templates.jsonl"), func(b []byte) error {
		var c templateChange
		if err := json.Unmarshal(b, &c); err != nil {
			return err
		}
		if c.Put != nil {
			return reg.Put(*c.Put)
		}
		if c.Remove != nil {
			if err := reg.Remove(c.Remove.SenderKey, c.Remove.Code); err != nil && !errors.Is(err, templates.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.templates, r.tlog.j = reg, j
	if r.optOuts, err = optout.Open(filepath.Join(d.cfg.DataDir, "optout.jsonl")); err != nil {
		j.Close()
		return err
	}
	d.rules = r
	return nil
}

func (r *rules) close() error {
	if r == nil {
		return nil
	}
	return errors.Join(r.tlog.j.Close(), r.optOuts.Close())
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
	texts := map[[2]string]string{}
	for i := range c.Templates {
		t := &c.Templates[i]
		if err := t.Validate(); err != nil {
			errs = append(errs, err)
		}
		if !owned[t.SenderKey] {
			errs = append(errs, fmt.Errorf("template %q: no customer owns sender profile %q", t.Code, t.SenderKey))
		}
		texts[[2]string{t.SenderKey, t.Code}] = t.Text
	}
	for _, p := range c.Payments {
		for _, t := range p.Templates {
			text, ok := texts[[2]string{p.SenderKey, t.Code}]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("payment %q: template %q is not registered for sender profile %q (add a [[template]])", p.MID, t.Code, p.SenderKey))
			case text != t.Text:
				errs = append(errs, fmt.Errorf("payment %q: template %q differs from the registered template's text", p.MID, t.Code))
			}
		}
	}
	return errs
}
