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
// # Dates
//
// The billing date is the 10th business day of the month after the
// statement's month; the payment due date is the 20th business day after
// the billing date. Business days are Monday to Friday except the holidays
// in [Config].Holidays (Korean public holidays, substitute holidays and
// election days are configured, not built in, because they are announced
// year by year).
//
// # Output
//
// JSON ([Statement] as is) and CSV. The CSV starts with a UTF-8 byte order
// mark so that spreadsheet programs common in Korea read the Hangul product
// names correctly; every other reader may skip those three bytes.
package settle
