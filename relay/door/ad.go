package door

import (
	"strings"
	"time"

	"github.com/msgrelay/relay/relay/customer"
)

// AdPrefix must open every advertising message.
const AdPrefix = "(광고)"

// Phrases that announce the free opt-out number of an advertisement.
var optOutWords = []string{"무료거부", "무료수신거부", "수신거부"}

// hasOptOut reports whether text names a free opt-out: one of optOutWords
// and an 080 number (080-XXX-XXXX or 080-XXXX-XXXX, '-' and spaces allowed).
func hasOptOut(text string) bool {
	found := false
	for _, w := range optOutWords {
		if strings.Contains(text, w) {
			found = true
			break
		}
	}
	return found && has080(text)
}

func has080(text string) bool {
	for i := 0; i+3 <= len(text); i++ {
		if text[i:i+3] != "080" || (i > 0 && isDigit(text[i-1])) {
			continue
		}
		digits, j := 0, i
		for ; j < len(text) && (isDigit(text[j]) || text[j] == '-' || text[j] == ' '); j++ {
			if isDigit(text[j]) {
				digits++
			}
		}
		if digits == 10 || digits == 11 {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// minuteOfDay is the minute since midnight in Seoul.
func minuteOfDay(now time.Time) int {
	t := now.In(Seoul)
	return t.Hour()*60 + t.Minute()
}

// AdFriendTalkAllowed reports whether Kakao takes an advertising FriendTalk
// at now: not from 20:50 to 08:00 Seoul time.
func AdFriendTalkAllowed(now time.Time) bool {
	m := minuteOfDay(now)
	return m >= 8*60 && m < 20*60+50
}

// AdSMSAllowed reports whether an advertising SMS/LMS (including the
// fallback of an advertising FriendTalk) may be sent at now: not from 21:00
// to 08:00 Seoul time, when the law needs a separate night-time consent.
// The dispatcher asks it before sending an ad fallback leg.
func AdSMSAllowed(now time.Time) bool {
	m := minuteOfDay(now)
	return m >= 8*60 && m < 21*60
}

// checkAd applies the rules every advertisement keeps, flagged or not: the
// customer may advertise, the text opens with the prefix and carries the
// free opt-out line (the relay never adds it), and the recipient has not
// opted out of the customer's advertising. The night rules are the
// caller's: they differ by product.
func (k *Checker) checkAd(c *customer.Customer, req *Request) *Refusal {
	text := req.Text
	if !c.Advertising {
		why := "flagged as advertising"
		if !req.Kakao.Ad {
			why = "its text opens with " + AdPrefix
		}
		return refuse(RuleAd, firstRunes(text, 8), "",
			"customer %s may not send advertising; the message is an advertisement (%s)", c.ID, why).about("ad")
	}
	if !IsAdText(text) {
		return refuse(RuleAd, firstRunes(text, 4), AdPrefix, "an advertisement must start with %q", AdPrefix).about("text")
	}
	if !hasOptOut(text) {
		return refuse(RuleAd, "", "080", "an advertisement must carry a free opt-out number (무료거부/수신거부 080-XXX-XXXX); the relay does not add it").about("text")
	}
	if k.optOuts != nil {
		var buf [maxRecipient]byte
		if rcpt, ok := appendRecipient(buf[:0], req.Recipient); ok && k.optOuts.OptedOut(c.ID, string(rcpt)) {
			return refuse(RuleOptedOut, string(rcpt), "",
				"recipient %s has opted out of customer %s's advertising (080 수신거부)", rcpt, c.ID).about("recipient")
		}
	}
	return nil
}
