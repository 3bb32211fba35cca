package door

import (
	"errors"
	"fmt"
	"time"
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("door: invalid configuration")

// Config holds the limits the door enforces. Byte limits are EUC-KR
// (CP949) bytes, as carriers count them; character limits count runes,
// spaces and line breaks included, as Kakao counts them.
type Config struct {
	// SMSBytes is the SMS limit. The terms say 80 (Art. 2-1); carriers
	// today allow 90, so a deployment may raise it.
	SMSBytes int `toml:"sms_bytes"`
	// LMSBytes is the LMS text limit (Art. 2-1).
	LMSBytes int `toml:"lms_bytes"`
	// LMSSubjectBytes limits an LMS subject. Korean carriers and resellers
	// commonly take a 40-byte subject (20 Hangul syllables); some take
	// more, hence the setting.
	LMSSubjectBytes int `toml:"lms_subject_bytes"`
	// LMSSubjectOptional accepts an LMS requested explicitly without a
	// subject; by default it is refused (MISSING_FIELD). An LMS chosen by
	// product auto never needs one.
	LMSSubjectOptional bool `toml:"lms_subject_optional"`
	// KakaoChars limits AlimTalk and FriendTalk text (Art. 2-4, 2-5).
	KakaoChars int `toml:"kakao_chars"`
	// FriendTalkImageChars limits the text of an image FriendTalk.
	FriendTalkImageChars int `toml:"friendtalk_image_chars"`
	// AlimTalkTitleChars limits an AlimTalk's emphasised title (the
	// message's Subject); Kakao's template rules allow 50 characters.
	AlimTalkTitleChars int `toml:"alimtalk_title_chars"`
}

// DefaultConfig is the terms' limits.
func DefaultConfig() Config {
	return Config{
		SMSBytes:             80,
		LMSBytes:             2000,
		LMSSubjectBytes:      40,
		KakaoChars:           1000,
		FriendTalkImageChars: 400,
		AlimTalkTitleChars:   50,
	}
}

// SetDefaults fills every zero limit with its default, so a `[door]` table
// may name only what it changes (e.g. sms_bytes = 90).
func (c *Config) SetDefaults() {
	d := DefaultConfig()
	for _, f := range []struct{ v, def *int }{
		{&c.SMSBytes, &d.SMSBytes}, {&c.LMSBytes, &d.LMSBytes},
		{&c.LMSSubjectBytes, &d.LMSSubjectBytes}, {&c.KakaoChars, &d.KakaoChars},
		{&c.FriendTalkImageChars, &d.FriendTalkImageChars}, {&c.AlimTalkTitleChars, &d.AlimTalkTitleChars},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
}

// Validate checks that the limits, with defaults for those left zero,
// make sense together.
func (c *Config) Validate() error {
	cfg := *c
	cfg.SetDefaults()
	c = &cfg
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...)))
	}
	if c.SMSBytes < 70 || c.SMSBytes > 140 {
		bad("sms_bytes %d: want 70 to 140 (the terms say 80, carriers allow 90)", c.SMSBytes)
	}
	if c.LMSBytes <= c.SMSBytes || c.LMSBytes > 4000 {
		bad("lms_bytes %d: want more than sms_bytes and at most 4000", c.LMSBytes)
	}
	if c.LMSSubjectBytes < 1 || c.LMSSubjectBytes > 120 {
		bad("lms_subject_bytes %d: want 1 to 120", c.LMSSubjectBytes)
	}
	if c.KakaoChars < 1 || c.FriendTalkImageChars < 1 || c.FriendTalkImageChars > c.KakaoChars {
		bad("kakao_chars %d, friendtalk_image_chars %d: want 1 <= image <= text", c.KakaoChars, c.FriendTalkImageChars)
	}
	if c.AlimTalkTitleChars < 1 {
		bad("alimtalk_title_chars %d: want at least 1", c.AlimTalkTitleChars)
	}
	return errors.Join(errs...)
}

// Seoul is Asia/Seoul, the zone of every time-of-day rule whatever the
// host's zone. Korea has kept +09:00 without daylight saving since 1988,
// so a fixed zone stands in if the host has no tzdata (the daemon imports
// time/tzdata so it always has).
var Seoul = loadSeoul()

func loadSeoul() *time.Location {
	if loc, err := time.LoadLocation("Asia/Seoul"); err == nil {
		return loc
	}
	return time.FixedZone("KST", 9*60*60)
}
