package coding

import "unicode/utf8"

// decodeIA5 decodes ASCII; an octet with the high bit set is malformed.
func decodeIA5(b []byte) (string, error) {
	for i, c := range b {
		if c >= utf8.RuneSelf {
			return "", &MalformedError{Offset: i, Coding: IA5}
		}
	}
	return string(b), nil
}

// decodeLatin1 decodes ISO-8859-1, where every octet is the rune of the
// same value.
func decodeLatin1(b []byte) string {
	n := len(b)
	for _, c := range b {
		if c >= utf8.RuneSelf {
			n++
		}
	}
	if n == len(b) {
		return string(b)
	}
	out := make([]byte, 0, n)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out)
}
