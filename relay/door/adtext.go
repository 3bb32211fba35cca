package door

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// IsAdText reports whether text is an advertisement by its content: whether
// it opens, as a reader sees it, with "(광고)" or "[광고]". The start of the
// text is read as its NFKC normalisation (full-width "（광고）" counts, and
// so do compatibility and conjoining jamo that compose to 광고), with
// leading whitespace and invisible characters (zero-width spaces and
// joiners, the byte-order mark, Hangul fillers) skipped, and with spaces
// and invisible characters inside the brackets ignored ("( 광고 )").
//
// It reads rune by rune, with each rune's NFKC decomposition and the
// Hangul composition rule, so it does not allocate and stops at the first
// rune that cannot be part of the prefix.
func IsAdText(text string) bool {
	s := nfkcRunes{s: text}
	for _, want := range [...]rune{'(', '광', '고', ')'} {
		r := s.nextVisible()
		switch want {
		case '(':
			if r != '(' && r != '[' {
				return false
			}
		case ')':
			if r != ')' && r != ']' {
				return false
			}
		default:
			if r != want {
				return false
			}
		}
	}
	return true
}

// nfkcRunes reads a string as the runes of its NFKC form, for the few
// characters IsAdText looks for: each rune is replaced by its
// compatibility decomposition, and conjoining jamo are composed into
// syllables.
type nfkcRunes struct {
	s       string // what is left of the input
	pend    []byte // the rest of the current rune's decomposition
	back    rune   // a rune read ahead, if hasBack
	hasBack bool
}

// next returns the next decomposed rune, or -1 at the end.
func (n *nfkcRunes) next() rune {
	if n.hasBack {
		n.hasBack = false
		return n.back
	}
	if len(n.pend) > 0 {
		r, size := utf8.DecodeRune(n.pend)
		n.pend = n.pend[size:]
		return r
	}
	if n.s == "" {
		return -1
	}
	r, size := utf8.DecodeRuneInString(n.s)
	if r < utf8.RuneSelf {
		n.s = n.s[1:]
		return r
	}
	if d := norm.NFKC.PropertiesString(n.s).Decomposition(); len(d) > 0 {
		n.s = n.s[size:]
		r, size = utf8.DecodeRune(d)
		n.pend = d[size:]
		return r
	}
	n.s = n.s[size:]
	return r
}

// Hangul composition (Unicode §3.12).
const (
	hangulS0, jamoL0, jamoV0, jamoT0   = 0xAC00, 0x1100, 0x1161, 0x11A7
	jamoLCount, jamoVCount, jamoTCount = 19, 21, 28
)

// composed returns the next rune with a conjoining consonant and vowel
// composed into their syllable, and a final consonant into a syllable
// that has none, as NFKC does.
func (n *nfkcRunes) composed() rune {
	r := n.next()
	var syl rune
	switch {
	case r >= jamoL0 && r < jamoL0+jamoLCount:
		v := n.next()
		if v < jamoV0 || v >= jamoV0+jamoVCount {
			n.back, n.hasBack = v, true
			return r
		}
		syl = hangulS0 + ((r-jamoL0)*jamoVCount+(v-jamoV0))*jamoTCount
	case r >= hangulS0 && r < hangulS0+jamoLCount*jamoVCount*jamoTCount && (r-hangulS0)%jamoTCount == 0:
		syl = r
	default:
		return r
	}
	t := n.next()
	if t > jamoT0 && t < jamoT0+jamoTCount {
		return syl + t - jamoT0
	}
	n.back, n.hasBack = t, true
	return syl
}

// nextVisible returns the next composed rune that is neither whitespace
// nor invisible, or -1 at the end.
func (n *nfkcRunes) nextVisible() rune {
	for {
		r := n.composed()
		if r < 0 || (!unicode.IsSpace(r) && !invisible(r)) {
			return r
		}
	}
}

// invisible reports whether r shows as nothing: format characters (zero-
// width space, joiners, word joiner, byte-order mark, soft hyphen,
// direction marks) and the Hangul fillers.
func invisible(r rune) bool {
	switch r {
	case '\u115F', '\u1160', '\u3164', '\uFFA0':
		return true
	}
	return r > 0x7F && unicode.Is(unicode.Cf, r)
}

// IsAd reports whether req is an advertisement: flagged as one, or one by
// its content ([IsAdText]). Whoever stores an accepted request stores this
// as its ad flag, so the later legs (Kakao's ad flag, the night rule of an
// SMS fallback) treat it as the advertisement it is.
func (r *Request) IsAd() bool { return r.Kakao.Ad || IsAdText(r.Text) }
