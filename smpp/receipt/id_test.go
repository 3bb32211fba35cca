package receipt

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	hex := IDFormat{Base: Hex}
	dec := IDFormat{Base: Decimal}
	cases := []struct {
		id   string
		f    IDFormat
		want string
	}{
		{"0A1B", hex, "a1b"},
		{"0x0a1b", hex, "a1b"},
		{"00000a1b", hex, "a1b"},
		{"2587", dec, "a1b"},
		{"0002587", dec, "a1b"},
		{" 2587\x00", dec, "a1b"},
		{"0", dec, "0"},
		{"0000", hex, "0"},
		{"18446744073709551615", dec, "ffffffffffffffff"},
		{"18446744073709551616", dec, "10000000000000000"},
		{"340282366920938463463374607431768211455", dec, strings.Repeat("f", 32)},
		{"00FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", hex, strings.Repeat("f", 32)},
		{"ABC-12", hex, "ABC-12"},
		{"ABC-12", IDFormat{Base: Hex, FoldCase: true}, "abc-12"},
		{"12ab", dec, "12ab"},
		{"00Ab", IDFormat{}, "00Ab"},
		{"00Ab", IDFormat{TrimZeros: true, FoldCase: true}, "ab"},
		{"000", IDFormat{TrimZeros: true}, "0"},
		{"", hex, ""},
		{"0x", hex, "0x"},
	}
	for _, c := range cases {
		if got := Normalize(c.id, c.f); got != c.want {
			t.Errorf("Normalize(%q, %v) = %q, want %q", c.id, c.f, got, c.want)
		}
	}
}

// TestNormalizeCarrierPair: submit_sm_resp in hex, receipt in decimal, zero
// padded, must meet at one key.
func TestNormalizeCarrierPair(t *testing.T) {
	resp, rcpt := IDFormat{Base: Hex}, IDFormat{Base: Decimal}
	for _, v := range []uint64{0, 1, 255, 1 << 40, 1<<64 - 1} {
		h := strings.ToUpper(strings.Repeat("0", 3) + formatUint(v, 16))
		d := "00" + formatUint(v, 10)
		if a, b := Normalize(h, resp), Normalize(d, rcpt); a != b {
			t.Errorf("%d: hex %q -> %q, decimal %q -> %q", v, h, a, d, b)
		}
	}
}

func formatUint(v uint64, base int) string { return strconv.FormatUint(v, base) }

func TestNormalizeAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	n := testing.AllocsPerRun(100, func() {
		buf = AppendNormalized(buf[:0], "1234567890", IDFormat{Base: Decimal})
		buf = AppendNormalized(buf[:0], "0x00ABCDEF", IDFormat{Base: Hex})
	})
	if n != 0 {
		t.Errorf("%v allocs", n)
	}
}

func TestParseIDFormat(t *testing.T) {
	for _, s := range []string{"asis", "hex", "decimal", "asis,trimzeros", "hex,foldcase", "asis,trimzeros,foldcase"} {
		f, err := ParseIDFormat(s)
		if err != nil || f.String() != s {
			t.Errorf("ParseIDFormat(%q) = %v, %v", s, f, err)
		}
	}
	if f, err := ParseIDFormat(" HEX , TrimZeros "); err != nil || f != (IDFormat{Base: Hex, TrimZeros: true}) {
		t.Errorf("spaces and case: %v, %v", f, err)
	}
	for _, s := range []string{"octal", "hex,hex", "trimzeros"} {
		if _, err := ParseIDFormat(s); !errors.Is(err, ErrBadIDFormat) {
			t.Errorf("ParseIDFormat(%q) err = %v", s, err)
		}
	}
	var f IDFormat
	if err := f.UnmarshalText([]byte("decimal")); err != nil || f.Base != Decimal {
		t.Errorf("UnmarshalText: %v %v", f, err)
	}
}

func BenchmarkNormalizeDecimal(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Normalize("0001234567890123", IDFormat{Base: Decimal})
	}
}

// TestNormalizeKeepsNormalID: an id already normalised is the key as it
// is, with no copy; the submit path and every receipt go through here.
func TestNormalizeKeepsNormalID(t *testing.T) {
	hex := IDFormat{Base: Hex}
	for _, c := range []struct {
		id   string
		f    IDFormat
		want string
	}{
		{"1a2b", hex, "1a2b"},
		{" 1a2b\x00", hex, "1a2b"},
		{"abc-1", IDFormat{}, "abc-1"},
	} {
		if got := Normalize(c.id, c.f); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.id, got, c.want)
		}
		if n := testing.AllocsPerRun(100, func() { Normalize(c.id, c.f) }); n != 0 {
			t.Errorf("Normalize(%q) allocates %v times, want 0", c.id, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Normalize("1A2B", hex) }); n != 1 {
		t.Errorf("Normalize of an id it changes allocates %v times, want 1", n)
	}
}
