package settle

import (
	"slices"
	"time"

	"github.com/6tail/lunar-go/calendar"
)

// The built-in calendar: Korea's public holidays under 관공서의 공휴일에
// 관한 규정 (as amended 2023-05-04, in force for the years below), computed
// by rule, and 근로자의 날, on which banks are closed. Config adds and
// removes days (see Config).
const (
	BuiltinFirstYear = 2024
	BuiltinLastYear  = 2035
)

// Holiday is one day off of the built-in calendar.
type Holiday struct {
	Date time.Time `json:"date"` // civil date, midnight UTC
	Name string    `json:"name"`
	// Public is false only for 근로자의 날, which is no public holiday but
	// not a business day either.
	Public bool `json:"public"`
}

// substitute says when a holiday earns a substitute day (대체공휴일, Art. 3).
type substitute uint8

const (
	noSubstitute   substitute = iota // 신정, 현충일, elections
	onSundayOrDup                    // Seollal, Chuseok: a day of the three falls on a Sunday or another holiday
	onWeekendOrDup                   // Children's Day; national days (2021); Buddha's Birthday, Christmas (2023)
)

type rule struct {
	name  string
	days  []time.Time
	subst substitute
}

// elections are election days set by 공직선거법 Art. 34 (the first
// Wednesday from 30 days (local), 50 days (National Assembly) or 70 days
// (President) before the term ends; a week later when that day, the day
// before or the day after is a holiday, as 6 June makes it in 2030).
// By-elections and early elections are added by config.
var elections = map[int][]rule{
	2026: {{name: "제9회 전국동시지방선거", days: []time.Time{date(2026, 6, 3)}}},
	2028: {{name: "제23대 국회의원선거", days: []time.Time{date(2028, 4, 12)}}},
	2030: {
		{name: "제22대 대통령선거", days: []time.Time{date(2030, 3, 27)}},
		{name: "제10회 전국동시지방선거", days: []time.Time{date(2030, 6, 12)}},
	},
	2032: {{name: "제24대 국회의원선거", days: []time.Time{date(2032, 4, 14)}}},
	2034: {{name: "제11회 전국동시지방선거", days: []time.Time{date(2034, 5, 31)}}},
}

// KoreanHolidays returns the year's days off by rule, in date order: the
// fixed solar holidays, the three-day Seollal and Chuseok and Buddha's
// Birthday from the lunar calendar taken in KST, the election days of
// the table above, the substitute holidays and 근로자의 날.
func KoreanHolidays(year int) []Holiday {
	lunar3 := func(m, d int) []time.Time {
		x := lunarDate(year, m, d)
		return []time.Time{x.AddDate(0, 0, -1), x, x.AddDate(0, 0, 1)}
	}
	rules := []rule{
		{name: "신정", days: []time.Time{date(year, 1, 1)}},
		{name: "설날", days: lunar3(1, 1), subst: onSundayOrDup},
		{name: "삼일절", days: []time.Time{date(year, 3, 1)}, subst: onWeekendOrDup},
		{name: "어린이날", days: []time.Time{date(year, 5, 5)}, subst: onWeekendOrDup},
		{name: "부처님오신날", days: []time.Time{lunarDate(year, 4, 8)}, subst: onWeekendOrDup},
		{name: "현충일", days: []time.Time{date(year, 6, 6)}},
		{name: "광복절", days: []time.Time{date(year, 8, 15)}, subst: onWeekendOrDup},
		{name: "추석", days: lunar3(8, 15), subst: onSundayOrDup},
		{name: "개천절", days: []time.Time{date(year, 10, 3)}, subst: onWeekendOrDup},
		{name: "한글날", days: []time.Time{date(year, 10, 9)}, subst: onWeekendOrDup},
		{name: "기독탄신일", days: []time.Time{date(year, 12, 25)}, subst: onWeekendOrDup},
	}
	rules = append(rules, elections[year]...)
	count := map[time.Time]int{} // how many holidays fall on a day
	for _, r := range rules {
		for _, d := range r.days {
			count[d]++
		}
	}
	var out []Holiday
	for _, r := range rules {
		for _, d := range r.days {
			out = append(out, Holiday{Date: d, Name: r.name, Public: true})
		}
	}
	// Substitutes, in date order of the holidays that earn them: each is
	// the first weekday after the holiday that is no holiday and no
	// earlier substitute.
	slices.SortStableFunc(rules, func(a, b rule) int { return a.days[0].Compare(b.days[0]) })
	for _, r := range rules {
		if !earnsSubstitute(r, count) {
			continue
		}
		d := r.days[len(r.days)-1].AddDate(0, 0, 1)
		for weekend(d) || count[d] > 0 {
			d = d.AddDate(0, 0, 1)
		}
		count[d]++
		out = append(out, Holiday{Date: d, Name: "대체공휴일(" + r.name + ")", Public: true})
	}
	out = append(out, Holiday{Date: date(year, 5, 1), Name: "근로자의 날"})
	slices.SortStableFunc(out, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
	return out
}

func earnsSubstitute(r rule, count map[time.Time]int) bool {
	for _, d := range r.days {
		dup := count[d] > 1
		switch r.subst {
		case onSundayOrDup:
			if dup || d.Weekday() == time.Sunday {
				return true
			}
		case onWeekendOrDup:
			if dup || weekend(d) {
				return true
			}
		}
	}
	return false
}

// lunarDate is the solar date, in Korea, of a day of a lunar year: the
// lunar library places the month; its first day is the KST date of the
// new moon nearest to the library's (China time) first day.
func lunarDate(year, month, day int) time.Time {
	s := calendar.NewLunarFromYmd(year, month, 1).GetSolar()
	china := date(s.GetYear(), s.GetMonth(), s.GetDay())
	first := civil(newMoonNear(china).In(kst))
	return first.AddDate(0, 0, day-1)
}

var kst = time.FixedZone("KST", 9*60*60)

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func weekend(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }
