package receipt

import (
	"slices"
	"strconv"
	"time"
)

// Format appends r as a standard receipt text:
//
//	id:ID sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD err:000 text:...
//
// with dates in loc (nil means UTC). Fields that are absent in r (Sub or
// Dlvrd below 0, zero dates, empty Err) are left out; text: is always
// written, last. A date with non-zero seconds is written with 12 digits, and
// one outside 2000-2099 with 14, so that Parse reads back the same time; a
// simulated SMSC that wants the plain 10-digit form truncates to the minute.
// A StatOther is written as its StatText. r.ID and the other values must not
// contain spaces for the text to parse back to the same fields.
func Format(dst []byte, r Receipt, loc *time.Location) []byte {
	if loc == nil {
		loc = time.UTC
	}
	// Grown once: the fixed parts and two 14-digit dates take 100 bytes.
	dst = slices.Grow(dst, 100+len(r.ID)+len(r.StatText)+len(r.Err)+len(r.Text))
	dst = append(dst, "id:"...)
	dst = append(dst, r.ID...)
	if r.Sub >= 0 {
		dst = appendCount(append(dst, " sub:"...), r.Sub)
	}
	if r.Dlvrd >= 0 {
		dst = appendCount(append(dst, " dlvrd:"...), r.Dlvrd)
	}
	if !r.Submitted.IsZero() {
		dst = appendDate(append(dst, " submit date:"...), r.Submitted.In(loc))
	}
	if !r.Done.IsZero() {
		dst = appendDate(append(dst, " done date:"...), r.Done.In(loc))
	}
	stat := r.Stat.String()
	if r.Stat == StatOther && r.StatText != "" {
		stat = r.StatText
	}
	if stat != "" {
		dst = append(append(dst, " stat:"...), stat...)
	}
	if r.Err != "" {
		dst = append(append(dst, " err:"...), r.Err...)
	}
	dst = append(dst, " text:"...)
	return append(dst, r.Text...)
}

// appendCount writes n with at least three digits, as receipts do.
func appendCount(dst []byte, n int) []byte {
	for d := 100; d > 1 && n < d; d /= 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, int64(n), 10)
}

func append2(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

func appendDate(dst []byte, t time.Time) []byte {
	y := t.Year()
	if y >= 2000 && y <= 2099 {
		dst = append2(dst, y-2000)
	} else {
		dst = append2(append2(dst, y/100%100), y%100)
	}
	dst = append2(dst, int(t.Month()))
	dst = append2(dst, t.Day())
	dst = append2(dst, t.Hour())
	dst = append2(dst, t.Minute())
	if t.Second() != 0 || y < 2000 || y > 2099 {
		dst = append2(dst, t.Second())
	}
	return dst
}
