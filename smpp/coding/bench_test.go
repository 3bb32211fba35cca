package coding

import (
	"strings"
	"testing"
)

// sms80 is an 80-byte Korean SMS: 36 Hangul syllables and 8 ASCII bytes;
// lms2000 is an LMS just under 2,000 bytes.
var sms80 = strings.Repeat("가나다라마바사아자차카타", 3) + " 1234567"

var lms2000 = strings.Repeat("주문하신 상품이 발송되었습니다. ", 62) + "abcdefghijklmn"

func TestBenchInputs(t *testing.T) {
	if n, _ := EUCKRLen(sms80); n != 80 {
		t.Errorf("sms80 is %d bytes", n)
	}
	if n, _ := EUCKRLen(lms2000); n < 1900 || n > 2000 {
		t.Errorf("lms2000 is %d bytes", n)
	}
}

func BenchmarkEUCKRLenSMS(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EUCKRLen(sms80); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEUCKRLenLMS(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EUCKRLen(lms2000); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCharLenLMS(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		CharLen(lms2000)
	}
}

func benchEncode(b *testing.B, dc DataCoding, text string) {
	b.ReportAllocs()
	buf := make([]byte, 0, 4096)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		var err error
		if buf, err = dc.AppendEncode(buf[:0], text); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecode(b *testing.B, dc DataCoding, text string) {
	enc, err := dc.Encode(text)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := dc.Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

var korean70 = strings.Repeat("가나다라마바사아자차", 7)

func BenchmarkEncodeUCS2(b *testing.B)  { benchEncode(b, UCS2, korean70) }
func BenchmarkEncodeEUCKR(b *testing.B) { benchEncode(b, EUCKR, korean70) }
func BenchmarkDecodeUCS2(b *testing.B)  { benchDecode(b, UCS2, korean70) }
func BenchmarkDecodeEUCKR(b *testing.B) { benchDecode(b, EUCKR, korean70) }
func BenchmarkEncodeGSM7(b *testing.B)  { benchEncode(b, GSM7, strings.Repeat("Hello €", 20)) }

func BenchmarkSplitEUCKRLMS(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Split(lms2000, EUCKR, Limits{}, UDH8, 1); err != nil {
			b.Fatal(err)
		}
	}
}
