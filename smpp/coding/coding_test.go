package coding

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		dc   DataCoding
		text string
		hex  string // expected encoding, if checked
	}{
		{GSM7, "Hello @£$ ΔΩ", ""},
		{GSM7, "€[]{}|^~\\\f", ""},
		{GSM7, "€", "1b65"},
		{GSM7, "@", "00"},
		{GSM7, "a[b", "611b3c62"},
		{IA5, "plain ASCII ~{}", ""},
		{Latin1, "café ÿ ©", "636166e920ff20a9"},
		{UCS2, "안녕하세요", "c548b155d558c138c694"},
		{UCS2, "emoji 😀 ok", ""},
		{UCS2, "😀", "d83dde00"},
		{EUCKR, "안녕하세요 ABC", ""},
		{EUCKR, "가", "b0a1"},
		{EUCKR, "똠", ""}, // Unified Hangul Code extension, not in KS X 1001
		{EUCKR, "漢字 ※ ㉠", ""},
		{GSM7, "", ""},
		{UCS2, "", ""},
	}
	for _, c := range cases {
		b, err := c.dc.Encode(c.text)
		if err != nil {
			t.Fatalf("%v Encode(%q): %v", c.dc, c.text, err)
		}
		if c.hex != "" && hexOf(b) != c.hex {
			t.Errorf("%v Encode(%q) = %s, want %s", c.dc, c.text, hexOf(b), c.hex)
		}
		n, err := Len(c.text, c.dc)
		if err != nil || n != len(b) {
			t.Errorf("%v Len(%q) = %d, %v; encoded %d", c.dc, c.text, n, err, len(b))
		}
		got, err := c.dc.Decode(b)
		if err != nil || got != c.text {
			t.Errorf("%v Decode(Encode(%q)) = %q, %v", c.dc, c.text, got, err)
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(digits[c>>4])
		sb.WriteByte(digits[c&15])
	}
	return sb.String()
}

func TestUnencodable(t *testing.T) {
	cases := []struct {
		dc     DataCoding
		text   string
		r      rune
		index  int
		offset int
	}{
		{GSM7, "abc가d", '가', 3, 3},
		{GSM7, "é€x한", '한', 3, 6},
		{IA5, "abé", 'é', 2, 2},
		{Latin1, "ab€", '€', 2, 2},
		{EUCKR, "안녕😀", '😀', 2, 6},
		{EUCKR, "ok\u0301", '\u0301', 2, 2},
		{UCS2, "ab\xffcd", '\uFFFD', 2, 2},
	}
	for _, c := range cases {
		_, err := c.dc.Encode(c.text)
		var ue *UnencodableError
		if !errors.As(err, &ue) || !errors.Is(err, ErrUnencodable) {
			t.Fatalf("%v Encode(%q) err = %v, want *UnencodableError", c.dc, c.text, err)
		}
		if ue.Rune != c.r || ue.Index != c.index || ue.Offset != c.offset || ue.Coding != c.dc {
			t.Errorf("%v Encode(%q) = %+v, want rune %q index %d offset %d", c.dc, c.text, ue, c.r, c.index, c.offset)
		}
		if err2 := c.dc.Encodable(c.text); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("Encodable(%q) = %v, want %v", c.text, err2, err)
		}
		if !strings.Contains(err.Error(), "cannot be encoded") {
			t.Errorf("message %q", err)
		}
	}
	if n, err := EUCKRLen("가나😀"); n != 4 || !errors.Is(err, ErrUnencodable) {
		t.Errorf("EUCKRLen = %d, %v", n, err)
	}
}

func TestMeasure(t *testing.T) {
	for _, c := range []struct {
		text  string
		bytes int
		chars int
	}{
		{"", 0, 0},
		{"abc", 3, 3},
		{"안녕하세요", 10, 5},
		{"[광고] 안녕 123", 15, 11},
		{strings.Repeat("가", 40), 80, 40},
		{"한\n글 ", 6, 4},
	} {
		n, err := EUCKRLen(c.text)
		if err != nil || n != c.bytes {
			t.Errorf("EUCKRLen(%q) = %d, %v, want %d", c.text, n, err, c.bytes)
		}
		if got := CharLen(c.text); got != c.chars {
			t.Errorf("CharLen(%q) = %d, want %d", c.text, got, c.chars)
		}
	}
	if n, err := GSMSeptets("a€["); n != 5 || err != nil {
		t.Errorf("GSMSeptets = %d, %v", n, err)
	}
}

func TestChoose(t *testing.T) {
	prefs := []DataCoding{GSM7, EUCKR, UCS2}
	for _, c := range []struct {
		text string
		want DataCoding
	}{
		{"Your code is 1234", GSM7},
		{"인증번호 1234", EUCKR},
		{"축하해요 🎉", UCS2},
	} {
		got, err := Choose(c.text, prefs...)
		if err != nil || got != c.want {
			t.Errorf("Choose(%q) = %v, %v, want %v", c.text, got, err, c.want)
		}
	}
	if _, err := Choose("🎉", GSM7, EUCKR); !errors.Is(err, ErrUnencodable) {
		t.Errorf("Choose without UCS2: %v", err)
	}
}

func TestDecodeMalformed(t *testing.T) {
	for _, c := range []struct {
		dc DataCoding
		b  []byte
	}{
		{GSM7, []byte{0x41, 0x80}},
		{GSM7, []byte{0x1B, 0xFF}},
		{IA5, []byte{0x41, 0xC0}},
		{UCS2, []byte{0x00, 0x41, 0x00}},
	} {
		if _, err := c.dc.Decode(c.b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%v Decode(% x) err = %v", c.dc, c.b, err)
		}
	}
	if _, err := Binary.Decode([]byte{1}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("binary: %v", err)
	}
	// Lenient cases: unknown escape, trailing escape, lone surrogate.
	if s, _ := GSM7.Decode([]byte{0x1B, 0x41, 0x1B}); s != "A " {
		t.Errorf("GSM lenient = %q", s)
	}
	if s, _ := UCS2.Decode([]byte{0xD8, 0x3D, 0x00, 0x41}); s != "\uFFFDA" {
		t.Errorf("UCS2 lone surrogate = %q", s)
	}
	if s, _ := (DataCoding(0xF1)).Decode([]byte{0x41}); s != "A" {
		t.Errorf("class 1 GSM = %q", s)
	}
	if s, _ := (DataCoding(0x18)).Decode([]byte{0xAC, 0x00}); s != "가" {
		t.Errorf("class UCS2 = %q", s)
	}
}

func TestSeptetPacking(t *testing.T) {
	// "hellohello" packed, a well-known test vector.
	sept, _ := GSM7.Encode("hellohello")
	packed := PackSeptets(nil, sept, 0)
	if got := hexOf(packed); got != "e8329bfd4697d9ec37" {
		t.Fatalf("packed = %s", got)
	}
	for fill := range 7 {
		p := PackSeptets(nil, sept, fill)
		u, err := UnpackSeptets(nil, p, fill, len(sept))
		if err != nil || !bytes.Equal(u, sept) {
			t.Errorf("fill %d: % x, %v", fill, u, err)
		}
	}
	if _, err := UnpackSeptets(nil, packed, 0, 11); !errors.Is(err, ErrMalformed) {
		t.Errorf("short input: %v", err)
	}
}
