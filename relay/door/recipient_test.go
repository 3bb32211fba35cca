package door

import (
	"strings"
	"testing"
)

func TestNormalizeRecipient(t *testing.T) {
	good := map[string]string{
		"01012345678":      "01012345678",
		"010-1234-5678":    "01012345678",
		" 010 1234 5678 ":  "01012345678",
		"+821012345678":    "01012345678",
		"+82 10-1234-5678": "01012345678",
		"821012345678":     "01012345678",
		"82-10-1234-5678":  "01012345678",
		"0111234567":       "0111234567",
		"011-123-4567":     "0111234567",
		"016-1234-5678":    "01612345678",
		"+82 19 123 4567":  "0191234567",
		"017-123-4567":     "0171234567",
		"018-1234-5678":    "01812345678",
	}
	for in, want := range good {
		got, ok := NormalizeRecipient(in)
		if !ok || got != want {
			t.Errorf("NormalizeRecipient(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	bad := []string{
		"", "010", "0101234567", "010123456789", "01212345678", "0151234567",
		"02-123-4567", "+1 010 1234 5678", "+8210123456789", "82", "+82",
		"010-1234-567a", "０１０１２３４５６７８", "8201012345678", "+", "1012345678",
	}
	for _, in := range bad {
		if got, ok := NormalizeRecipient(in); ok {
			t.Errorf("NormalizeRecipient(%q) = %q, want invalid", in, got)
		}
	}
	if n := testing.AllocsPerRun(100, func() { NormalizeRecipient("01012345678") }); n != 0 {
		t.Errorf("normalised input allocates %v", n)
	}
}

func FuzzNormalizeRecipient(f *testing.F) {
	for _, s := range []string{"010-1234-5678", "+82 10 1234 5678", "0111234567", "82", "+8", "--", "0101234567890"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := NormalizeRecipient(s)
		if !ok {
			if got != "" {
				t.Fatalf("invalid %q gave %q", s, got)
			}
			return
		}
		if len(got) < 10 || len(got) > 11 || !strings.HasPrefix(got, "01") || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("%q normalised to %q", s, got)
		}
		if again, ok := NormalizeRecipient(got); !ok || again != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, again)
		}
		if got[2] == '0' && len(got) != 11 {
			t.Fatalf("010 number %q of %d digits", got, len(got))
		}
	})
}

func FuzzHasOptOut(f *testing.F) {
	f.Add("(광고) 무료거부 080-123-4567")
	f.Add("080080080")
	f.Fuzz(func(t *testing.T, s string) {
		_ = hasOptOut(s) // must not panic
		_ = firstRunes(s, 4)
	})
}
