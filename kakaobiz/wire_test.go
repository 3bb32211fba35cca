package kakaobiz

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestAppendRequestIsJSON(t *testing.T) {
	r := &Request{
		Serial: "0194f3a2b1c00001", Type: FriendTalkImage, SenderKey: "key", Recipient: "01012345678",
		SenderNo: "15884954", Text: "(광고) \"quoted\" \\ back\nline\t\x01 \u2028 end", Title: "t",
		Buttons: json.RawMessage(`[{"name":"go","type":"WL"}]`), ImageURL: "https://x/y.jpg", Ad: true,
	}
	var got map[string]any
	if err := json.Unmarshal(appendRequest(nil, r), &got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if got["message"] != r.Text || got["cid"] != r.Serial || got["ad_flag"] != "Y" || got["message_type"] != "FI" ||
		got["fall_back_yn"] != false || got["sender_no"] != "15884954" {
		t.Fatalf("decoded %v", got)
	}
	att := got["attachment"].(map[string]any)
	if att["image"].(map[string]any)["img_url"] != r.ImageURL || len(att["button"].([]any)) != 1 {
		t.Fatalf("attachment %v", att)
	}
}

func TestParseAnswer(t *testing.T) {
	a, err := parseAnswer([]byte(`{"code":"3018","message":"cannot send","uid":"K1","cid":"s1","received_at":"x","extra":[1,2]}`))
	if err != nil || a.Code != "3018" || a.UID != "K1" || a.Message != "cannot send" {
		t.Fatalf("%+v %v", a, err)
	}
	for _, bad := range []string{``, `<html>`, `{}`, `{"code":""}`, `{"code":1000}`, `[]`, `{"code":"` + strings.Repeat("9", 17) + `"}`} {
		if _, err := parseAnswer([]byte(bad)); !errors.Is(err, ErrBadResponse) {
			t.Errorf("parseAnswer(%q) = %v, want ErrBadResponse", bad, err)
		}
	}
}

func TestParseToken(t *testing.T) {
	if tk, err := parseToken([]byte(`{"access_token":"abc","token_type":"bearer","expires_in":3600}`)); err != nil || tk.AccessToken != "abc" {
		t.Fatalf("%+v %v", tk, err)
	}
	for _, bad := range []string{`{"access_token":"a","expires_in":0}`, `{"expires_in":10}`, `{"access_token":"a","expires_in":99999999999}`, `nope`} {
		if _, err := parseToken([]byte(bad)); !errors.Is(err, ErrBadResponse) {
			t.Errorf("parseToken(%q) = %v", bad, err)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"": 0, "3": 3 * time.Second, " 10 ": 10 * time.Second, "-1": 0, "x": 0, "999999": 24 * time.Hour,
		now.Add(90 * time.Second).Format(time.RFC1123): 90 * time.Second,
	}
	for in, want := range cases {
		if got := parseRetryAfter([]byte(in), now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzParseAnswer: any input parses or fails with ErrBadResponse, never
// panics; a parsed answer re-encoded parses to the same answer. The input
// is also fed as its two halves concatenated through a copy, as a reader
// would deliver it in two reads.
func FuzzParseAnswer(f *testing.F) {
	f.Add([]byte(`{"code":"1000","message":"success","uid":"K1","cid":"s1","received_at":"2026-01-01T00:00:00+09:00"}`))
	f.Add([]byte(`{"code":"3005"}`))
	f.Add([]byte(`{"error":"invalid_token"}`))
	f.Add([]byte(`<html>`))
	f.Add([]byte(`{"code":"1000","message":"\u2028\ud800"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		half := len(b) / 2
		joined := append(append(make([]byte, 0, len(b)), b[:half]...), b[half:]...)
		a, err := parseAnswer(joined)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		var enc []byte
		enc = append(enc, `{"code":`...)
		enc = appendJSONString(enc, a.Code)
		enc = append(enc, `,"message":`...)
		enc = appendJSONString(enc, a.Message)
		enc = append(enc, `,"uid":`...)
		enc = appendJSONString(enc, a.UID)
		enc = append(enc, '}')
		b2, err := parseAnswer(enc)
		if err != nil {
			t.Fatalf("re-encoded answer does not parse: %v: %s", err, enc)
		}
		if b2.Code != a.Code || b2.UID != a.UID || !(b2.Message == a.Message || !utf8.ValidString(a.Message)) {
			t.Fatalf("round trip %+v != %+v", b2, a)
		}
		_ = Classify(a.Code)
	})
}

func FuzzParseToken(f *testing.F) {
	f.Add([]byte(`{"access_token":"abc","token_type":"bearer","expires_in":3600}`))
	f.Add([]byte(`{"access_token":"","expires_in":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tk, err := parseToken(b)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if tk.AccessToken == "" || tk.ExpiresIn < 1 {
			t.Fatalf("accepted %+v", tk)
		}
	})
}

// FuzzAppendJSONString: the encoder always yields JSON that decodes to the
// input (with invalid UTF-8 replaced).
func FuzzAppendJSONString(f *testing.F) {
	f.Add("plain")
	f.Add("\"\\\n\x00\u2028한글\xff")
	f.Fuzz(func(t *testing.T, s string) {
		enc := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("%q encoded to invalid JSON %s: %v", s, enc, err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); utf8.ValidString(s) && got != want {
			t.Fatalf("round trip %q -> %q", s, got)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	good := Config{BaseURL: "http://127.0.0.1:1", ClientID: "a", ClientSecret: "b"}.WithDefaults()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*Config){
		func(c *Config) { c.BaseURL = "" },
		func(c *Config) { c.BaseURL = "ftp://x" },
		func(c *Config) { c.BaseURL = "http://x/v2" },
		func(c *Config) { c.ClientSecret = "" },
		func(c *Config) { c.MaxConns = -1 },
		func(c *Config) { c.RequestTimeout = -1 },
		func(c *Config) { c.MaxAttempts = -2 },
		func(c *Config) { c.BackoffMax = time.Nanosecond },
		func(c *Config) { c.MaxResponseBodySize = 10 },
	}
	for i, mod := range bad {
		c := good
		mod(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("case %d: %v, want ErrInvalidConfig", i, err)
		}
	}
}
