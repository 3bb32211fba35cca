package coding

import (
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/korean"
)

// euckrTable maps every BMP rune to its EUC-KR double byte (lead<<8|trail),
// or 0 when EUC-KR cannot encode it. It is filled once, on first use, from
// the x/text encoder itself, so that measuring and encoding here can never
// disagree with it. Runes below 0x80 are themselves and not in the table.
var euckrTable struct {
	once sync.Once
	enc  *[0x10000]uint16
}

func euckrCodes() *[0x10000]uint16 {
	euckrTable.once.Do(func() {
		t := new([0x10000]uint16)
		enc := korean.EUCKR.NewEncoder()
		var src [4]byte
		var dst [8]byte
		for r := rune(utf8.RuneSelf); r <= 0xFFFF; r++ {
			if r >= 0xD800 && r <= 0xDFFF {
				continue
			}
			n := utf8.EncodeRune(src[:], r)
			enc.Reset()
			nDst, _, err := enc.Transform(dst[:], src[:n], true)
			if err == nil && nDst == 2 {
				t[r] = uint16(dst[0])<<8 | uint16(dst[1])
			}
		}
		euckrTable.enc = t
	})
	return euckrTable.enc
}

func euckrRuneLen(r rune) (int, bool) {
	switch {
	case r < utf8.RuneSelf:
		return 1, true
	case r >= 0xAC00 && r <= 0xD7A3:
		// Every modern Hangul syllable has a two-byte code.
		return 2, true
	case r > 0xFFFF:
		return 0, false
	}
	return 2, euckrCodes()[r] != 0
}

func appendEUCKR(dst []byte, r rune) ([]byte, bool) {
	if r < utf8.RuneSelf {
		return append(dst, byte(r)), true
	}
	if r > 0xFFFF {
		return dst, false
	}
	c := euckrCodes()[r]
	if c == 0 {
		return dst, false
	}
	return append(dst, byte(c>>8), byte(c)), true
}

// EUCKRLen returns the number of bytes text takes in EUC-KR: one for ASCII,
// two for a Hangul syllable or any other encodable character. If a rune
// cannot be encoded it returns the length up to it and an *UnencodableError.
// It does not allocate unless it fails.
func EUCKRLen(text string) (n int, err error) {
	for i := 0; i < len(text); {
		if text[i] < utf8.RuneSelf {
			n++
			i++
			continue
		}
		if c := text[i]; c >= 0xEA && c <= 0xED && i+2 < len(text) {
			// Hangul syllables are three UTF-8 bytes led by EA-ED.
			c1, c2 := text[i+1], text[i+2]
			r := rune(c&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F)
			if c1&0xC0 == 0x80 && c2&0xC0 == 0x80 && r >= 0xAC00 && r <= 0xD7A3 {
				n += 2
				i += 3
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		l, ok := EUCKR.runeLen(r, text[i:])
		if !ok {
			return n, &UnencodableError{Rune: r, Index: utf8.RuneCountInString(text[:i]), Offset: i, Coding: EUCKR}
		}
		n += l
		i += size
	}
	return n, nil
}

// euckrDecTable maps a double byte (lead 0x81-0xFE, any trail) to its rune,
// 0 when x/text does not decode it as one character. Filled once, on first
// use, from the x/text decoder.
var euckrDecTable struct {
	once sync.Once
	dec  *[0x7E00]uint16
}

func euckrRunes() *[0x7E00]uint16 {
	euckrDecTable.once.Do(func() {
		t := new([0x7E00]uint16)
		dec := korean.EUCKR.NewDecoder()
		var dst [8]byte
		for i := range t {
			src := [2]byte{byte(0x81 + i>>8), byte(i)}
			dec.Reset()
			nDst, nSrc, err := dec.Transform(dst[:], src[:], true)
			if err != nil || nSrc != 2 {
				continue
			}
			r, size := utf8.DecodeRune(dst[:nDst])
			if size == nDst && r != utf8.RuneError && r <= 0xFFFF {
				t[i] = uint16(r)
			}
		}
		euckrDecTable.dec = t
	})
	return euckrDecTable.dec
}

// decodeEUCKR decodes EUC-KR with the Unified Hangul Code extension, as
// x/text does: byte sequences that are not valid decode as U+FFFD.
func decodeEUCKR(b []byte) (string, error) {
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b), nil
	}
	t := euckrRunes()
	var sb strings.Builder
	sb.Grow(len(b) * 3 / 2)
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < utf8.RuneSelf {
			sb.WriteByte(c)
			continue
		}
		if c >= 0x81 && c <= 0xFE && i+1 < len(b) {
			if r := t[int(c-0x81)<<8|int(b[i+1])]; r != 0 {
				sb.WriteRune(rune(r))
				i++
				continue
			}
		}
		// Not a valid pair: let x/text decide how much to replace.
		out, err := korean.EUCKR.NewDecoder().Bytes(b)
		if err != nil {
			return "", &MalformedError{Offset: i, Coding: EUCKR}
		}
		return string(out), nil
	}
	return sb.String(), nil
}
