package smppserver

import (
	"errors"
	"time"
)

var errBadTime = errors.New("smppserver: bad SMPP time")

// parseTime reads an SMPP 3.4 time (7.1.1): absolute "YYMMDDhhmmsstnnp"
// where t is tenths of a second and nn quarter hours from UTC, ahead ('+')
// or behind ('-'); or relative "YYMMDDhhmmss000R", an interval from now.
// An empty string is the zero time.
func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) != 16 {
		return time.Time{}, errBadTime
	}
	var d [15]int
	for i := 0; i < 15; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return time.Time{}, errBadTime
		}
		d[i] = int(c - '0')
	}
	two := func(i int) int { return d[i]*10 + d[i+1] }
	yy, mo, dd, hh, mi, ss := two(0), two(2), two(4), two(6), two(8), two(10)
	tenth, nn := d[12], two(13)
	switch s[15] {
	case 'R':
		// Relative: years and months count as 365 and 30 days, which only
		// matters for intervals far beyond any limit the relay allows.
		dur := time.Duration(yy)*365*24*time.Hour + time.Duration(mo)*30*24*time.Hour +
			time.Duration(dd)*24*time.Hour + time.Duration(hh)*time.Hour +
			time.Duration(mi)*time.Minute + time.Duration(ss)*time.Second
		return now.Add(dur), nil
	case '+', '-':
		if mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59 || nn > 48 {
			return time.Time{}, errBadTime
		}
		off := nn * 15 * 60
		if s[15] == '-' {
			off = -off
		}
		t := time.Date(2000+yy, time.Month(mo), dd, hh, mi, ss, tenth*int(100*time.Millisecond), time.FixedZone("", off))
		if t.Day() != dd {
			return time.Time{}, errBadTime // 31 February and the like
		}
		return t, nil
	default:
		return time.Time{}, errBadTime
	}
}
