package kakaobiz_test

import (
	"testing"
	"time"

	"github.com/msgrelay/relay/kakaobiz"
	"github.com/msgrelay/relay/kakaobiz/kakaotest"
)

func TestStatusToken(t *testing.T) {
	e := newEnv(t, kakaotest.Config{TokenTTL: time.Hour}, nil)
	if st := e.cli.Status(); st.Token != kakaobiz.TokenNone {
		t.Fatalf("before any call: %+v", st)
	}
	if err := e.cli.EnsureToken(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if st := e.cli.Status(); st.Token != kakaobiz.TokenValid || st.TokenError != "" {
		t.Fatalf("after EnsureToken: %+v", st)
	}
	if err := e.cli.EnsureToken(ctxT(t)); err != nil || e.srv.Stats().TokensIssued != 1 {
		t.Fatalf("a second EnsureToken with a valid token fetched again: %v, %d issued", err, e.srv.Stats().TokensIssued)
	}
	e.clock.Advance(2 * time.Hour)
	if st := e.cli.Status(); st.Token != kakaobiz.TokenExpired {
		t.Fatalf("after the expiry: %+v", st)
	}
}

func TestStatusRefusedCredentials(t *testing.T) {
	e := newEnv(t, kakaotest.Config{}, func(c *kakaobiz.Config) { c.ClientSecret = "wrong" })
	if err := e.cli.EnsureToken(ctxT(t)); err == nil {
		t.Fatal("EnsureToken with a wrong secret succeeded")
	}
	if st := e.cli.Status(); st.Token != kakaobiz.TokenNone || st.TokenError == "" {
		t.Fatalf("after a refused token: %+v", st)
	}
}
