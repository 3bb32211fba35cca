package receipt

import (
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"id:1234567890 sub:001 dlvrd:001 submit date:2311261530 done date:2311261531 stat:DELIVRD err:000 text:Hello",
		"ID:abc Stat:undeliv text:x stat:foo",
		"id:42 text:hello there stat:BUFFRED err:000",
		"id:  42   sub: 001  dlvrd :001 submit date : 231126153005 stat:   enroute",
		"stat:REJECTD foo:bar id:0A1B err:0x0B submit_date:20231126153005 text:",
		"id: stat:DELIVRD",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r, err := Parse(text, TLVs{}, seoul)
		Looks(text)
		if err != nil {
			return
		}
		out := Format(nil, r, seoul)
		r2, err := Parse(string(out), TLVs{}, seoul)
		if err != nil {
			t.Fatalf("%q -> %q: %v", text, out, err)
		}
		if r2.ID != r.ID || r2.Stat != r.Stat || r2.Sub != r.Sub || r2.Dlvrd != r.Dlvrd ||
			!r2.Submitted.Equal(r.Submitted) || !r2.Done.Equal(r.Done) || r2.Err != r.Err || r2.Text != r.Text {
			t.Fatalf("%q\n -> %+v\n -> %q\n -> %+v", text, r, out, r2)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	f.Add("00123", uint8(1))
	f.Add("0x00aBc", uint8(2))
	f.Add("0 0", uint8(4)) // once " 0", whose key is "0"
	f.Fuzz(func(t *testing.T, id string, sel uint8) {
		fm := IDFormat{Base: Base(sel % 3), TrimZeros: sel&4 != 0, FoldCase: sel&8 != 0}
		k := Normalize(id, fm)
		if k2 := Normalize(k, fm); fm.Base != Decimal && k2 != k {
			t.Fatalf("not idempotent: %q -> %q -> %q", id, k, k2)
		}
	})
}
