package coding

import (
	"strings"
	"unicode/utf8"
)

// gsmEscape introduces a character of the GSM 03.38 extension table.
const gsmEscape = 0x1B

// gsmBasic is the GSM 03.38 default alphabet, indexed by septet. 0x1B is the
// escape and decodes, alone, as a space.
var gsmBasic = [128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ' ', 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
}

// gsmExt is the GSM 03.38 extension table: septet after the escape → rune.
var gsmExt = map[byte]rune{
	0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\',
	0x3C: '[', 0x3D: '~', 0x3E: ']', 0x40: '|', 0x65: '€',
}

// gsmExtDec is gsmExt as an array; 0 means no extension character.
var gsmExtDec [128]rune

// gsmASCII maps runes below 0x80 to their code: septet+1 for the basic
// table, 0x100|septet for the extension table, 0 for none.
var gsmASCII [utf8.RuneSelf]uint16

// gsmOther maps the non-ASCII runes of both tables the same way.
var gsmOther = map[rune]uint16{}

func init() {
	for i, r := range gsmBasic {
		if i == gsmEscape {
			continue
		}
		if r < utf8.RuneSelf {
			gsmASCII[r] = uint16(i) + 1
		} else {
			gsmOther[r] = uint16(i) + 1
		}
	}
	for s, r := range gsmExt {
		gsmExtDec[s] = r
		if r < utf8.RuneSelf {
			gsmASCII[r] = 0x100 | uint16(s)
		} else {
			gsmOther[r] = 0x100 | uint16(s)
		}
	}
}

func gsmCode(r rune) uint16 {
	if r < utf8.RuneSelf {
		return gsmASCII[r]
	}
	return gsmOther[r]
}

func gsmLen(r rune) (int, bool) {
	switch c := gsmCode(r); {
	case c == 0:
		return 0, false
	case c&0x100 != 0:
		return 2, true
	}
	return 1, true
}

func appendGSM(dst []byte, r rune) ([]byte, bool) {
	switch c := gsmCode(r); {
	case c == 0:
		return dst, false
	case c&0x100 != 0:
		return append(dst, gsmEscape, byte(c)), true
	default:
		return append(dst, byte(c-1)), true
	}
}

// decodeGSM decodes unpacked septets. An escape followed by a septet with no
// extension character decodes as that septet's basic character, and an
// escape at the end as a space, as 3GPP TS 23.038 asks of a receiver.
func decodeGSM(b []byte) (string, error) {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/2)
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 0x80 {
			return "", &MalformedError{Offset: i, Coding: GSM7}
		}
		if c != gsmEscape {
			sb.WriteRune(gsmBasic[c])
			continue
		}
		if i+1 >= len(b) {
			sb.WriteByte(' ')
			continue
		}
		i++
		n := b[i]
		if n >= 0x80 {
			return "", &MalformedError{Offset: i, Coding: GSM7}
		}
		if r := gsmExtDec[n]; r != 0 {
			sb.WriteRune(r)
		} else {
			sb.WriteRune(gsmBasic[n])
		}
	}
	return sb.String(), nil
}

// GSMSeptets returns the number of septets text takes in GSM 03.38 (escape
// pairs count two) or the first rune that does not fit.
func GSMSeptets(text string) (int, error) {
	n, index := 0, 0
	for off, r := range text {
		l, ok := GSM7.runeLen(r, text[off:])
		if !ok {
			return n, &UnencodableError{Rune: r, Index: index, Offset: off, Coding: GSM7}
		}
		n += l
		index++
	}
	return n, nil
}

// PackSeptets appends septets (one per octet, high bit ignored) packed
// eight into seven octets, least significant bit first, after fill zero
// bits (0-6). Fill bits align the text after a UDH to a septet boundary.
func PackSeptets(dst, septets []byte, fill int) []byte {
	var acc uint32
	bits := fill % 7
	for _, s := range septets {
		acc |= uint32(s&0x7F) << bits
		bits += 7
		for bits >= 8 {
			dst = append(dst, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	if bits > 0 {
		dst = append(dst, byte(acc))
	}
	return dst
}

// UnpackSeptets appends n septets unpacked from packed, which starts with
// fill bits to skip. It returns ErrMalformed if packed is too short.
func UnpackSeptets(dst, packed []byte, fill, n int) ([]byte, error) {
	fill %= 7
	if n < 0 || (fill+7*n+7)/8 > len(packed) {
		return dst, ErrMalformed
	}
	for i := range n {
		bit := fill + 7*i
		v := uint16(packed[bit/8])
		if bit/8+1 < len(packed) {
			v |= uint16(packed[bit/8+1]) << 8
		}
		dst = append(dst, byte(v>>(bit%8))&0x7F)
	}
	return dst, nil
}
