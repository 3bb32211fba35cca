package dispatch

import (
	"testing"
	"time"
)

func TestRelativeValidity(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "000000000001000R"},
		{1500 * time.Millisecond, "000000000001000R"},
		{48 * time.Hour, "000002000000000R"},
		{47*time.Hour + 59*time.Minute + 58*time.Second, "000001235958000R"},
		{47*time.Hour + 59*time.Minute + 58*time.Second + 900*time.Millisecond, "000001235958000R"},
		{200 * 24 * time.Hour, "000099000000000R"},
		{48 * time.Hour, "000002000000000R"},
	} {
		if got := relativeValidity(c.d); got != c.want {
			t.Errorf("relativeValidity(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	// Within one second of time left the text is made once.
	d := 47*time.Hour + 12*time.Second
	relativeValidity(d)
	if n := testing.AllocsPerRun(100, func() { relativeValidity(d + 300*time.Millisecond) }); n != 0 {
		t.Errorf("relativeValidity allocates %v times for the same second, want 0", n)
	}
}
