package admin

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestTokens(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tok")
	if err := os.WriteFile(file, []byte("file-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Tokens: []TokenConfig{
		{Name: "ops", Hash: HashToken("op-token-0123456789")},
		{Name: "acme", Customer: "acme", File: file},
	}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	toks, err := LoadTokens(cfg.Tokens, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := toks.Authenticate("file-token-0123456789"); err != nil || p.Customer != "acme" || p.Operator() {
		t.Fatalf("file token: %+v %v", p, err)
	}
	if p, err := toks.Authenticate("op-token-0123456789"); err != nil || !p.Operator() || p.Name != "ops" {
		t.Fatalf("operator token: %+v %v", p, err)
	}
	for _, bad := range []string{"", "op-token-012345678", "file-token-0123456789\n"} {
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
	if _, err := LoadTokens([]TokenConfig{{Name: "a", Env: "SHORT"}}, func(string) string { return "short" }); !errors.Is(err, ErrConfig) {
		t.Errorf("short env token: %v", err)
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	var cfgs []TokenConfig
	for i := range 50 {
		cfgs = append(cfgs, TokenConfig{Name: string(rune('a' + i)), Hash: HashToken("token-" + string(rune('a'+i)) + "-0123456789")})
	}
	toks, err := LoadTokens(cfgs, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := toks.Authenticate("token-z-0123456789"); err != nil {
			b.Fatal(err)
		}
	}
}
