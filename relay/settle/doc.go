// Package settle produces a customer's monthly statement (월 정산서, terms
// Art. 7-1): successes per product, unit prices, the supply amount, VAT and
// the total, with the billing and payment due dates.
//
// # Arithmetic
//
// Unit prices are KRW per message, VAT excluded (application form,
// section 3). They may have up to two decimal places (e.g. 8.4 or 9.90
// won, as Korean per-message prices often do) and are held exactly as
// integer hundredths of a won ([Price]); no floating point is used.
//
//	line amount = count × unit price                exact, in 0.01 won
//	supply      = floor(Σ line amounts)             whole won; 원 미만 절사
//	VAT         = floor(supply × 10 / 100)          whole won, once per statement
//	total       = supply + VAT
//
// Truncating the fraction of a won, and computing VAT once on the whole
// supply amount, is the usual practice of Korean tax invoices (세금계산서).
//
// # Prices
//
// [Config].Prices are the unit prices from the beginning; each
// [PriceChange] sets new prices from the first day of a month, for every
// customer or for one (a contract price, which holds until that
// customer's next change, whatever general changes follow). A month is
// priced with the prices in force during it ([Settler.Prices]). A
// statement built here is a preview; an issued statement is the stored
// record of one (the admin API issues them) and never changes.
//
// # Dates
//
// The billing date is the 10th business day of the month after the
// statement's month; the payment due date is the 20th business day after
// the billing date. A business day is a weekday that is neither a public
// holiday under 관공서의 공휴일에 관한 규정 (substitute holidays and election
// days included) nor 근로자의 날 (1 May), when banks are closed.
//
// # Calendar
//
// The built-in calendar ([KoreanHolidays], BuiltinFirstYear to
// BuiltinLastYear) is computed by rule, as the regulation stands since its
// amendment of 2023-05-04:
//
//   - fixed solar days: 신정 1/1, 삼일절 3/1, 어린이날 5/5, 현충일 6/6,
//     광복절 8/15, 개천절 10/3, 한글날 10/9, 기독탄신일 12/25;
//   - from the lunar calendar: 설날 (the day before, of and after lunar
//     1/1), 부처님오신날 (4/8), 추석 (the day before, of and after 8/15).
//     The lunar library (github.com/6tail/lunar-go) places the months in
//     China time; the first day of a month is the KST day of its new moon
//     (newmoon.go), which moves Seollal 2027 and 2028 a day later than in
//     China. Tests check the dates against the Korean almanac;
//   - substitute holidays (대체공휴일), each the first weekday after that
//     is no holiday: for 설날 and 추석 when one of the three days is a
//     Sunday or another holiday; for 어린이날, the national days
//     (삼일절, 광복절, 개천절, 한글날; since 2021) and 부처님오신날 and
//     기독탄신일 (since 2023) when the day is a Saturday, a Sunday or
//     another holiday; never for 신정, 현충일 or election days;
//   - the election days set by 공직선거법 Art. 34 (the table in holidays.go);
//   - 근로자의 날 (5/1).
//
// [Config].Holidays adds days (by-elections, newly legislated holidays,
// company days off); [Config].NotHolidays removes built-in ones.
//
// # Output
//
// JSON ([Statement] as is) and CSV. The CSV starts with a UTF-8 byte order
// mark so that spreadsheet programs common in Korea read the Hangul product
// names correctly; every other reader may skip those three bytes.
package settle
