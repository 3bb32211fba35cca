package settle

import "testing"

// FuzzParsePrice checks that every accepted price formats and parses back
// to itself.
func FuzzParsePrice(f *testing.F) {
	for _, s := range []string{"9.9", "0", "10.05", "1.", "-1", "99999999999.99", " 7.5 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePrice(s)
		if err != nil {
			return
		}
		if p < 0 {
			t.Fatalf("%q parsed negative: %d", s, p)
		}
		q, err := ParsePrice(p.String())
		if err != nil || q != p {
			t.Fatalf("%q → %s → %v, %v", s, p, q, err)
		}
	})
}
