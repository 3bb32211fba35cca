package alimtalk

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MismatchError says where an AlimTalk first differs from its template.
type MismatchError struct {
	SenderKey, Code string
	// Field is "text", or "buttons_json" for a button.
	Field string
	// Pos is the 1-based character position in the text (after "\r\n"
	// became "\n") where it first differs; for a button, its 1-based
	// number.
	Pos int
	// Want is what the template has there (a few characters; "" for the
	// end of the text), Got what the message has ("" at its end).
	Want, Got string
	// Detail describes a button difference.
	Detail string
}

func (e *MismatchError) Error() string {
	if e.Field != "text" {
		return fmt.Sprintf("%s differs from template %s of sender profile %s at button %d: %s", e.Field, e.Code, e.SenderKey, e.Pos, e.Detail)
	}
	want, got := quoteOrEnd(e.Want), quoteOrEnd(e.Got)
	return fmt.Sprintf("text differs from template %s of sender profile %s at character %d: the template has %s, the text %s",
		e.Code, e.SenderKey, e.Pos, want, got)
}

func quoteOrEnd(s string) string {
	if s == "" {
		return "the end"
	}
	return fmt.Sprintf("%q", s)
}

// snippet is how many characters of either side a mismatch shows.
const snippet = 12

// match reports whether s matches p; if not, the byte offset in s of the
// first difference and the template's text expected there. s must already
// have "\n" line ends.
func (p *pattern) match(s string) (ok bool, at int, want string) {
	first := p.lits[0]
	if !strings.HasPrefix(s, first) {
		i := commonPrefix(s, first)
		return false, i, first[i:]
	}
	cur := len(first)
	if len(p.need) == 0 {
		if len(s) == cur {
			return true, 0, ""
		}
		return false, cur, ""
	}
	for k, need := range p.need {
		from, enough := skipRunes(s, cur, need)
		if !enough {
			return false, len(s), "#{…}"
		}
		lit := p.lits[k+1]
		if k == len(p.need)-1 {
			if len(s)-len(lit) >= from && strings.HasSuffix(s, lit) {
				return true, 0, ""
			}
			at, want = diffAt(s, from, lit)
			return false, at, want
		}
		i := strings.Index(s[from:], lit)
		if i < 0 {
			at, want = diffAt(s, from, lit)
			return false, at, want
		}
		cur = from + i + len(lit)
	}
	panic("unreachable")
}

// diffAt finds where literal lit, expected somewhere in s from byte from
// on, stops matching: after the longest prefix of lit found there. If
// none of it is there, the text lacks it and differs at its end.
func diffAt(s string, from int, lit string) (at int, want string) {
	occ, n := -1, 0
	for b := 1; b <= len(lit); b++ {
		if b < len(lit) && !utf8.RuneStart(lit[b]) {
			continue
		}
		i := strings.Index(s[from:], lit[:b])
		if i < 0 {
			break
		}
		occ, n = from+i, b
	}
	if occ < 0 {
		return len(s), lit
	}
	return occ + n, lit[n:]
}

// skipRunes returns the byte offset n characters after i, and whether s
// has them.
func skipRunes(s string, i, n int) (int, bool) {
	for ; n > 0; n-- {
		if i >= len(s) {
			return i, false
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i, true
}

// commonPrefix is the length of the longest common prefix of a and b that
// ends on a character boundary of both.
func commonPrefix(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	for i > 0 && (i < len(a) && !utf8.RuneStart(a[i]) || i < len(b) && !utf8.RuneStart(b[i])) {
		i--
	}
	return i
}

// textMismatch builds the error for a text that differs at byte at.
func textMismatch(t *Template, s string, at int, want string) *MismatchError {
	return &MismatchError{
		SenderKey: t.SenderKey, Code: t.Code, Field: "text",
		Pos:  utf8.RuneCountInString(s[:at]) + 1,
		Want: firstChars(want, snippet), Got: firstChars(s[at:], snippet),
	}
}
