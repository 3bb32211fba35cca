package settle

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrConfig marks settlement configuration that cannot be used.
var ErrConfig = errors.New("settle: invalid configuration")

// ErrCounts marks counts a statement cannot be made from.
var ErrCounts = errors.New("settle: invalid counts")

// Price is an amount of won held exactly as hundredths of a won: 990 is
// 9.90 won. In TOML it may be an integer (10), a float (9.9) or a string
// ("9.90"); more than two decimal places are refused.
type Price int64

// ParsePrice parses a non-negative decimal with at most two decimals.
func ParsePrice(s string) (Price, error) {
	whole, frac, dot := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" || (dot && (frac == "" || len(frac) > 2)) {
		return 0, fmt.Errorf("%w: price %q: want won with at most 2 decimals", ErrConfig, s)
	}
	w, err := strconv.ParseUint(whole, 10, 40)
	if err != nil {
		return 0, fmt.Errorf("%w: price %q: %v", ErrConfig, s, err)
	}
	var f uint64
	if frac != "" {
		for len(frac) < 2 {
			frac += "0"
		}
		if f, err = strconv.ParseUint(frac, 10, 8); err != nil {
			return 0, fmt.Errorf("%w: price %q: %v", ErrConfig, s, err)
		}
	}
	return Price(w*100 + f), nil
}

// String formats the price with two decimals: "9.90".
func (p Price) String() string {
	sign := ""
	if p < 0 {
		sign, p = "-", -p
	}
	return fmt.Sprintf("%s%d.%02d", sign, p/100, p%100)
}

// Won returns the whole won, the fraction truncated (toward zero).
func (p Price) Won() int64 { return int64(p) / 100 }

// MarshalText writes String.
func (p Price) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads ParsePrice.
func (p *Price) UnmarshalText(b []byte) error {
	v, err := ParsePrice(string(b))
	*p = v
	return err
}

// MarshalJSON writes the price as a JSON number with two decimals.
func (p Price) MarshalJSON() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalJSON reads a JSON number (as MarshalJSON writes it) or string.
func (p *Price) UnmarshalJSON(b []byte) error {
	return p.UnmarshalText(bytes.Trim(b, `"`))
}

// UnmarshalTOML takes an integer, a float or a string.
func (p *Price) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		return p.UnmarshalText([]byte(strconv.FormatInt(x, 10)))
	case float64:
		return p.UnmarshalText([]byte(strconv.FormatFloat(x, 'f', -1, 64)))
	case string:
		return p.UnmarshalText([]byte(x))
	}
	return fmt.Errorf("%w: price %v: want a number", ErrConfig, v)
}
