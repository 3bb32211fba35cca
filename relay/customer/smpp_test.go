package customer

import (
	"errors"
	"net/netip"
	"testing"
)

func TestAuthenticateSMPP(t *testing.T) {
	cs, err := Load([]Config{
		{ID: "shop", SecretHash: mustHash(t, "s3cret-value"), SMPPPasswordHash: mustHash(t, "pass1234"),
			SMPPNetworks: []string{"10.1.2.3/24", "::1/128"}, SMPPBinds: 3, Products: []string{"sms"}},
		{ID: "nosmpp", SecretHash: mustHash(t, "other-secret"), Products: []string{"sms"}},
	}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRegistry(cs, Options{})
	c, err := r.AuthenticateSMPP("shop", "pass1234")
	if err != nil || c.ID != "shop" || c.SMPPBinds != 3 {
		t.Fatalf("good password: %v %v", c, err)
	}
	for _, tc := range [][2]string{
		{"shop", "s3cret-value"}, // the upstream secret is not the SMPP password
		{"shop", "wrong"}, {"nosmpp", ""}, {"nosmpp", "other-secret"}, {"nobody", "pass1234"},
	} {
		if c, err := r.AuthenticateSMPP(tc[0], tc[1]); c != nil || !errors.Is(err, ErrAuth) {
			t.Errorf("AuthenticateSMPP(%q, %q) = %v, %v; want ErrAuth", tc[0], tc[1], c, err)
		}
	}
	if _, err := r.Authenticate("shop", "pass1234"); !errors.Is(err, ErrAuth) {
		t.Errorf("the SMPP password opened the upstream protocol: %v", err)
	}
	for addr, want := range map[string]bool{"10.1.2.99": true, "10.1.3.1": false, "::1": true, "::ffff:10.1.2.7": true, "127.0.0.1": false} {
		if got := c.SMPPFrom(netip.MustParseAddr(addr)); got != want {
			t.Errorf("SMPPFrom(%s) = %v, want %v", addr, got, want)
		}
	}
	if r.Get("nosmpp").SMPPFrom(netip.MustParseAddr("192.0.2.1")) != true {
		t.Error("a customer without networks is refused by address")
	}
}

func TestSMPPConfigRefused(t *testing.T) {
	for _, c := range []Config{
		{ID: "a", SecretHash: mustHash(t, "x-secret"), SMPPPasswordHash: "plain", Products: []string{"sms"}},
		{ID: "a", SecretHash: mustHash(t, "x-secret"), SMPPNetworks: []string{"10.0.0.1"}, Products: []string{"sms"}},
		{ID: "a", SecretHash: mustHash(t, "x-secret"), SMPPBinds: -1, Products: []string{"sms"}},
	} {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", c, err)
		}
	}
}
