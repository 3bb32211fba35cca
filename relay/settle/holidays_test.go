package settle

import (
	"testing"
	"time"
)

// official holds the days off as announced for 2026 and 2027 (인사혁신처
// and 우주항공청 월력요항), a second source for the computed calendar.
var official = map[int][]string{
	2026: {
		"2026-01-01 신정",
		"2026-02-16 설날", "2026-02-17 설날", "2026-02-18 설날",
		"2026-03-01 삼일절", "2026-03-02 대체공휴일(삼일절)",
		"2026-05-01 근로자의 날",
		"2026-05-05 어린이날",
		"2026-05-24 부처님오신날", "2026-05-25 대체공휴일(부처님오신날)",
		"2026-06-03 제9회 전국동시지방선거",
		"2026-06-06 현충일",
		"2026-08-15 광복절", "2026-08-17 대체공휴일(광복절)",
		"2026-09-24 추석", "2026-09-25 추석", "2026-09-26 추석",
		"2026-10-03 개천절", "2026-10-05 대체공휴일(개천절)",
		"2026-10-09 한글날",
		"2026-12-25 기독탄신일",
	},
	2027: {
		"2027-01-01 신정",
		"2027-02-06 설날", "2027-02-07 설날", "2027-02-08 설날", "2027-02-09 대체공휴일(설날)",
		"2027-03-01 삼일절",
		"2027-05-01 근로자의 날",
		"2027-05-05 어린이날",
		"2027-05-13 부처님오신날",
		"2027-06-06 현충일",
		"2027-08-15 광복절", "2027-08-16 대체공휴일(광복절)",
		"2027-09-14 추석", "2027-09-15 추석", "2027-09-16 추석",
		"2027-10-03 개천절", "2027-10-04 대체공휴일(개천절)",
		"2027-10-09 한글날", "2027-10-11 대체공휴일(한글날)",
		"2027-12-25 기독탄신일", "2027-12-27 대체공휴일(기독탄신일)",
	},
}

func TestCalendarPinned(t *testing.T) {
	for year, want := range official {
		got := KoreanHolidays(year)
		var lines []string
		for _, h := range got {
			lines = append(lines, h.Date.Format(time.DateOnly)+" "+h.Name)
		}
		if len(lines) != len(want) {
			t.Errorf("%d: %d days off, want %d:\n%q", year, len(lines), len(want), lines)
			continue
		}
		for i := range want {
			if lines[i] != want[i] {
				t.Errorf("%d: day %d is %q, want %q", year, i, lines[i], want[i])
			}
		}
	}
}

// TestLunarHolidaysKST checks the lunar holidays of the built-in years
// against the Korean almanac (한국천문연구원 월력요항). The Chinese table
// the library follows differs in 2027 and 2028: Seollal falls a day later
// in Korea (new moons at 00:56 and 00:12 KST).
func TestLunarHolidaysKST(t *testing.T) {
	almanac := map[int][3]string{ // Seollal, Buddha's Birthday, Chuseok
		2024: {"2024-02-10", "2024-05-15", "2024-09-17"},
		2025: {"2025-01-29", "2025-05-05", "2025-10-06"},
		2026: {"2026-02-17", "2026-05-24", "2026-09-25"},
		2027: {"2027-02-07", "2027-05-13", "2027-09-15"},
		2028: {"2028-01-27", "2028-05-02", "2028-10-03"},
		2029: {"2029-02-13", "2029-05-20", "2029-09-22"},
		2030: {"2030-02-03", "2030-05-09", "2030-09-12"},
	}
	for year, want := range almanac {
		for i, md := range [3][2]int{{1, 1}, {4, 8}, {8, 15}} {
			if got := lunarDate(year, md[0], md[1]).Format(time.DateOnly); got != want[i] {
				t.Errorf("lunar %d-%d-%d = %s, want %s", year, md[0], md[1], got, want[i])
			}
		}
	}
}

