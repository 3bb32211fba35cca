package door

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// about names the request field a refusal is about.
func (r *Refusal) about(field string) *Refusal {
	r.Field = field
	return r
}

// measured sets the numeric forms of Value and Limit.
func (r *Refusal) measured(n, limit int) *Refusal {
	r.Measured, r.Max = int64(n), int64(limit)
	return r
}

func tooLong(field, what string, n, limit int, unit string) *Refusal {
	return refuse(RuleTooLong, itoa(n), itoa(limit), "%s is %d %s, limit %d", what, n, unit, limit).
		about(field).measured(n, limit)
}

// countRunes counts the characters of s as Kakao does and reports whether s
// is valid UTF-8, in one pass.
func countRunes(s string) (n int, valid bool) {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return n, false
			}
			i += size
		}
		n++
	}
	return n, true
}

func invalidUTF8(what string) *Refusal {
	return refuse(RuleInvalidRequest, "", "", "%s is not valid UTF-8", what).about(what)
}

// unencodable explains why s could not be measured in EUC-KR.
func unencodable(field, what, s string, err error) *Refusal {
	if !utf8.ValidString(s) {
		return invalidUTF8(field)
	}
	var ue *coding.UnencodableError
	if !errors.As(err, &ue) {
		return refuse(RuleUnencodableText, "", "EUC-KR", "%s cannot be encoded in EUC-KR: %v", what, err).about(field)
	}
	return refuse(RuleUnencodableText, fmt.Sprintf("%U at character %d", ue.Rune, ue.Index+1), "EUC-KR",
		"%s has %U %q at character %d, which EUC-KR cannot encode", what, ue.Rune, ue.Rune, ue.Index+1).
		about(field).measured(ue.Index+1, 0)
}

func notAllowed(c *customer.Customer, p message.Product) *Refusal {
	names := make([]string, len(c.Products))
	for i, q := range c.Products {
		names[i] = q.String()
	}
	allowed := strings.Join(names, ",")
	return refuse(RuleProductNotAllowed, p.String(), allowed,
		"customer %s may not send %s (allowed: %s)", c.ID, p, allowed).about("product")
}

func (k *Checker) checkSender(c *customer.Customer, sender string) *Refusal {
	if c.HasSender(sender) {
		return nil
	}
	if num := customer.NormalizeNumber(sender); slices.Contains(k.reserved, num) {
		return refuse(RuleSenderNotRegistered, sender, "",
			"sender number %s is reserved for the company (its representative number); only payment AlimTalk falls back from it", num).about("sender")
	}
	return refuse(RuleSenderNotRegistered, sender, "",
		"sender number %q is not registered for customer %s", sender, c.ID).about("sender")
}

func checkRecipient(s string) *Refusal {
	var buf [maxRecipient]byte
	if _, ok := appendRecipient(buf[:0], s); ok {
		return nil
	}
	return refuse(RuleRecipientInvalid, s, "",
		"recipient %q is not a Korean mobile number (010 + 8 digits, or 011/016/017/018/019 + 7 or 8 digits)", s).about("recipient")
}

func nightRefusal(what string, now time.Time, from string) *Refusal {
	t := now.In(Seoul).Format("15:04")
	return refuse(RuleAd, t, from+"-08:00", "%s from %s to 08:00 Seoul time; it is %s", what, from, t).about("ad")
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

func validImageURL(u string) bool {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return false
	}
	return !strings.ContainsAny(u, " \t\r\n,")
}
