package coding

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseUDH(t *testing.T) {
	for _, m := range []Method{UDH8, UDH16} {
		parts, err := Split(strings.Repeat("가", 100), UCS2, Limits{}, m, 0xA1B2)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			udh, payload, c, ok, err := ParseUDH(p.ShortMessage(nil))
			if err != nil || !ok {
				t.Fatalf("%v: %v %v", m, ok, err)
			}
			if !bytes.Equal(udh, p.UDH) || !bytes.Equal(payload, p.Payload) ||
				c.Ref != p.Ref || c.Total != p.Total || c.Seq != p.Seq || c.Ref16 != (m == UDH16) {
				t.Errorf("%v: got %+v, part %+v", m, c, p)
			}
		}
	}
	// Port addressing element (IEI 0x05) before the concatenation one.
	sm := []byte{0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x07, 0x02, 0x01, 'h', 'i'}
	if _, payload, c, ok, err := ParseUDH(sm); err != nil || !ok || c.Ref != 7 || c.Total != 2 || c.Seq != 1 || string(payload) != "hi" {
		t.Errorf("mixed elements: %+v %v %v %q", c, ok, err, payload)
	}
	// Invalid sequence numbers are ignored, not errors.
	if _, _, _, ok, err := ParseUDH([]byte{0x05, 0x00, 0x03, 0x01, 0x02, 0x03}); ok || err != nil {
		t.Errorf("seq > total: %v %v", ok, err)
	}
	for _, bad := range [][]byte{nil, {0x05, 0x00, 0x03}, {0x02, 0x00, 0x03}, {0x03, 0x00, 0x03, 0x01}} {
		if _, _, _, _, err := ParseUDH(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseUDH(% x) err = %v", bad, err)
		}
	}
}

func FuzzParseUDH(f *testing.F) {
	f.Add([]byte{0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 'a'})
	f.Add([]byte{0x06, 0x08, 0x04, 0x01, 0x02, 0x02, 0x02})
	f.Fuzz(func(t *testing.T, sm []byte) {
		udh, payload, c, ok, err := ParseUDH(sm)
		if err != nil {
			return
		}
		if len(udh)+len(payload) != len(sm) || len(udh) != int(sm[0])+1 {
			t.Fatalf("lengths %d+%d of %d", len(udh), len(payload), len(sm))
		}
		if ok && (c.Seq == 0 || c.Seq > c.Total) {
			t.Fatalf("bad concat %+v", c)
		}
	})
}