// TestNewMoonMargin makes sure that no new moon the built-in years use
// falls so close to a KST midnight that the computation's error (well
// under a minute) could move it to the other day.
func TestNewMoonMargin(t *testing.T) {
	for y := BuiltinFirstYear; y <= BuiltinLastYear; y++ {
		for _, m := range []int{1, 4, 8} {
			nm := newMoonNear(lunarDate(y, m, 1)).In(kst)
			mid := civil(nm)
			since := time.Date(nm.Year(), nm.Month(), nm.Day(), nm.Hour(), nm.Minute(), nm.Second(), 0, time.UTC).Sub(mid)
			if since < 10*time.Minute || since > 24*time.Hour-10*time.Minute {
				t.Errorf("new moon of lunar %d-%d at %s: too near midnight to trust", y, m, nm)
			}
		}
	}
}

func TestSubstituteRules(t *testing.T) {
	has := func(day, name string) bool {
		d, _ := time.Parse(time.DateOnly, day)
		for _, h := range KoreanHolidays(d.Year()) {
			if h.Date.Equal(d) && h.Name == name {
				return true
			}
		}
		return false
	}
	for _, c := range []struct{ day, name string }{
		// Chuseok 2028 (2-4 Oct) overlaps 개천절 (3 Oct): one substitute,
		// the first weekday after both.
		{"2028-10-05", "대체공휴일(추석)"},
		// Chuseok 2029 (21-23 Sep) ends on a Sunday.
		{"2029-09-24", "대체공휴일(추석)"},
		// Children's Day 2029 on a Saturday.
		{"2029-05-07", "대체공휴일(어린이날)"},
		// Seollal 2030 (2-4 Feb) overlaps a Sunday.
		{"2030-02-05", "대체공휴일(설날)"},
	} {
		if !has(c.day, c.name) {
			t.Errorf("no %s on %s", c.name, c.day)
		}
	}
	// Seollal/Chuseok do not earn a substitute for a Saturday: Chuseok
	// 2026 is Thu-Sat.
	if has("2026-09-28", "대체공휴일(추석)") {
		t.Error("Chuseok 2026 got a substitute for its Saturday")
	}
	// 현충일 and 신정 never do: 6 Jun 2027 is a Sunday.
	if has("2027-06-07", "대체공휴일(현충일)") {
		t.Error("현충일 got a substitute")
	}
}

func TestCalendarConfig(t *testing.T) {
	c, err := NewCalendar([]string{"2027-04-07"}, []string{"2027-05-13"})
	if err != nil {
		t.Fatal(err)
	}
	for day, want := range map[string]bool{
		"2027-04-07": false, // added (e.g. a by-election)
		"2027-05-13": true,  // Buddha's Birthday removed
		"2027-03-01": false, // built in
		"2027-05-03": true,
		"2026-05-01": false, // 근로자의 날: banks are closed
	} {
		d, _ := time.Parse(time.DateOnly, day)
		if c.BusinessDay(d) != want {
			t.Errorf("BusinessDay(%s) = %v, want %v", day, !want, want)
		}
	}
	if _, err := NewCalendar(nil, []string{"2027-05-12"}); err == nil {
		t.Error("removing a day that is not off was accepted")
	}
}

// TestFebruary2027Billing is the case of the issue: 3·1절 is Monday
// 2027-03-01, so the 10th business day of March 2027 is the 15th.
func TestFebruary2027Billing(t *testing.T) {
	s, err := New(Config{Prices: map[string]Price{"sms": 990, "lms": 3000, "alimtalk": 750,
		"friendtalk_text": 1300, "friendtalk_image": 2000, "payment_alimtalk": 750}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Statement("acme", "2027-02", nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.BillingDate != "2027-03-15" {
		t.Fatalf("February 2027 billed on %s, want 2027-03-15", st.BillingDate)
	}
}
