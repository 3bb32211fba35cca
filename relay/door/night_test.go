package door

import (
	"fmt"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

// seoulClock is the host clock's reading at hh:mm Seoul time on a winter
// and a summer day, expressed in the host's zone, as time.Now would give it.
func seoulClock(day time.Time, hh, mm int) time.Time {
	kst := time.FixedZone("test+09", 9*3600)
	return time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, kst).In(time.Local)
}

func TestNightRules(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	saved := time.Local
	t.Cleanup(func() { time.Local = saved })
	days := []time.Time{
		time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), // New York on EST
		time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC), // New York on EDT
	}
	cases := []struct {
		hh, mm          int
		friendTalk, sms bool
	}{
		{20, 49, true, true},
		{20, 50, false, true},
		{20, 59, false, true},
		{21, 0, false, false},
		{0, 0, false, false},
		{7, 59, false, false},
		{8, 0, true, true},
		{12, 0, true, true},
	}
	for _, host := range []*time.Location{time.UTC, ny} {
		time.Local = host
		for _, day := range days {
			k := newChecker(t, nil)
			for _, tc := range cases {
				now := seoulClock(day, tc.hh, tc.mm)
				name := fmt.Sprintf("%s %s %02d:%02d KST (host %s)", host, day.Format("Jan"), tc.hh, tc.mm, now.Format("15:04 MST"))
				if got := AdFriendTalkAllowed(now); got != tc.friendTalk {
					t.Errorf("%s: AdFriendTalkAllowed = %v", name, got)
				}
				if got := AdSMSAllowed(now); got != tc.sms {
					t.Errorf("%s: AdSMSAllowed = %v", name, got)
				}
				req := kakao(message.ProductFriendTalkText, adText)
				req.Kakao.Ad = true
				_, r := k.Check(testCustomer(), req, now)
				if (r == nil) != tc.friendTalk {
					t.Errorf("%s: ad FriendTalk refusal %v", name, r)
				}
				if r != nil && (r.Rule != RuleAd || r.Value != fmt.Sprintf("%02d:%02d", tc.hh, tc.mm)) {
					t.Errorf("%s: refusal %+v does not name the Seoul time", name, r)
				}
				info := kakao(message.ProductAlimTalk, "주문 완료")
				if _, r := k.Check(testCustomer(), info, now); r != nil {
					t.Errorf("%s: AlimTalk refused at night: %v", name, r)
				}
				adSMS := sms("(광고)세일 무료거부 0801234567")
				adSMS.Kakao.Ad = true
				if _, r := k.Check(testCustomer(), adSMS, now); (r == nil) != tc.sms {
					t.Errorf("%s: ad SMS refusal %v", name, r)
				}
			}
		}
	}
}

func TestSeoulFallback(t *testing.T) {
	if Seoul == nil {
		t.Fatal("no Seoul zone")
	}
	_, off := time.Date(2026, 7, 1, 0, 0, 0, 0, Seoul).Zone()
	if off != 9*3600 {
		t.Fatalf("Seoul offset %d", off)
	}
}
