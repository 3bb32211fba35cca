package settle

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/msgrelay/relay/relay/message"
)

const cfgTOML = `
[settle]
prices = { sms = 9.9, lms = "29", alimtalk = 7.5, friendtalk_text = 13, friendtalk_image = "19.80", payment_alimtalk = 8 }
holidays = ["2026-12-25", "2027-01-01", "2027-02-08", "2027-02-09"]
`

func settler(t *testing.T) *Settler {
	t.Helper()
	var cfg struct {
		Settle Config `toml:"settle"`
	}
	if _, err := toml.Decode(cfgTOML, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Settle.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg.Settle)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParsePrice(t *testing.T) {
	for in, want := range map[string]Price{"0": 0, "9.9": 990, "9.90": 990, "8.4": 840, "10": 1000, "0.05": 5, "1234.5": 123450} {
		got, err := ParsePrice(in)
		if err != nil || got != want {
			t.Errorf("ParsePrice(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "9.999", "-1", "1.", ".5", "abc", "1e3"} {
		if _, err := ParsePrice(in); !errors.Is(err, ErrConfig) {
			t.Errorf("ParsePrice(%q) err = %v", in, err)
		}
	}
	if s := Price(990).String(); s != "9.90" {
		t.Fatalf("String = %q", s)
	}
}

func TestConfigRefused(t *testing.T) {
	full := map[string]Price{"sms": 1, "lms": 1, "alimtalk": 1, "friendtalk_text": 1, "friendtalk_image": 1, "payment_alimtalk": 1}
	missing := map[string]Price{"sms": 1}
	unknown := map[string]Price{"fax": 1}
	for name, cfg := range map[string]Config{
		"missing price":   {Prices: missing},
		"unknown product": {Prices: unknown},
		"bad holiday":     {Prices: full, Holidays: []string{"2027/01/01"}},
	} {
		if err := cfg.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestArithmetic(t *testing.T) {
	s := settler(t)
	st, err := s.Statement("acme", "2026-11", map[message.Product]uint64{
		message.ProductSMS:      1000, // 9,900.00
		message.ProductLMS:      100,  // 2,900.00
		message.ProductAlimTalk: 333,  // 2,497.50
	})
	if err != nil {
		t.Fatal(err)
	}
	// 15,297.50 → supply 15,297 (fraction truncated); VAT 1,529.7 → 1,529.
	if st.Supply != 15297 || st.VAT != 1529 || st.Total != 16826 || st.Messages != 1433 {
		t.Fatalf("supply %d vat %d total %d messages %d", st.Supply, st.VAT, st.Total, st.Messages)
	}
	if len(st.Lines) != 6 || st.Lines[2].Amount != 249750 || st.Lines[2].Label != "알림톡" {
		t.Fatalf("lines %+v", st.Lines)
	}
	if _, err := s.Statement("acme", "2026-11", map[message.Product]uint64{message.ProductAuto: 1}); !errors.Is(err, ErrCounts) {
		t.Fatalf("auto counted: %v", err)
	}
	if _, err := s.Statement("acme", "2026-13", nil); !errors.Is(err, ErrCounts) {
		t.Fatalf("bad month: %v", err)
	}
	if _, err := s.Statement("acme", "2026-11", map[message.Product]uint64{message.ProductSMS: 1 << 62}); !errors.Is(err, ErrCounts) {
		t.Fatalf("overflow: %v", err)
	}
}

func TestVATRounding(t *testing.T) {
	for _, c := range []struct {
		sum              Price
		supply, vat, tot int64
	}{
		{0, 0, 0, 0},
		{999, 9, 0, 9},    // 9.99 won: fraction cut, VAT 0.9 → 0
		{1000, 10, 1, 11}, // exactly 1 won of VAT
		{1900, 19, 1, 20}, // VAT 1.9 → 1, never rounded up
		{1999, 19, 1, 20}, // 19.99 → 19
		{2000, 20, 2, 22}, //
		{9999900, 99999, 9999, 109998},
		{10000000, 100000, 10000, 110000},
	} {
		supply, vat := Tax(c.sum)
		if supply != c.supply || vat != c.vat || supply+vat != c.tot {
			t.Errorf("Tax(%s) = %d, %d; want %d, %d", c.sum, supply, vat, c.supply, c.vat)
		}
	}
	// VAT is taken once per statement, not per line: three lines of 9.9 won
	// each would give 0 VAT per line, but 29 won of supply gives 2.
	s := settler(t)
	st, err := s.Statement("x", "2026-11", map[message.Product]uint64{message.ProductSMS: 3})
	if err != nil || st.Supply != 29 || st.VAT != 2 || st.Total != 31 {
		t.Fatalf("3 SMS: %+v %v", st, err)
	}
}

func TestBillingDates(t *testing.T) {
	s := settler(t)
	for _, c := range []struct{ month, bill, due string }{
		// Dec 2026: 1st is a Tuesday, no holiday before the 14th. Due: 20
		// business days skipping Christmas and 1 Jan → 13 Jan.
		{"2026-11", "2026-12-14", "2027-01-13"},
		// Jan 2027: 1 Jan (Fri) holiday, 2-3 weekend → 10th is 15 Jan. Due
		// skips Seollal (8-9 Feb configured) → 16 Feb.
		{"2026-12", "2027-01-15", "2027-02-16"},
		// Feb 2027: 3·1절 is Monday 1 March; due skips Buddha's Birthday
		// (13 May) but not 근로자의 날 (a Saturday).
		{"2027-02", "2027-03-15", "2027-04-12"},
	} {
		st, err := s.Statement("acme", c.month, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.BillingDate != c.bill || st.DueDate != c.due {
			t.Errorf("%s: billing %s due %s; want %s %s", c.month, st.BillingDate, st.DueDate, c.bill, c.due)
		}
	}
	// Without 1 January the same month bills a day earlier.
	plain, _ := NewCalendar(nil, []string{"2027-01-01"})
	if d := plain.NthBusinessDay(2027, time.January, 10).Format(time.DateOnly); d != "2027-01-14" {
		t.Errorf("no holidays: %s", d)
	}
	// A month starting on a weekend: Aug 2026 starts on a Saturday.
	if d := plain.NthBusinessDay(2026, time.August, 1).Format(time.DateOnly); d != "2026-08-03" {
		t.Errorf("first business day of Aug 2026: %s", d)
	}
}

func TestOutput(t *testing.T) {
	s := settler(t)
	st, err := s.Statement("acme", "2026-11", map[message.Product]uint64{message.ProductPaymentAlimTalk: 7, message.ProductFriendTalkImage: 3})
	if err != nil {
		t.Fatal(err)
	}
	var jb bytes.Buffer
	if err := st.WriteJSON(&jb); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Supply int64 `json:"supply"`
		VAT    int64 `json:"vat"`
		Total  int64 `json:"total"`
		Lines  []struct {
			Product   string  `json:"product"`
			UnitPrice float64 `json:"unit_price"`
		} `json:"lines"`
	}
	if err := json.Unmarshal(jb.Bytes(), &back); err != nil {
		t.Fatalf("%v\n%s", err, jb.String())
	}
	// 7 × 8 + 3 × 19.80 = 56 + 59.40 = 115.40 → 115, VAT 11
	if back.Supply != 115 || back.VAT != 11 || back.Total != 126 || back.Lines[4].UnitPrice != 19.8 {
		t.Fatalf("json: %+v", back)
	}
	var cb bytes.Buffer
	if err := st.WriteCSV(&cb); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cb.String(), "\ufeffcustomer,") {
		t.Fatalf("csv does not start with BOM and header: %q", cb.String()[:20])
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(cb.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+6+6 || rows[6][2] != "payment_alimtalk" || rows[6][3] != "결제 알림톡" || rows[6][6] != "56.00" {
		t.Fatalf("rows: %q", rows)
	}
	if rows[9][2] != "total" || rows[9][6] != "126" || rows[10][6] != "2026-12-14" || rows[12][6] != "preview" {
		t.Fatalf("summary rows: %q", rows[7:])
	}
}

type counterFunc func(customer, month string) (map[message.Product]uint64, error)

func (f counterFunc) MonthCounts(c, m string) (map[message.Product]uint64, error) { return f(c, m) }

func TestFromCounter(t *testing.T) {
	s := settler(t)
	var asked string
	st, err := s.FromCounter(counterFunc(func(c, m string) (map[message.Product]uint64, error) {
		asked = c + " " + m
		return map[message.Product]uint64{message.ProductLMS: 10}, nil
	}), "acme", "2026-11")
	if err != nil || asked != "acme 2026-11" || st.Supply != 290 {
		t.Fatalf("%+v %v %q", st, err, asked)
	}
	boom := errors.New("boom")
	if _, err := s.FromCounter(counterFunc(func(string, string) (map[message.Product]uint64, error) { return nil, boom }), "a", "2026-11"); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}

func BenchmarkStatement(b *testing.B) {
	s, err := New(Config{Prices: map[string]Price{"sms": 990, "lms": 2900, "alimtalk": 750, "friendtalk_text": 1300, "friendtalk_image": 1980, "payment_alimtalk": 800}})
	if err != nil {
		b.Fatal(err)
	}
	counts := map[message.Product]uint64{message.ProductSMS: 12345, message.ProductAlimTalk: 999}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Statement("acme", "2026-11", counts); err != nil {
			b.Fatal(err)
		}
	}
}
