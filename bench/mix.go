package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseMix reads product weights written "sms=6,lms=2,alimtalk=1,
// friendtalk=1"; products left out weigh 0.
func ParseMix(s string) (Mix, error) {
	var m Mix
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || err != nil || n < 0 {
			return Mix{}, fmt.Errorf("%w: mix %q: want product=weight, weight ≥ 0", ErrConfig, part)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "sms":
			m.SMS = n
		case "lms":
			m.LMS = n
		case "alimtalk":
			m.AlimTalk = n
		case "friendtalk":
			m.FriendTalk = n
		default:
			return Mix{}, fmt.Errorf("%w: mix: unknown product %q", ErrConfig, k)
		}
	}
	if m.total() <= 0 {
		return Mix{}, fmt.Errorf("%w: mix %q weighs nothing", ErrConfig, s)
	}
	return m, nil
}

// String writes the mix as ParseMix reads it.
func (m Mix) String() string {
	return fmt.Sprintf("sms=%d,lms=%d,alimtalk=%d,friendtalk=%d", m.SMS, m.LMS, m.AlimTalk, m.FriendTalk)
}
