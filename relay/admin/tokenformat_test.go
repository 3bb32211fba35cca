package admin

import (
	"errors"
	"strings"
	"testing"
)

func TestTokenFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok := NewToken()
		if err := CheckTokenFormat(tok); err != nil {
			t.Fatalf("%s: %v", tok, err)
		}
		if seen[tok] {
			t.Fatalf("%s twice", tok)
		}
		seen[tok] = true
	}
	tok := NewToken()
	flip := func(i int) string {
		b := []byte(tok)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	for name, bad := range map[string]string{
		"empty":          "",
		"old dev token":  "dev-operator-token",
		"no prefix":      "xyz_" + tok[4:],
		"short":          tok[:len(tok)-1],
		"long":           tok + "0",
		"not base62":     tok[:10] + "-" + tok[11:],
		"typo in random": flip(10),
		"typo in crc":    flip(len(tok) - 1),
		"60,000 bytes":   TokenPrefix + strings.Repeat("a", 60000),
	} {
		if err := CheckTokenFormat(bad); !errors.Is(err, ErrTokenFormat) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzCheckTokenFormat(f *testing.F) {
	f.Add(NewToken())
	f.Add("rly_")
	f.Fuzz(func(t *testing.T, tok string) {
		if CheckTokenFormat(tok) == nil && (len(tok) != TokenLen || !strings.HasPrefix(tok, TokenPrefix)) {
			t.Fatalf("%q passed", tok)
		}
	})
}
