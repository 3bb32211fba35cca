package settle

import (
	"fmt"
	"slices"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// PriceChange is one `[[settle.price_change]]`: new unit prices from the
// first day of a month on, for every customer or, with Customer, for one
// (a contract price). Products it does not list keep their price.
type PriceChange struct {
	From     string           `toml:"from" json:"from"`                   // "YYYY-MM-DD", the 1st of a month
	Customer string           `toml:"customer" json:"customer,omitempty"` // "": every customer
	Prices   map[string]Price `toml:"prices" json:"prices"`               // product name to its new unit price in won, VAT excluded
	Note     string           `toml:"note" json:"note,omitempty"`         // why, e.g. the contract's reference
}

type priceChange struct {
	from     time.Time
	customer string
	prices   map[message.Product]Price
}

// parsePrices turns product names into products.
func parsePrices(in map[string]Price) (map[message.Product]Price, error) {
	out := make(map[message.Product]Price, len(in))
	for name, p := range in {
		prod, err := message.ParseProduct(name)
		if err != nil || prod == message.ProductAuto {
			return nil, fmt.Errorf("%w: price for unknown product %q", ErrConfig, name)
		}
		if p < 0 {
			return nil, fmt.Errorf("%w: negative price for %s", ErrConfig, name)
		}
		out[prod] = p
	}
	return out, nil
}

// parseChanges checks the price changes and orders them by date.
func parseChanges(in []PriceChange) ([]priceChange, error) {
	out := make([]priceChange, 0, len(in))
	for i, c := range in {
		from, err := time.Parse(time.DateOnly, c.From)
		if err != nil || from.Day() != 1 {
			return nil, fmt.Errorf("%w: price_change %d: from %q: want the first day of a month, YYYY-MM-01 (a month is priced by one price list)", ErrConfig, i+1, c.From)
		}
		if len(c.Prices) == 0 {
			return nil, fmt.Errorf("%w: price_change %d (%s): no prices", ErrConfig, i+1, c.From)
		}
		prices, err := parsePrices(c.Prices)
		if err != nil {
			return nil, fmt.Errorf("price_change %d (%s): %w", i+1, c.From, err)
		}
		out = append(out, priceChange{from: from, customer: c.Customer, prices: prices})
	}
	slices.SortStableFunc(out, func(a, b priceChange) int { return a.from.Compare(b.from) })
	return out, nil
}

// Prices returns the unit prices in force for a customer in the month
// that starts at month: the base prices, changed by every general change
// from that month or before, in date order, then by the customer's own
// changes the same way. A customer's contract price holds until the
// customer's next change, whatever general changes come after it.
func (s *Settler) Prices(customer string, month time.Time) map[message.Product]Price {
	out := make(map[message.Product]Price, len(s.prices))
	for p, v := range s.prices {
		out[p] = v
	}
	apply := func(keep func(priceChange) bool) {
		for _, c := range s.changes {
			if c.from.After(month) {
				break
			}
			if keep(c) {
				for p, v := range c.prices {
					out[p] = v
				}
			}
		}
	}
	apply(func(c priceChange) bool { return c.customer == "" })
	apply(func(c priceChange) bool { return c.customer == customer })
	return out
}
