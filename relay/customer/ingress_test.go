package customer

import (
	"errors"
	"testing"
)

func TestAPIKeysAndWebhook(t *testing.T) {
	base := func(id string) Config {
		return Config{ID: id, SecretEnv: "S", Products: []string{"sms"}}
	}
	a := base("a")
	a.APIKeys = []string{HashAPIKey("rly_key_of_a")}
	a.ReportURL = "https://hooks.example.com/relay"
	a.WebhookSecretsEnv = "HOOK"
	b := base("b")
	b.APIKeys = []string{HashAPIKey("rly_key_of_b"), HashAPIKey("rly_second_key_of_b")}
	env := map[string]string{"S": "secret", "HOOK": "whsec_current_0123456789,whsec_next_0123456789ab"}
	cs, err := Load([]Config{a, b}, LoadOptions{Getenv: func(k string) string { return env[k] }, Iterations: MinIterations})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRegistry(cs, Options{})
	for key, want := range map[string]string{"rly_key_of_a": "a", "rly_key_of_b": "b", "rly_second_key_of_b": "b", "rly_nobody": ""} {
		if got, ok := r.CustomerByAPIKey(key); got != want || ok != (want != "") {
			t.Errorf("key %s: %q %v, want %q", key, got, ok, want)
		}
	}
	if got := r.Get("a").WebhookSecrets(); len(got) != 2 || got[0] != "whsec_current_0123456789" {
		t.Errorf("secrets %q", got)
	}
	// A change made at run time keeps the keys.
	if err := r.Suspend("b", "unpaid"); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.CustomerByAPIKey("rly_key_of_b"); got != "b" {
		t.Errorf("after a change: %q", got)
	}

	for name, c := range map[string]func(*Config){
		"bad hash":        func(c *Config) { c.APIKeys = []string{"rly_plain_key"} },
		"url scheme":      func(c *Config) { c.ReportURL, c.WebhookSecrets = "ftp://x/", []string{"0123456789abcdef"} },
		"url credentials": func(c *Config) { c.ReportURL, c.WebhookSecrets = "https://u:p@x/", []string{"0123456789abcdef"} },
		"url no secret":   func(c *Config) { c.ReportURL = "https://x/" },
		"three secrets": func(c *Config) {
			c.WebhookSecrets = []string{"0123456789abcdef", "0123456789abcdeg", "0123456789abcdeh"}
		},
		"short secret": func(c *Config) { c.WebhookSecrets = []string{"short"} },
	} {
		cfg := base("c")
		c(&cfg)
		if err := cfg.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	dup := base("c")
	dup.APIKeys = a.APIKeys
	if err := ValidateAll([]Config{a, dup}); !errors.Is(err, ErrConfig) {
		t.Errorf("a key shared by two customers: %v", err)
	}
}
