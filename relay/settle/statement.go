package settle

import (
	"fmt"
	"math/bits"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// Billing rules of Art. 7-1 and the application form.
const (
	BillingBusinessDay = 10 // billed on the 10th business day of the next month
	DueBusinessDays    = 20 // due 20 business days after billing
	VATPercent         = 10
)

// RoundingRule states the rounding, in every statement.
const RoundingRule = "supply = floor(sum of count x unit price) in won; VAT = floor(supply x 10%) once per statement; total = supply + VAT"

// Config is the `[settle]` table of the daemon's TOML file.
type Config struct {
	// Prices maps every product name (sms, lms, alimtalk, friendtalk_text,
	// friendtalk_image, payment_alimtalk) to its unit price in won, VAT
	// excluded, with at most two decimals: the prices from the beginning.
	// Change them with a PriceChange, never in place: a month not issued
	// yet is priced again from the configuration.
	Prices map[string]Price `toml:"prices" json:"prices"`
	// PriceChanges are the later prices, each from the first day of a
	// month, for all customers or one.
	PriceChanges []PriceChange `toml:"price_change" json:"price_changes,omitempty"`
	// Holidays are days off added to the built-in calendar, "YYYY-MM-DD":
	// election days not in its table, newly legislated holidays, company
	// days off.
	Holidays []string `toml:"holidays" json:"holidays"`
	// NotHolidays are days off of the built-in calendar that are business
	// days after all (a holiday moved or abolished), "YYYY-MM-DD".
	NotHolidays []string `toml:"not_holidays" json:"not_holidays"`
}

// Validate checks that every product has a price and every holiday parses.
func (c *Config) Validate() error {
	_, err := New(*c)
	return err
}

// Settler makes statements.
type Settler struct {
	prices  map[message.Product]Price // the base prices
	changes []priceChange             // by date
	cal     Calendar
}

// New builds a Settler from its configuration.
func New(cfg Config) (*Settler, error) {
	prices, err := parsePrices(cfg.Prices)
	if err != nil {
		return nil, err
	}
	s := &Settler{prices: prices}
	if s.changes, err = parseChanges(cfg.PriceChanges); err != nil {
		return nil, err
	}
	for _, p := range message.Products {
		if _, ok := s.prices[p]; !ok {
			return nil, fmt.Errorf("%w: no unit price for %s", ErrConfig, p)
		}
	}
	cal, err := NewCalendar(cfg.Holidays, cfg.NotHolidays)
	if err != nil {
		return nil, err
	}
	s.cal = cal
	return s, nil
}

// Calendar returns the business-day calendar.
func (s *Settler) Calendar() Calendar { return s.cal }

// Statement statuses.
const (
	StatusPreview = "preview" // computed now from the counters and the prices in force; may still change
	StatusIssued  = "issued"  // stored when issued; never changes
)

// Statement is one customer's bill for one month.
type Statement struct {
	Customer string `json:"customer"`
	Month    string `json:"month"`  // "YYYY-MM"
	Status   string `json:"status"` // StatusPreview or StatusIssued
	// Set on an issued statement: its version (1, then one more for each
	// reissue), when and by whom, and why it was reissued.
	Version     int        `json:"version,omitempty"`
	IssuedAt    *time.Time `json:"issued_at,omitempty"`
	IssuedBy    string     `json:"issued_by,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	Lines       []Line     `json:"lines"`        // one per product, in message.Products order
	Messages    uint64     `json:"messages"`     // successes in all
	Supply      int64      `json:"supply"`       // 공급가액, won
	VAT         int64      `json:"vat"`          // 부가세, won
	Total       int64      `json:"total"`        // 합계, won
	BillingDate string     `json:"billing_date"` // "YYYY-MM-DD"
	DueDate     string     `json:"due_date"`     // "YYYY-MM-DD"
	Currency    string     `json:"currency"`     // "KRW"
	Rounding    string     `json:"rounding"`     // RoundingRule
}

// Line is one product's successes.
type Line struct {
	Product   string `json:"product"` // message.Product name
	Label     string `json:"label"`   // Korean name
	Count     uint64 `json:"count"`
	UnitPrice Price  `json:"unit_price"` // won, VAT excluded
	Amount    Price  `json:"amount"`     // count × unit price, exact
}

var labels = map[message.Product]string{
	message.ProductSMS:             "SMS",
	message.ProductLMS:             "LMS",
	message.ProductAlimTalk:        "알림톡",
	message.ProductFriendTalkText:  "친구톡(텍스트)",
	message.ProductFriendTalkImage: "친구톡(이미지)",
	message.ProductPaymentAlimTalk: "결제 알림톡",
}

// Statement builds the statement of customer for month ("YYYY-MM") from
// its successes per billed product (the store's MonthCounts).
func (s *Settler) Statement(customer, month string, counts map[message.Product]uint64) (*Statement, error) {
	m, err := time.Parse("2006-01", month)
	if err != nil {
		return nil, fmt.Errorf("%w: month %q: want YYYY-MM", ErrCounts, month)
	}
	for p := range counts {
		if _, ok := s.prices[p]; !ok {
			return nil, fmt.Errorf("%w: count for %s, which is not billed", ErrCounts, p)
		}
	}
	st := &Statement{Customer: customer, Month: month, Status: StatusPreview, Currency: "KRW", Rounding: RoundingRule}
	prices := s.Prices(customer, m)
	var sum Price
	for _, p := range message.Products {
		n, price := counts[p], prices[p]
		hi, lo := bits.Mul64(n, uint64(price))
		if hi != 0 || lo > 1<<62 {
			return nil, fmt.Errorf("%w: %d × %s overflows", ErrCounts, n, price)
		}
		amt := Price(lo)
		sum += amt
		if sum < 0 || sum > 1<<62 {
			return nil, fmt.Errorf("%w: supply amount overflows", ErrCounts)
		}
		st.Messages += n
		st.Lines = append(st.Lines, Line{Product: p.String(), Label: labels[p], Count: n, UnitPrice: price, Amount: amt})
	}
	st.Supply, st.VAT = Tax(sum)
	st.Total = st.Supply + st.VAT
	next := m.AddDate(0, 1, 0)
	bill := s.cal.NthBusinessDay(next.Year(), next.Month(), BillingBusinessDay)
	st.BillingDate = bill.Format(time.DateOnly)
	st.DueDate = s.cal.AddBusinessDays(bill, DueBusinessDays).Format(time.DateOnly)
	return st, nil
}

// Tax applies the rounding rule to an exact sum of line amounts: the
// supply amount is the sum with the fraction of a won truncated, and the
// VAT is 10% of it, truncated.
func Tax(sum Price) (supply, vat int64) {
	supply = sum.Won()
	return supply, supply * VATPercent / 100
}

// Counter is where counts come from: *store.Store.
type Counter interface {
	MonthCounts(customer, month string) (map[message.Product]uint64, error)
}

// FromCounter builds the statement from c's bill-once counters.
func (s *Settler) FromCounter(c Counter, customer, month string) (*Statement, error) {
	if _, err := time.Parse("2006-01", month); err != nil {
		return nil, fmt.Errorf("%w: month %q: want YYYY-MM", ErrCounts, month)
	}
	counts, err := c.MonthCounts(customer, month)
	if err != nil {
		return nil, fmt.Errorf("settle: counts of %s %s: %w", customer, month, err)
	}
	return s.Statement(customer, month, counts)
}
