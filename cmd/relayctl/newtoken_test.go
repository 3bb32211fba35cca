package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/msgrelay/relay/relay/admin"
)

func TestNewToken(t *testing.T) {
	var out bytes.Buffer
	cmd := newTokenCmd()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--name", "acme ops", "--customer", "acme"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var tok string
	for _, line := range strings.Split(out.String(), "\n") {
		if s, ok := strings.CutPrefix(line, "#   "); ok {
			tok = s
		}
	}
	if err := admin.CheckTokenFormat(tok); err != nil {
		t.Fatalf("printed token %q: %v", tok, err)
	}
	var cfg struct {
		Admin admin.Config `toml:"admin"`
	}
	if _, err := toml.Decode(out.String(), &cfg); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if err := cfg.Admin.Validate(); err != nil {
		t.Fatal(err)
	}
	toks, err := admin.LoadTokens(cfg.Admin.Tokens, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := toks.Authenticate(tok); err != nil || p.Customer != "acme" || p.Name != "acme ops" {
		t.Fatalf("the printed config does not take the printed token: %+v %v", p, err)
	}
	if strings.Count(out.String(), tok) != 1 {
		t.Fatal("the token is printed more than once")
	}
}
