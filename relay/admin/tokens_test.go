package admin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	opTok, fileTok := NewToken(), NewToken()
	dir := t.TempDir()
	file := filepath.Join(dir, "tok")
	if err := os.WriteFile(file, []byte(fileTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Tokens: []TokenConfig{
		{Name: "ops", Hash: HashToken(opTok)},
		{Name: "acme", Customer: "acme", File: file},
	}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	toks, err := LoadTokens(cfg.Tokens, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := toks.Authenticate(fileTok); err != nil || p.Customer != "acme" || p.Operator() {
		t.Fatalf("file token: %+v %v", p, err)
	}
	if p, err := toks.Authenticate(opTok); err != nil || !p.Operator() || p.Name != "ops" {
		t.Fatalf("operator token: %+v %v", p, err)
	}
	for _, bad := range []string{"", opTok[:len(opTok)-1], fileTok + "\n", NewToken()} {
		if _, err := toks.Authenticate(bad); !errors.Is(err, ErrAuth) {
			t.Errorf("%q authenticated", bad)
		}
	}
	for name, c := range map[string]Config{
		"two sources": {Tokens: []TokenConfig{{Name: "a", Hash: HashToken("x"), Env: "X"}}},
		"no name":     {Tokens: []TokenConfig{{Env: "X"}}},
		"bad hash":    {Tokens: []TokenConfig{{Name: "a", Hash: "md5:00"}}},
		"dup name":    {Tokens: []TokenConfig{{Name: "a", Env: "X"}, {Name: "a", Env: "Y"}}},
	} {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The operator's token with its last character changed: its check
	// digits no longer match. (Always to another character: a token that
	// happened to end in the replacement stayed valid, 1 run in 62.)
	last := "x"
	if strings.HasSuffix(opTok, last) {
		last = "y"
	}
	for _, v := range []string{"short", "a-long-token-of-the-old-kind-0123456789", opTok[:len(opTok)-1] + last} {
		if _, err := LoadTokens([]TokenConfig{{Name: "a", Env: "T"}}, func(string) string { return v }); !errors.Is(err, ErrConfig) {
			t.Errorf("env token %q not in the format: %v", v, err)
		}
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	var cfgs []TokenConfig
	var last string
	for i := range 50 {
		last = NewToken()
		cfgs = append(cfgs, TokenConfig{Name: string(rune('a' + i)), Hash: HashToken(last)})
	}
	toks, err := LoadTokens(cfgs, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := toks.Authenticate(last); err != nil {
			b.Fatal(err)
		}
	}
}
