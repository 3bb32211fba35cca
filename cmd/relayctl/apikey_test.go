package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/tokenfmt"
)

// The printed key fits the format and its printed api_keys entry, loaded
// as a customer's, finds that customer by the key.
func TestNewAPIKey(t *testing.T) {
	var out bytes.Buffer
	cmd := newAPIKeyCmd()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--customer", "shop"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var key string
	for _, line := range strings.Split(out.String(), "\n") {
		if s, ok := strings.CutPrefix(line, "#   "); ok {
			key = s
		}
	}
	if err := tokenfmt.Check(key); err != nil {
		t.Fatalf("printed key %q: %v", key, err)
	}
	c := customer.Config{ID: "shop", SecretHash: "", SecretEnv: "S", Products: []string{"sms"}}
	if _, err := toml.Decode(out.String(), &c); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	cs, err := customer.Load([]customer.Config{c}, customer.LoadOptions{Getenv: func(string) string { return "secret" }, Iterations: customer.MinIterations})
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := customer.NewRegistry(cs, customer.Options{}).CustomerByAPIKey(key); !ok || id != "shop" {
		t.Fatalf("the key finds %q %v, want shop", id, ok)
	}
	if strings.Count(out.String(), key) != 1 {
		t.Error("the key is printed more than once")
	}
}

// A key made and added by relayctl authenticates at once; a third is
// refused naming the limit; a key revoked by its id no longer does.
func TestAPIKeysCommands(t *testing.T) {
	d, adm := startDev(t)
	must := mustRun(t)
	with := func(args ...string) []string { return append(args, adm...) }

	out := must(0, with("api-keys", "add", "shop")...)
	var key string
	for _, line := range strings.Split(out, "\n") {
		if s, ok := strings.CutPrefix(line, "#   "); ok {
			key = s
		}
	}
	if id, _ := d.Customers().CustomerByAPIKey(key); tokenfmt.Check(key) != nil || id != "shop" {
		t.Fatalf("the printed key %q is shop's? %q\n%s", key, id, out)
	}
	hash := customer.HashAPIKey(key)
	if !strings.Contains(out, hash) || strings.Count(out, "sha256:") != 2 {
		t.Fatalf("add did not list both keys:\n%s", out)
	}
	must(1, with("api-keys", "add", "shop", customer.HashAPIKey("rly_third"))...) // the admin API's refusal names the limit
	if out = must(0, with("api-keys", "revoke", "shop", hash[7:19])...); strings.Contains(out, hash) {
		t.Fatalf("revoke listed the revoked key:\n%s", out)
	}
	if id, _ := d.Customers().CustomerByAPIKey(key); id != "" {
		t.Errorf("a revoked key is %q's", id)
	}
	must(2, with("api-keys", "revoke", "shop")...)
}
