package payment

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Placeholders lists the #{name} placeholders a template text may use and
// what each renders to.
var Placeholders = map[string]string{
	"mid":        "the MID",
	"order_id":   "the order id",
	"order_name": "the order name",
	"amount":     "the amount, Korean style: 12,300원",
	"method":     "the payment method: 신용카드, 가상계좌, 계좌이체, 휴대폰결제",
	"bank":       "the virtual account's bank",
	"account":    "the virtual account number",
	"holder":     "the virtual account's holder (예금주)",
	"due":        "the virtual account's deposit deadline, 2006-01-02 15:04 (KST)",
	"time":       "when the event happened, 2006-01-02 15:04 (KST)",
}

// kst is Korea Standard Time; Korea has no daylight saving time.
var kst = time.FixedZone("KST", 9*60*60)

// FormatWon formats an amount of won Korean style: digits grouped by
// thousands and the 원 sign, e.g. 12300 → "12,300원", -5000 → "-5,000원".
func FormatWon(amount int64) string {
	var b [32]byte
	return string(AppendWon(b[:0], amount))
}

// AppendWon appends FormatWon(amount) to dst.
func AppendWon(dst []byte, amount int64) []byte {
	u := uint64(amount)
	if amount < 0 {
		dst = append(dst, '-')
		u = -u
	}
	var d [20]byte
	digits := strconv.AppendUint(d[:0], u, 10)
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, c)
	}
	return append(dst, "원"...)
}

// render fills the placeholders of text from ev.
func render(text string, ev *Event) string {
	var b strings.Builder
	b.Grow(len(text) + 32)
	for {
		i := strings.Index(text, "#{")
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		b.WriteString(value(text[i+2:i+j], ev))
		text = text[i+j+1:]
	}
}

func value(name string, ev *Event) string {
	switch name {
	case "mid":
		return ev.MID
	case "order_id":
		return ev.OrderID
	case "order_name":
		return ev.OrderName
	case "amount":
		return FormatWon(ev.Amount)
	case "method":
		return ev.Method.Label()
	case "bank":
		return ev.Bank
	case "account":
		return ev.Account
	case "holder":
		return ev.Holder
	case "due":
		return formatTime(ev.DueAt)
	case "time":
		return formatTime(ev.At)
	}
	return "#{" + name + "}" // checkPlaceholders refuses unknown names
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(kst).Format("2006-01-02 15:04")
}

// checkPlaceholders refuses unknown or unterminated placeholders.
func checkPlaceholders(text string) error {
	for {
		i := strings.Index(text, "#{")
		if i < 0 {
			return nil
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			return fmt.Errorf("unterminated placeholder %q", text[i:])
		}
		name := text[i+2 : i+j]
		if _, ok := Placeholders[name]; !ok {
			return fmt.Errorf("unknown placeholder #{%s}", name)
		}
		text = text[i+j+1:]
	}
}
