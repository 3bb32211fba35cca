package webhook

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignatures(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":"message.final","message_id":"0123456789abcdef"}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	oldS, newS := "whsec_old_secret_0001", "whsec_new_secret_0002"
	both := Sign([]string{oldS, newS}, "rpt_1", now.Unix(), body)
	if n := len(strings.Fields(both)); n != 2 {
		t.Fatalf("two secrets give %d signatures: %q", n, both)
	}
	// During a rotation a receiver knowing either secret accepts.
	for _, secrets := range [][]string{{oldS}, {newS}, {newS, oldS}} {
		if err := Verify(secrets, "rpt_1", ts, both, body, now); err != nil {
			t.Errorf("receiver with %v: %v", secrets, err)
		}
	}
	cases := map[string]struct {
		secrets     []string
		id, ts, sig string
		body        []byte
		at          time.Time
		want        error
	}{
		"wrong secret":    {[]string{"whsec_other_secret_03"}, "rpt_1", ts, both, body, now, ErrNoSignature},
		"body changed":    {[]string{oldS}, "rpt_1", ts, both, append(body[:len(body):len(body)], ' '), now, ErrNoSignature},
		"id changed":      {[]string{oldS}, "rpt_2", ts, both, body, now, ErrNoSignature},
		"timestamp moved": {[]string{oldS}, "rpt_1", strconv.FormatInt(now.Unix()+1, 10), both, body, now.Add(time.Second), ErrNoSignature},
		"5m1s old":        {[]string{oldS}, "rpt_1", ts, both, body, now.Add(Tolerance + time.Second), ErrStale},
		"5m1s ahead":      {[]string{oldS}, "rpt_1", ts, both, body, now.Add(-Tolerance - time.Second), ErrStale},
		"no timestamp":    {[]string{oldS}, "rpt_1", "", both, body, now, ErrBadTimestamp},
		"unknown version": {[]string{oldS}, "rpt_1", ts, strings.ReplaceAll(both, "v1,", "v2,"), body, now, ErrNoSignature},
		"not base64":      {[]string{oldS}, "rpt_1", ts, "v1,@@@", body, now, ErrNoSignature},
	}
	for name, c := range cases {
		if err := Verify(c.secrets, c.id, c.ts, c.sig, c.body, c.at); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// Just inside the window.
	if err := Verify([]string{oldS}, "rpt_1", ts, both, body, now.Add(Tolerance)); err != nil {
		t.Errorf("exactly 5 minutes old: %v", err)
	}
}

func TestTargetPolicy(t *testing.T) {
	strict, _ := (&Config{}).guard()
	dev, _ := (&Config{AllowHTTP: true, AllowLoopback: true}).guard()
	listed, _ := (&Config{AllowNetworks: []string{"10.9.0.0/16"}}).guard()
	for _, c := range []struct {
		g    *guard
		addr string
		ok   bool
	}{
		{strict, "203.0.113.7", true},
		{strict, "2001:db8::1", true},
		{strict, "127.0.0.1", false},
		{strict, "::1", false},
		{strict, "::ffff:127.0.0.1", false},
		{strict, "10.1.2.3", false},
		{strict, "192.168.0.1", false},
		{strict, "172.16.0.1", false},
		{strict, "169.254.169.254", false}, // cloud metadata
		{strict, "fd00::1", false},
		{strict, "100.64.0.1", false},
		{strict, "0.0.0.0", false},
		{strict, "224.0.0.1", false},
		{dev, "127.0.0.1", true},
		{dev, "10.1.2.3", false},
		{listed, "10.9.8.7", true},
		{listed, "10.8.8.7", false},
	} {
		err := c.g.checkAddr(netip.MustParseAddr(c.addr))
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrTarget)) {
			t.Errorf("%+v %s: %v", *c.g, c.addr, err)
		}
	}
	for url, ok := range map[string]bool{
		"https://hooks.example.com/r": true,
		"http://hooks.example.com/r":  false,
		"https://127.0.0.1/r":         false,
		"https://u:p@example.com/r":   false,
		"ftp://example.com/":          false,
		"/relative":                   false,
	} {
		if _, err := strict.checkURL(url); (err == nil) != ok {
			t.Errorf("%s: %v", url, err)
		}
	}
	// The resolved address is checked at connect time: a name that is not
	// an address literal passes checkURL and is refused when dialled.
	if _, err := strict.checkURL("https://localhost:1/r"); err != nil {
		t.Fatal(err)
	}
	_, err := strict.dialer(time.Second)(context.Background(), "tcp", "localhost:1")
	if !errors.Is(err, ErrTarget) {
		t.Fatalf("dialling localhost under the strict policy: %v", err)
	}
}

// FuzzVerify: no header or body panics the receiver's check, and only a
// signature made with the secret over exactly id, timestamp and body passes.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":"message.final"}`)
	f.Add("rpt_1", "1800000000", Sign([]string{"whsec_fuzz_secret_01"}, "rpt_1", now.Unix(), body), body)
	f.Add("", "", "v1, v1,=== v2,abc", []byte{})
	f.Add("rpt_1", "-9223372036854775808", "v1,AAAA", body)
	f.Fuzz(func(t *testing.T, id, ts, sig string, b []byte) {
		secrets := []string{"whsec_fuzz_secret_01"}
		err := Verify(secrets, id, ts, sig, b, now)
		if err != nil {
			return
		}
		n, perr := strconv.ParseInt(ts, 10, 64)
		if perr != nil {
			t.Fatalf("accepted timestamp %q", ts)
		}
		want := "v1," + Sign(secrets, id, n, b)[3:]
		if !strings.Contains(sig, want) {
			t.Fatalf("accepted %q without the signature %q", sig, want)
		}
	})
}
