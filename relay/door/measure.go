package door

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp/coding"
)

// euckrLen is the carriers' measure of SMS/LMS text.
func euckrLen(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return coding.EUCKRLen(s)
}

func refuse(rule, value, limit, format string, args ...any) *Refusal {
	return &Refusal{Rule: rule, Reason: fmt.Sprintf(format, args...), Value: value, Limit: limit}
}

func itoa(n int) string { return strconv.Itoa(n) }

func tooLong(what string, n, limit int, unit string) *Refusal {
	return refuse(RuleTooLong, itoa(n), itoa(limit), "%s is %d %s, limit %d", what, n, unit, limit)
}

func unencodable(what string, err error) *Refusal {
	var ue *coding.UnencodableError
	if !errors.As(err, &ue) {
		return refuse(RuleUnencodableText, "", "EUC-KR", "%s cannot be encoded in EUC-KR: %v", what, err)
	}
	return refuse(RuleUnencodableText, fmt.Sprintf("%U at character %d", ue.Rune, ue.Index+1), "EUC-KR",
		"%s has %U %q at character %d, which EUC-KR cannot encode", what, ue.Rune, ue.Rune, ue.Index+1)
}

func notAllowed(c *customer.Customer, p message.Product) *Refusal {
	names := make([]string, len(c.Products))
	for i, q := range c.Products {
		names[i] = q.String()
	}
	allowed := strings.Join(names, ",")
	return refuse(RuleProductNotAllowed, p.String(), allowed,
		"customer %s may not send %s (allowed: %s)", c.ID, p, allowed)
}

func checkSender(c *customer.Customer, sender string) *Refusal {
	if c.HasSender(sender) {
		return nil
	}
	return refuse(RuleSenderNotRegistered, sender, "",
		"sender number %q is not registered for customer %s", sender, c.ID)
}

func checkRecipient(s string) *Refusal {
	var buf [maxRecipient]byte
	if _, ok := appendRecipient(buf[:0], s); ok {
		return nil
	}
	return refuse(RuleRecipientInvalid, s, "",
		"recipient %q is not a Korean mobile number (010 + 8 digits, or 011/016/017/018/019 + 7 or 8 digits)", s)
}

func checkAdFormat(c *customer.Customer, text string) *Refusal {
	if !c.Advertising {
		return refuse(RuleAd, "ad", "", "customer %s may not send advertising", c.ID)
	}
	if !strings.HasPrefix(text, AdPrefix) {
		return refuse(RuleAd, firstRunes(text, 4), AdPrefix, "an advertisement must start with %q", AdPrefix)
	}
	if !hasOptOut(text) {
		return refuse(RuleAd, "", "080", "an advertisement must carry a free opt-out number (무료거부/수신거부 080-XXX-XXXX)")
	}
	return nil
}

func nightRefusal(what string, now time.Time, from string) *Refusal {
	t := now.In(Seoul).Format("15:04")
	return refuse(RuleAd, t, from+"-08:00", "%s from %s to 08:00 Seoul time; it is %s", what, from, t)
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

func formatRate(c *customer.Customer) string {
	return strconv.FormatFloat(c.Rate, 'g', -1, 64) + " messages/s (burst " + itoa(c.Burst) + ")"
}

func validImageURL(u string) bool {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return false
	}
	return !strings.ContainsAny(u, " \t\r\n,")
}
