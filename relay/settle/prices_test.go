package settle

import (
	"errors"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/msgrelay/relay/relay/message"
)

const changesTOML = `
[settle]
prices = { sms = 9.9, lms = 29, alimtalk = 7.5, friendtalk_text = 13, friendtalk_image = 19.8, payment_alimtalk = 8 }

[[settle.price_change]]
from = "2027-01-01"
prices = { sms = 20 }

[[settle.price_change]]
from = "2026-12-01"
customer = "acme"
prices = { sms = 8.5, lms = 25 }
note = "contract 2026-117"

[[settle.price_change]]
from = "2027-03-01"
prices = { sms = 21, lms = 31 }
`

// TestPriceChanges: a month is priced with the prices in force during it,
// and a customer's contract price wins over the general list.
func TestPriceChanges(t *testing.T) {
	var cfg struct {
		Settle Config `toml:"settle"`
	}
	if _, err := toml.Decode(changesTOML, &cfg); err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg.Settle)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		customer, month string
		sms, lms        Price
	}{
		{"beta", "2026-11", 990, 2900},
		{"beta", "2026-12", 990, 2900},
		{"beta", "2027-01", 2000, 2900},
		{"beta", "2027-03", 2100, 3100},
		{"acme", "2026-11", 990, 2900},
		{"acme", "2026-12", 850, 2500},
		{"acme", "2027-01", 850, 2500}, // the contract price holds
		{"acme", "2027-03", 850, 2500},
	} {
		st, err := s.Statement(c.customer, c.month, map[message.Product]uint64{message.ProductSMS: 1, message.ProductLMS: 1})
		if err != nil {
			t.Fatal(err)
		}
		if st.Lines[0].UnitPrice != c.sms || st.Lines[1].UnitPrice != c.lms {
			t.Errorf("%s %s: sms %s lms %s, want %s %s", c.customer, c.month, st.Lines[0].UnitPrice, st.Lines[1].UnitPrice, c.sms, c.lms)
		}
		if st.Status != StatusPreview {
			t.Errorf("computed statement is %q", st.Status)
		}
	}
	for name, ch := range map[string]PriceChange{
		"mid-month":       {From: "2027-01-15", Prices: map[string]Price{"sms": 1}},
		"no prices":       {From: "2027-01-01"},
		"unknown product": {From: "2027-01-01", Prices: map[string]Price{"fax": 1}},
	} {
		c := cfg.Settle
		c.PriceChanges = []PriceChange{ch}
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
