package coding

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// appendUCS2 appends r as UTF-16BE, as a surrogate pair above U+FFFF.
func appendUCS2(dst []byte, r rune) []byte {
	if r > 0xFFFF {
		hi, lo := utf16.EncodeRune(r)
		return append(dst, byte(hi>>8), byte(hi), byte(lo>>8), byte(lo))
	}
	return append(dst, byte(r>>8), byte(r))
}

// decodeUCS2 decodes UTF-16BE. An odd length is malformed; a surrogate
// without its partner decodes as U+FFFD so that text from a handset is never
// dropped for one bad character.
func decodeUCS2(b []byte) (string, error) {
	if len(b)%2 != 0 {
		return "", &MalformedError{Offset: len(b) - 1, Coding: UCS2}
	}
	var out strings.Builder
	out.Grow(len(b) + len(b)/2)
	for i := 0; i < len(b); i += 2 {
		u := rune(b[i])<<8 | rune(b[i+1])
		switch {
		case utf16.IsSurrogate(u) && u < 0xDC00 && i+3 < len(b):
			l := rune(b[i+2])<<8 | rune(b[i+3])
			if r := utf16.DecodeRune(u, l); r != utf8.RuneError {
				out.WriteRune(r)
				i += 2
				continue
			}
			out.WriteRune(utf8.RuneError)
		case utf16.IsSurrogate(u):
			out.WriteRune(utf8.RuneError)
		default:
			out.WriteRune(u)
		}
	}
	return out.String(), nil
}
