package coding

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/korean"
)

// fuzzDecoder checks that dc decodes without panicking and that what it
// decodes re-encodes to octets that decode to the same text.
func fuzzDecoder(f *testing.F, dc DataCoding, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := dc.Decode(b)
		if err != nil {
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 %q", s)
		}
		if strings.ContainsRune(s, utf8.RuneError) && dc != UCS2 {
			return // replacement of undecodable input
		}
		e, err := dc.Encode(s)
		if err != nil {
			t.Fatalf("Encode(Decode(% x)) = %v", b, err)
		}
		s2, err := dc.Decode(e)
		if err != nil || s2 != s {
			t.Fatalf("% x -> %q -> % x -> %q, %v", b, s, e, s2, err)
		}
	})
}

func FuzzDecodeGSM7(f *testing.F) {
	fuzzDecoder(f, GSM7, []byte("hello"), []byte{0x1B, 0x65, 0x00, 0x1B}, []byte{0x1B, 0x1B, 0x41})
}

func FuzzDecodeUCS2(f *testing.F) {
	fuzzDecoder(f, UCS2, []byte{0xAC, 0x00}, []byte{0xD8, 0x3D, 0xDE, 0x00}, []byte{0xDC, 0x00, 0xD8, 0x00})
}

func FuzzDecodeEUCKR(f *testing.F) {
	fuzzDecoder(f, EUCKR, []byte{0xB0, 0xA1, 'a'}, []byte{0x8C, 0x63}, []byte{0xFF, 0xB0})
}

func FuzzDecodeLatin1(f *testing.F) {
	fuzzDecoder(f, Latin1, []byte("caf\xe9"))
}

func FuzzDecodeIA5(f *testing.F) {
	fuzzDecoder(f, IA5, []byte("abc"))
}

func FuzzSplit(f *testing.F) {
	f.Add(strings.Repeat("가", 71), byte(4), byte(0), 0)
	f.Add(strings.Repeat("a", 152)+"€b", byte(0), byte(1), 0)
	f.Add(strings.Repeat("a", 66)+"😀 x", byte(3), byte(2), 70)
	codings := []DataCoding{GSM7, IA5, Latin1, UCS2, EUCKR}
	f.Fuzz(func(t *testing.T, text string, dcSel, mSel byte, part int) {
		dc := codings[int(dcSel)%len(codings)]
		m := Method(int(mSel)%3 + 1)
		lim := Limits{Single: part % 200, Part: part % 200}
		if lim.Part < 0 {
			lim = Limits{}
		}
		parts, err := Split(text, dc, lim, m, 0xBEEF)
		if err != nil {
			return
		}
		eff := lim
		if eff.Part == 0 {
			eff.Part = DefaultLimits(dc, m).Part
		}
		for _, p := range parts {
			if len(parts) > 1 && len(p.Payload) > eff.Part {
				t.Fatalf("part of %d > %d", len(p.Payload), eff.Part)
			}
			if len(parts) > 1 && m != SAR && (len(p.UDH) < 6 || p.UDH[0] != byte(len(p.UDH)-1)) {
				t.Fatalf("bad UDH % x", p.UDH)
			}
		}
		if got := rejoin(t, parts, dc); got != text {
			t.Fatalf("rejoined %q, want %q", got, text)
		}
	})
}

func FuzzSeptets(f *testing.F) {
	f.Add([]byte("hellohello"), 3)
	f.Fuzz(func(t *testing.T, sept []byte, fill int) {
		if fill < 0 {
			fill = -fill
		}
		fill %= 7
		for i := range sept {
			sept[i] &= 0x7F
		}
		p := PackSeptets(nil, sept, fill)
		u, err := UnpackSeptets(nil, p, fill, len(sept))
		if err != nil || !bytes.Equal(u, sept) {
			t.Fatalf("% x -> % x -> % x, %v", sept, p, u, err)
		}
	})
}

// FuzzMeasure checks that the fast measurements agree with encoding.
func FuzzMeasure(f *testing.F) {
	f.Add("안녕 abc 똠 😀")
	f.Add("\xed\x9e\xa3\xed\x9e\xa4\xea\xb0")
	f.Fuzz(func(t *testing.T, text string) {
		n, err := EUCKRLen(text)
		b, encErr := EUCKR.Encode(text)
		if (err == nil) != (encErr == nil) {
			t.Fatalf("EUCKRLen err %v, Encode err %v", err, encErr)
		}
		if err != nil {
			if err.Error() != encErr.Error() || n != len(b) {
				t.Fatalf("EUCKRLen %d, %v; Encode %d, %v", n, err, len(b), encErr)
			}
			return
		}
		if n != len(b) {
			t.Fatalf("EUCKRLen %d, encoded %d", n, len(b))
		}
		for _, dc := range []DataCoding{GSM7, UCS2, Latin1} {
			l, lerr := Len(text, dc)
			e, eerr := dc.Encode(text)
			if (lerr == nil) != (eerr == nil) || (lerr == nil && l != len(e)) {
				t.Fatalf("%v: Len %d, %v; Encode %d, %v", dc, l, lerr, len(e), eerr)
			}
		}
	})
}

// FuzzDecodeEUCKRMatchesXText checks the table decoder against x/text.
func FuzzDecodeEUCKRMatchesXText(f *testing.F) {
	f.Add([]byte{0xB0, 0xA1, 'a', 0x8C, 0x63})
	f.Add([]byte{0xC7, 0x41, 0xFF, 0x81})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := EUCKR.Decode(b)
		want, werr := korean.EUCKR.NewDecoder().Bytes(b)
		if (err == nil) != (werr == nil) || (err == nil && got != string(want)) {
			t.Fatalf("% x: got %q, %v; x/text %q, %v", b, got, err, want, werr)
		}
	})
}
