package settle

import (
	"fmt"
	"time"
)

// Calendar tells business days: Monday to Friday, except holidays. Dates
// are civil dates, held as midnight UTC.
type Calendar struct {
	holidays map[time.Time]bool
}

// NewCalendar builds a calendar from holidays as "YYYY-MM-DD".
func NewCalendar(holidays []string) (Calendar, error) {
	c := Calendar{holidays: make(map[time.Time]bool, len(holidays))}
	for _, h := range holidays {
		d, err := time.Parse(time.DateOnly, h)
		if err != nil {
			return Calendar{}, fmt.Errorf("%w: holiday %q: want YYYY-MM-DD", ErrConfig, h)
		}
		c.holidays[d] = true
	}
	return c, nil
}

// BusinessDay reports whether the civil date of d is a business day.
func (c Calendar) BusinessDay(d time.Time) bool {
	d = civil(d)
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !c.holidays[d]
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
