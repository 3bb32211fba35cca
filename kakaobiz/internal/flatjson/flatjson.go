// Package flatjson reads one JSON object's top-level members without
// reflection: the BizMessage answers and requests are flat objects of a few
// strings, and decoding them with encoding/json costs more than the rest of
// a call. Nested values are validated and handed over raw.
//
// It accepts exactly what encoding/json accepts for an object (RFC 8259),
// with nesting bounded by MaxDepth.
package flatjson

import (
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrSyntax is returned for anything that is not one well-formed object.
var ErrSyntax = errors.New("flatjson: invalid JSON object")

// MaxDepth bounds the nesting of skipped values.
const MaxDepth = 32

// Kind is a member value's JSON type.
type Kind uint8

// Kinds.
const (
	String Kind = iota + 1
	Number
	Bool
	Null
	Object
	Array
)

// Value is one member's value. For a String, Raw is the text between the
// quotes, still escaped (use Str or AppendString); otherwise it is the
// value's JSON text.
type Value struct {
	Kind Kind
	Raw  []byte
	esc  bool
}

// Str returns a String value unescaped (one allocation up to 256 bytes
// unescaped); other kinds give "".
func (v Value) Str() string {
	if v.Kind != String {
		return ""
	}
	if !v.esc && utf8.Valid(v.Raw) {
		return string(v.Raw)
	}
	var buf [256]byte // on the stack: only the string is allocated
	return string(AppendString(buf[:0], v))
}

// Scan calls fn for each top-level member of the object in b, in order,
// with key unescaped when it needed it. fn must not keep key or v.Raw. It
// returns ErrSyntax unless b is exactly one object (surrounding white
// space allowed); fn returning false stops the scan early without error.
func Scan(b []byte, fn func(key []byte, v Value) bool) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return ErrSyntax
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return trailing(b, i+1)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return ErrSyntax
		}
		kend, kesc, ok := scanString(b, i+1)
		if !ok {
			return ErrSyntax
		}
		key := b[i+1 : kend]
		if kesc || !utf8.Valid(key) {
			key = AppendString(nil, Value{Kind: String, Raw: key, esc: true}) // rare

		}
		i = skipWS(b, kend+1)
		if i >= len(b) || b[i] != ':' {
			return ErrSyntax
		}
		i = skipWS(b, i+1)
		v, end, ok := scanValue(b, i, 0)
		if !ok {
			return ErrSyntax
		}
		if !fn(key, v) {
			return nil
		}
		i = skipWS(b, end)
		if i >= len(b) {
			return ErrSyntax
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return trailing(b, i+1)
		default:
			return ErrSyntax
		}
	}
}

func trailing(b []byte, i int) error {
	if skipWS(b, i) != len(b) {
		return ErrSyntax
	}
	return nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString finds the closing quote of a string whose content starts at i.
func scanString(b []byte, i int) (end int, esc, ok bool) {
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return i, esc, true
		case c < 0x20:
			return 0, false, false
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return 0, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex4(b[i+2:i+6]) {
					return 0, false, false
				}
				i += 6
			default:
				return 0, false, false
			}
		default:
			i++
		}
	}
	return 0, false, false
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if hexVal(c) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// scanValue reads the value starting at i.
func scanValue(b []byte, i, depth int) (Value, int, bool) {
	if i >= len(b) {
		return Value{}, 0, false
	}
	switch c := b[i]; {
	case c == '"':
		end, esc, ok := scanString(b, i+1)
		if !ok {
			return Value{}, 0, false
		}
		return Value{Kind: String, Raw: b[i+1 : end], esc: esc}, end + 1, true
	case c == '{' || c == '[':
		end, ok := skipComposite(b, i, depth+1)
		if !ok {
			return Value{}, 0, false
		}
		k := Object
		if c == '[' {
			k = Array
		}
		return Value{Kind: k, Raw: b[i:end]}, end, ok
	case c == 't':
		return literal(b, i, "true", Bool)
	case c == 'f':
		return literal(b, i, "false", Bool)
	case c == 'n':
		return literal(b, i, "null", Null)
	case c == '-' || (c >= '0' && c <= '9'):
		end, ok := scanNumber(b, i)
		if !ok {
			return Value{}, 0, false
		}
		return Value{Kind: Number, Raw: b[i:end]}, end, true
	}
	return Value{}, 0, false
}

func literal(b []byte, i int, lit string, k Kind) (Value, int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return Value{}, 0, false
	}
	return Value{Kind: k, Raw: b[i : i+len(lit)]}, i + len(lit), true
}

// scanNumber follows the JSON number grammar exactly.
func scanNumber(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		start := i + 1
		if i = digits(b, start); i == start {
			return 0, false // a fraction needs a digit
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		if i = digits(b, i); i == start {
			return 0, false // an exponent needs a digit
		}
	}
	return i, true
}

// digits returns where the run of decimal digits from i ends.
func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// skipComposite validates the object or array at i and returns its end.
func skipComposite(b []byte, i, depth int) (int, bool) {
	if depth > MaxDepth {
		return 0, false
	}
	obj := b[i] == '{'
	closer := byte(']')
	if obj {
		closer = '}'
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == closer {
		return i + 1, true
	}
	for {
		if obj {
			if i >= len(b) || b[i] != '"' {
				return 0, false
			}
			end, _, ok := scanString(b, i+1)
			if !ok {
				return 0, false
			}
			i = skipWS(b, end+1)
			if i >= len(b) || b[i] != ':' {
				return 0, false
			}
			i = skipWS(b, i+1)
		}
		_, end, ok := scanValue(b, i, depth)
		if !ok {
			return 0, false
		}
		i = skipWS(b, end)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case closer:
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// AppendString appends a String value unescaped; invalid UTF-8 and lone
// surrogates become U+FFFD, as encoding/json does.
func AppendString(dst []byte, v Value) []byte {
	raw := v.Raw
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			if c < utf8.RuneSelf {
				dst = append(dst, c)
				i++
				continue
			}
			r, size := utf8.DecodeRune(raw[i:])
			dst = utf8.AppendRune(dst, r) // RuneError for invalid bytes
			i += size
			continue
		}
		// Escapes were validated by scanString.
		switch raw[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(raw[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, hex4(raw[i+2:])); r2 != utf8.RuneError {
						dst = utf8.AppendRune(dst, r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // " \ /
			dst = append(dst, raw[i+1])
		}
		i += 2
	}
	return dst
}

func hex4(b []byte) rune {
	return hexVal(b[0])<<12 | hexVal(b[1])<<8 | hexVal(b[2])<<4 | hexVal(b[3])
}
