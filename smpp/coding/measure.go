package coding

import "unicode/utf8"

// CharLen returns the number of characters (runes) in text, spaces and line
// breaks included, as Kakao counts them. Invalid UTF-8 bytes count one each.
func CharLen(text string) int { return utf8.RuneCountInString(text) }

// Len returns the number of octets text takes in dc, as SMPP carries it (for
// GSM one octet per septet, escape pairs counting two), or the first rune
// dc cannot encode. It does not allocate unless it fails.
func Len(text string, dc DataCoding) (int, error) {
	a := dc.Alphabet()
	if !a.isText() {
		return 0, ErrUnsupported
	}
	n, index := 0, 0
	for off, r := range text {
		l, ok := a.runeLen(r, text[off:])
		if !ok {
			return n, &UnencodableError{Rune: r, Index: index, Offset: off, Coding: dc}
		}
		n += l
		index++
	}
	return n, nil
}

// Choose returns the first coding in prefs that can encode every rune of
// text. Korean carriers differ in what they accept, so the order is the
// carrier's setting; a common one is (GSM7, EUCKR, UCS2): plain text goes
// as GSM, Korean as EUC-KR, and only what EUC-KR lacks (emoji) as UCS2.
// If none fits it returns the error for the last coding tried.
func Choose(text string, prefs ...DataCoding) (DataCoding, error) {
	err := error(ErrUnsupported)
	for _, dc := range prefs {
		if err = dc.Encodable(text); err == nil {
			return dc, nil
		}
	}
	return 0, err
}
