package bench

import (
	"errors"
	"testing"
)

func TestParseMix(t *testing.T) {
	m, err := ParseMix("sms=6, LMS=2,alimtalk=1,friendtalk=1")
	if err != nil || m != (Mix{SMS: 6, LMS: 2, AlimTalk: 1, FriendTalk: 1}) {
		t.Fatalf("%+v, %v", m, err)
	}
	for _, bad := range []string{"", "sms", "sms=-1", "sms=0", "mms=1", "sms=1,lms=x"} {
		if _, err := ParseMix(bad); !errors.Is(err, ErrConfig) {
			t.Errorf("ParseMix(%q) = %v, want ErrConfig", bad, err)
		}
	}
}

func FuzzParseMix(f *testing.F) {
	for _, s := range []string{"sms=1", "sms=6,lms=2,alimtalk=1,friendtalk=1", "lms=0,sms=3", "x=1", "sms=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMix(s)
		if err != nil {
			return
		}
		back, err := ParseMix(m.String())
		if err != nil || back != m {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, m, m.String(), back, err)
		}
	})
}
