package receipt

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// ErrBadIDFormat reports an IDFormat setting that cannot be read.
var ErrBadIDFormat = errors.New("smpp/receipt: bad message id format")

// Base is how a carrier writes message ids in one place.
type Base uint8

const (
	// AsIs ids are opaque strings.
	AsIs Base = iota
	// Hex ids are hexadecimal numbers, with or without 0x.
	Hex
	// Decimal ids are decimal numbers.
	Decimal
)

// IDFormat describes how a carrier writes message ids in submit_sm_resp or
// in receipts; the package doc gives the rules Normalize applies.
type IDFormat struct {
	Base Base
	// TrimZeros drops leading zeros of ids kept as strings.
	TrimZeros bool
	// FoldCase lower-cases ASCII letters of ids kept as strings.
	FoldCase bool
}

// Normalize returns the key under which id, written as f says, is stored
// and looked up. An id already in that form is returned as it is, without
// a copy (most carriers' ids are).
func Normalize(id string, f IDFormat) string {
	var buf [32]byte
	b := AppendNormalized(buf[:0], id, f)
	if t := strings.Trim(id, " \t\r\n\x00"); string(b) == t {
		return t
	}
	return string(b)
}

// AppendNormalized appends Normalize(id, f) to dst. It allocates only for a
// decimal id too big for uint64.
func AppendNormalized(dst []byte, id string, f IDFormat) []byte {
	id = strings.Trim(id, " \t\r\n\x00")
	switch f.Base {
	case Hex:
		h := id
		if len(h) > 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X') {
			h = h[2:]
		}
		if isDigits(h, 16) {
			h = trimZeros(h)
			for i := 0; i < len(h); i++ {
				dst = append(dst, lower(h[i]))
			}
			return dst
		}
	case Decimal:
		if isDigits(id, 10) {
			if v, err := strconv.ParseUint(id, 10, 64); err == nil {
				return strconv.AppendUint(dst, v, 16)
			}
			var n big.Int
			n.SetString(id, 10)
			return n.Append(dst, 16)
		}
	}
	if f.TrimZeros {
		id = trimZeros(id)
	}
	if !f.FoldCase {
		return append(dst, id...)
	}
	for i := 0; i < len(id); i++ {
		dst = append(dst, lower(id[i]))
	}
	return dst
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// trimZeros drops the leading zeros of s but one, and keeps a zero that a
// blank follows: dropping it would leave a key starting with a blank,
// which Normalize trims, so a key would not be its own key.
func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' && !strings.ContainsRune(" \t\r\n\x00", rune(s[1])) {
		s = s[1:]
	}
	return s
}

func isDigits(s string, base int) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
		default:
			return false
		}
	}
	return true
}

// String writes f as ParseIDFormat reads it, e.g. "hex" or
// "asis,trimzeros,foldcase".
func (f IDFormat) String() string {
	s := "asis"
	switch f.Base {
	case Hex:
		s = "hex"
	case Decimal:
		s = "decimal"
	}
	if f.TrimZeros {
		s += ",trimzeros"
	}
	if f.FoldCase {
		s += ",foldcase"
	}
	return s
}

// ParseIDFormat reads a carrier setting: a base ("asis", "hex", "decimal"),
// optionally followed by ",trimzeros" and/or ",foldcase", any case. An empty
// string is "asis".
func ParseIDFormat(s string) (IDFormat, error) {
	var f IDFormat
	for i, w := range strings.Split(s, ",") {
		w = strings.ToLower(strings.TrimSpace(w))
		switch {
		case i == 0 && (w == "asis" || w == "as-is" || w == ""):
			f.Base = AsIs
		case i == 0 && w == "hex":
			f.Base = Hex
		case i == 0 && (w == "decimal" || w == "dec"):
			f.Base = Decimal
		case i > 0 && w == "trimzeros":
			f.TrimZeros = true
		case i > 0 && w == "foldcase":
			f.FoldCase = true
		default:
			return IDFormat{}, fmt.Errorf("%w: unknown word %q in %q", ErrBadIDFormat, w, s)
		}
	}
	return f, nil
}

// MarshalText implements encoding.TextMarshaler for config files.
func (f IDFormat) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler for config files.
func (f *IDFormat) UnmarshalText(b []byte) error {
	v, err := ParseIDFormat(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}
