package tokenfmt

import (
	"errors"
	"testing"
)

func TestNewFitsAndTyposDoNot(t *testing.T) {
	tok := New()
	if err := Check(tok); err != nil {
		t.Fatalf("%s: %v", tok, err)
	}
	flipped := []byte(tok)
	flipped[10] ^= 1 // another base62 character, or a non-base62 one: either way refused
	for _, bad := range []string{"", Prefix, tok[:Len-1], tok + "a", string(flipped), "xly_" + tok[4:]} {
		if err := Check(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("Check(%q) = %v", bad, err)
		}
	}
	if k, err := Seal("benchNotForProd0000001"); err != nil || Check(k) != nil {
		t.Errorf("Seal: %q %v", k, err)
	}
	if _, err := Seal("short"); err == nil {
		t.Error("Seal of a short body passed")
	}
}
