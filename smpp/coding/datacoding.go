package coding

import (
	"strconv"
	"unicode/utf8"
)

// DataCoding is the SMPP 3.4 data_coding octet. The values are part of the
// wire format.
type DataCoding uint8

// data_coding values of SMPP 3.4 section 5.2.19.
const (
	GSM7      DataCoding = 0x00 // SMSC default alphabet, taken as GSM 03.38
	IA5       DataCoding = 0x01 // IA5 (CCITT T.50), i.e. ASCII
	Binary8   DataCoding = 0x02 // octet unspecified (8-bit binary)
	Latin1    DataCoding = 0x03 // ISO-8859-1
	Binary    DataCoding = 0x04 // octet unspecified (8-bit binary)
	JIS       DataCoding = 0x05 // JIS (X 0208-1990)
	Cyrillic  DataCoding = 0x06 // ISO-8859-5
	Hebrew    DataCoding = 0x07 // ISO-8859-8
	UCS2      DataCoding = 0x08 // ISO/IEC-10646, carried as UTF-16BE
	Pictogram DataCoding = 0x09 // pictogram encoding
	ISO2022JP DataCoding = 0x0A // music codes
	KanjiJIS  DataCoding = 0x0D // extended Kanji JIS (X 0212-1990)
	EUCKR     DataCoding = 0x0E // KS C 5601, carried as EUC-KR bytes
)

var names = [...]string{
	GSM7: "GSM7", IA5: "IA5", Binary8: "Binary8", Latin1: "Latin1", Binary: "Binary",
	JIS: "JIS", Cyrillic: "Cyrillic", Hebrew: "Hebrew", UCS2: "UCS2",
	Pictogram: "Pictogram", ISO2022JP: "ISO2022JP", KanjiJIS: "KanjiJIS", EUCKR: "EUCKR",
}

func (dc DataCoding) String() string {
	if int(dc) < len(names) && names[dc] != "" {
		return names[dc]
	}
	return "DataCoding(0x" + strconv.FormatUint(uint64(dc), 16) + ")"
}

// Alphabet maps the GSM 03.38 coding groups that carry a message class
// (0x10-0x1F, 0xF0-0xFF) to the plain alphabet they use; other values are
// returned unchanged.
func (dc DataCoding) Alphabet() DataCoding {
	switch {
	case dc&0xF0 == 0xF0:
		if dc&0x04 != 0 {
			return Binary
		}
		return GSM7
	case dc&0xF0 == 0x10:
		switch dc & 0x0C {
		case 0x00:
			return GSM7
		case 0x04:
			return Binary
		case 0x08:
			return UCS2
		}
	}
	return dc
}

// Encode returns text in dc.
func (dc DataCoding) Encode(text string) ([]byte, error) {
	return dc.AppendEncode(make([]byte, 0, dc.capFor(text)), text)
}

// AppendEncode appends text encoded in dc to dst. On error dst is returned
// with whatever was appended before the offending rune.
func (dc DataCoding) AppendEncode(dst []byte, text string) ([]byte, error) {
	a := dc.Alphabet()
	if !a.isText() {
		return dst, ErrUnsupported
	}
	index := 0
	for off := 0; off < len(text); index++ {
		r, size := utf8.DecodeRuneInString(text[off:])
		var ok bool
		if r == utf8.RuneError && size == 1 {
			ok = false
		} else {
			dst, ok = a.appendRune(dst, r)
		}
		if !ok {
			return dst, &UnencodableError{Rune: r, Index: index, Offset: off, Coding: dc}
		}
		off += size
	}
	return dst, nil
}

// Decode returns the text that b carries in dc.
func (dc DataCoding) Decode(b []byte) (string, error) {
	switch dc.Alphabet() {
	case GSM7:
		return decodeGSM(b)
	case IA5:
		return decodeIA5(b)
	case Latin1:
		return decodeLatin1(b), nil
	case UCS2:
		return decodeUCS2(b)
	case EUCKR:
		return decodeEUCKR(b)
	}
	return "", ErrUnsupported
}

// Encodable reports whether every rune of text can be encoded in dc, and
// if not, which one first cannot. It does not allocate on success.
func (dc DataCoding) Encodable(text string) error {
	a := dc.Alphabet()
	if !a.isText() {
		return ErrUnsupported
	}
	index := 0
	for off, r := range text {
		if _, ok := a.runeLen(r, text[off:]); !ok {
			return &UnencodableError{Rune: r, Index: index, Offset: off, Coding: dc}
		}
		index++
	}
	return nil
}

func (dc DataCoding) isText() bool {
	switch dc {
	case GSM7, IA5, Latin1, UCS2, EUCKR:
		return true
	}
	return false
}

// appendRune appends the encoding of r; dc must be a plain text alphabet.
func (dc DataCoding) appendRune(dst []byte, r rune) ([]byte, bool) {
	switch dc {
	case GSM7:
		return appendGSM(dst, r)
	case IA5:
		if r >= utf8.RuneSelf {
			return dst, false
		}
		return append(dst, byte(r)), true
	case Latin1:
		if r > 0xFF {
			return dst, false
		}
		return append(dst, byte(r)), true
	case UCS2:
		return appendUCS2(dst, r), true
	case EUCKR:
		return appendEUCKR(dst, r)
	}
	return dst, false
}

// runeLen returns the encoded length of r, the first rune of rest (rest is
// used to tell invalid UTF-8 from a literal U+FFFD).
func (dc DataCoding) runeLen(r rune, rest string) (int, bool) {
	if r == utf8.RuneError {
		if _, size := utf8.DecodeRuneInString(rest); size == 1 {
			return 0, false
		}
	}
	switch dc {
	case GSM7:
		return gsmLen(r)
	case IA5:
		return 1, r < utf8.RuneSelf
	case Latin1:
		return 1, r <= 0xFF
	case UCS2:
		if r > 0xFFFF {
			return 4, true
		}
		return 2, true
	case EUCKR:
		return euckrRuneLen(r)
	}
	return 0, false
}

// capFor guesses the encoded size of text, to allocate once.
func (dc DataCoding) capFor(text string) int {
	switch dc.Alphabet() {
	case UCS2:
		return 2 * len(text)
	case GSM7:
		return len(text) + 8
	}
	return len(text)
}
