package coding

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func rejoin(t testing.TB, parts []Part, dc DataCoding) string {
	t.Helper()
	var sb strings.Builder
	for _, p := range parts {
		s, err := dc.Decode(p.Payload)
		if err != nil {
			t.Fatalf("part %d/%d does not decode alone: %v", p.Seq, p.Total, err)
		}
		sb.WriteString(s)
	}
	return sb.String()
}

func TestSplitBoundaries(t *testing.T) {
	hangul := func(n int) string { return strings.Repeat("가", n) }
	cases := []struct {
		name string
		text string
		dc   DataCoding
		m    Method
		want []int // payload sizes
	}{
		{"gsm exact", strings.Repeat("a", 160), GSM7, UDH8, []int{160}},
		{"gsm one over udh8", strings.Repeat("a", 161), GSM7, UDH8, []int{153, 8}},
		{"gsm one over udh16", strings.Repeat("a", 161), GSM7, UDH16, []int{152, 9}},
		{"gsm one over sar", strings.Repeat("a", 161), GSM7, SAR, []int{153, 8}},
		{"gsm escape on boundary", strings.Repeat("a", 152) + "€" + strings.Repeat("b", 10), GSM7, UDH8, []int{152, 12}},
		{"gsm escape just fits", strings.Repeat("a", 151) + "€" + strings.Repeat("b", 10), GSM7, UDH8, []int{153, 10}},
		{"gsm escapes count two", strings.Repeat("€", 80), GSM7, UDH8, []int{160}},
		{"gsm escapes over", strings.Repeat("€", 81), GSM7, UDH8, []int{152, 10}},
		{"ucs2 exact", strings.Repeat("가", 70), UCS2, UDH8, []int{140}},
		{"ucs2 one over", strings.Repeat("가", 71), UCS2, UDH8, []int{134, 8}},
		{"ucs2 one over udh16", strings.Repeat("가", 71), UCS2, UDH16, []int{132, 10}},
		{"ucs2 surrogate on boundary", strings.Repeat("a", 66) + "😀" + strings.Repeat("b", 10), UCS2, UDH8, []int{132, 24}},
		{"ucs2 surrogate just fits", strings.Repeat("a", 65) + "😀" + strings.Repeat("b", 10), UCS2, UDH8, []int{134, 20}},
		{"euckr exact", hangul(70), EUCKR, UDH8, []int{140}},
		{"euckr one over", hangul(70) + "a", EUCKR, UDH8, []int{134, 7}},
		{"euckr double byte on boundary", "a" + hangul(70), EUCKR, UDH8, []int{133, 8}},
		{"euckr udh16", hangul(71), EUCKR, UDH16, []int{132, 10}},
		{"latin1", strings.Repeat("é", 141), Latin1, UDH8, []int{134, 7}},
		{"empty", "", GSM7, UDH8, []int{0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parts, err := Split(c.text, c.dc, Limits{}, c.m, 0x1234)
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int
			for _, p := range parts {
				sizes = append(sizes, len(p.Payload))
			}
			if !equalInts(sizes, c.want) {
				t.Fatalf("sizes %v, want %v", sizes, c.want)
			}
			if got := rejoin(t, parts, c.dc); got != c.text {
				t.Fatalf("rejoined %q", got)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSplitHeaders(t *testing.T) {
	text := strings.Repeat("x", 400)
	parts, err := Split(text, GSM7, Limits{}, UDH8, 0x1234)
	if err != nil || len(parts) != 3 {
		t.Fatalf("%d parts, %v", len(parts), err)
	}
	for i, p := range parts {
		want := []byte{0x05, 0x00, 0x03, 0x34, 3, byte(i + 1)}
		if !bytes.Equal(p.UDH, want) || p.Ref != 0x34 || p.Total != 3 || p.Seq != uint8(i+1) {
			t.Errorf("part %d: udh % x ref %x %d/%d", i, p.UDH, p.Ref, p.Seq, p.Total)
		}
		sm := p.ShortMessage(nil)
		if len(sm) > 160 || !bytes.Equal(sm[:6], want) {
			t.Errorf("short_message % x", sm[:8])
		}
	}
	parts, _ = Split(text, GSM7, Limits{}, UDH16, 0x1234)
	if want := []byte{0x06, 0x08, 0x04, 0x12, 0x34, 3, 2}; !bytes.Equal(parts[1].UDH, want) {
		t.Errorf("udh16 % x, want % x", parts[1].UDH, want)
	}
	parts, _ = Split(text, GSM7, Limits{}, SAR, 0x1234)
	for i, p := range parts {
		if p.UDH != nil || p.Ref != 0x1234 || p.Total != 3 || p.Seq != uint8(i+1) {
			t.Errorf("sar part %d: %+v", i, p)
		}
	}
	// A part's slices must not let an append run into the next part.
	p0 := parts[0].Payload
	_ = append(p0, 'Z')
	if parts[1].Payload[0] != 'x' {
		t.Error("payloads share spare capacity")
	}
}

func TestSplitLimitsAndErrors(t *testing.T) {
	// Korean SMS limit of 90 bytes for a single message.
	parts, err := Split(strings.Repeat("가", 46), EUCKR, Limits{Single: 90, Part: 84}, SAR, 7)
	if err != nil || len(parts) != 2 || len(parts[0].Payload) != 84 {
		t.Fatalf("custom limits: %d parts, %v", len(parts), err)
	}
	if _, err := Split(strings.Repeat("a", 153*255+1), GSM7, Limits{}, UDH8, 1); !errors.Is(err, ErrTooManyParts) {
		t.Errorf("256 parts: %v", err)
	}
	if _, err := Split(strings.Repeat("a", 153*255), GSM7, Limits{}, UDH8, 1); err != nil {
		t.Errorf("255 parts: %v", err)
	}
	if _, err := Split("a가", GSM7, Limits{}, UDH8, 1); !errors.Is(err, ErrUnencodable) {
		t.Errorf("unencodable: %v", err)
	}
	if _, err := Split(strings.Repeat("a", 200), GSM7, Limits{Part: 3}, UDH8, 1); !errors.Is(err, ErrBadLimits) {
		t.Errorf("bad limits: %v", err)
	}
	if _, err := Split(strings.Repeat("a", 200), GSM7, Limits{}, Method(9), 1); !errors.Is(err, ErrUnsupported) {
		t.Errorf("bad method: %v", err)
	}
}
