package settle

import (
	"fmt"
	"slices"
	"time"
)

// Calendar tells business days: Monday to Friday, except the built-in
// days off of [KoreanHolidays] for BuiltinFirstYear to BuiltinLastYear
// and the days config adds, unless config removes them. Dates are civil
// dates, held as midnight UTC.
type Calendar struct {
	off map[time.Time]Holiday
}

// NewCalendar builds the calendar: the built-in days off, plus add
// ("YYYY-MM-DD": election days, new holidays, company days off), minus
// remove (built-in days that are business days after all).
func NewCalendar(add, remove []string) (Calendar, error) {
	c := Calendar{off: make(map[time.Time]Holiday, 20*(BuiltinLastYear-BuiltinFirstYear+1))}
	for y := BuiltinFirstYear; y <= BuiltinLastYear; y++ {
		for _, h := range KoreanHolidays(y) {
			if _, dup := c.off[h.Date]; !dup {
				c.off[h.Date] = h
			}
		}
	}
	for _, s := range remove {
		d, err := parseDay(s, "not_holidays")
		if err != nil {
			return Calendar{}, err
		}
		if _, ok := c.off[d]; !ok {
			return Calendar{}, fmt.Errorf("%w: not_holidays %q is not a day off of the built-in calendar", ErrConfig, s)
		}
		delete(c.off, d)
	}
	for _, s := range add {
		d, err := parseDay(s, "holidays")
		if err != nil {
			return Calendar{}, err
		}
		if _, ok := c.off[d]; !ok {
			c.off[d] = Holiday{Date: d, Name: "configured", Public: true}
		}
	}
	return c, nil
}

func parseDay(s, field string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %q: want YYYY-MM-DD", ErrConfig, field, s)
	}
	return d, nil
}

// BusinessDay reports whether the civil date of d is a business day.
func (c Calendar) BusinessDay(d time.Time) bool {
	d = civil(d)
	if weekend(d) {
		return false
	}
	_, off := c.off[d]
	return !off
}

// DaysOff returns the year's days off, built-in and configured, in date
// order (weekends aside).
func (c Calendar) DaysOff(year int) []Holiday {
	var out []Holiday
	for d, h := range c.off {
		if d.Year() == year {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
	return out
}

// NthBusinessDay returns the n-th (from 1) business day of a month.
func (c Calendar) NthBusinessDay(year int, month time.Month, n int) time.Time {
	d := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
	for !c.BusinessDay(d) {
		d = d.AddDate(0, 0, 1)
	}
	return c.AddBusinessDays(d, n-1)
}

// AddBusinessDays returns the n-th business day after d (n ≥ 0; d itself
// for 0).
func (c Calendar) AddBusinessDays(d time.Time, n int) time.Time {
	d = civil(d)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.BusinessDay(d) {
			n--
		}
	}
	return d
}

func civil(d time.Time) time.Time {
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
}
