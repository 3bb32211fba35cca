package door

// maxRecipient is the longest normalised Korean mobile number (010 + 8).
const maxRecipient = 11

// appendRecipient appends the normalised form of a Korean mobile number
// (digits only, starting 01) to dst, or reports false. Accepted forms,
// with '-' and spaces anywhere: 010 + 8 digits; 011, 016, 017, 018, 019 +
// 7 or 8 digits; and the same with +82 or 82 in place of the leading 0.
func appendRecipient(dst []byte, s string) ([]byte, bool) {
	start := len(dst)
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == '-' || s[i] == ' ') {
			i++
		}
	}
	skip()
	if i < len(s) && s[i] == '+' {
		i++
		if i+2 > len(s) || s[i] != '8' || s[i+1] != '2' {
			return dst, false
		}
		i += 2
		dst = append(dst, '0')
	} else if i+2 <= len(s) && s[i] == '8' && s[i+1] == '2' {
		// A domestic mobile number starts 01, so a leading 82 is always
		// the country code.
		i += 2
		dst = append(dst, '0')
	}
	for ; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '-' || ch == ' ':
		case ch >= '0' && ch <= '9':
			if len(dst)-start >= maxRecipient {
				return dst[:start], false
			}
			dst = append(dst, ch)
		default:
			return dst[:start], false
		}
	}
	n := dst[start:]
	if len(n) < 10 || n[0] != '0' || n[1] != '1' {
		return dst[:start], false
	}
	switch n[2] {
	case '0':
		return dst, len(n) == 11
	case '1', '6', '7', '8', '9':
		return dst, true // 10 or 11 digits, checked above
	}
	return dst[:start], false
}

// NormalizeRecipient returns the normalised form (e.g. "01012345678") of a
// Korean mobile number given as "010-1234-5678", "+82 10 1234 5678",
// "821012345678" and the like, and whether it is one. It returns s itself,
// without allocating, when s is already normalised.
func NormalizeRecipient(s string) (string, bool) {
	var buf [maxRecipient]byte
	b, ok := appendRecipient(buf[:0], s)
	if !ok {
		return "", false
	}
	if string(b) == s {
		return s, true
	}
	return string(b), true
}
