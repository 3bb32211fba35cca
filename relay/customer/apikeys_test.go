package customer

import (
	"errors"
	"slices"
	"testing"
)

type keyLog struct {
	changes []string
	fail    error
}

func (l *keyLog) CustomerChanged(ch Change, c *Customer) error {
	l.changes = append(l.changes, string(ch)+" "+c.ID)
	return l.fail
}

func (l *keyLog) APIKeyChanged(id, hash string, revoked bool) error {
	verb := "add"
	if revoked {
		verb = "revoke"
	}
	l.changes = append(l.changes, verb+" "+id+" "+hash)
	return l.fail
}

func TestAPIKeysAtRunTime(t *testing.T) {
	a, b := Config{ID: "a", SecretEnv: "S", Products: []string{"sms"}, APIKeys: []string{HashAPIKey("rly_key_of_a")}},
		Config{ID: "b", SecretEnv: "S", Products: []string{"sms"}}
	cs, err := Load([]Config{a, b}, LoadOptions{Getenv: func(string) string { return "secret" }, Iterations: MinIterations})
	if err != nil {
		t.Fatal(err)
	}
	obs := &keyLog{}
	r := NewRegistry(cs, Options{Observer: obs})
	owner := func(key string) string { id, _ := r.CustomerByAPIKey(key); return id }

	second := HashAPIKey("rly_second_key_of_a")
	if err := r.AddAPIKey("a", second); err != nil {
		t.Fatal(err)
	}
	if owner("rly_second_key_of_a") != "a" || owner("rly_key_of_a") != "a" {
		t.Fatal("both of a's keys should authenticate")
	}
	if want := []string{"add a " + second}; !slices.Equal(obs.changes, want) {
		t.Errorf("observer: %q, want %q", obs.changes, want)
	}
	for name, tc := range map[string]struct {
		id, hash string
		want     error
	}{
		"a third key":         {"a", HashAPIKey("rly_third"), ErrTooManyKeys},
		"another's key":       {"b", second, ErrKeyTaken},
		"its own key again":   {"a", second, ErrDuplicate},
		"not a hash":          {"b", "rly_plain_key", ErrConfig},
		"an unknown customer": {"nobody", HashAPIKey("rly_x"), ErrUnknown},
	} {
		if err := r.AddAPIKey(tc.id, tc.hash); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if len(obs.changes) != 1 {
		t.Errorf("a refused change reached the observer: %q", obs.changes)
	}

	// Revoked by id (the configured key) and by hash.
	first := HashAPIKey("rly_key_of_a")
	if got, err := r.RevokeAPIKey("a", first[len("sha256:"):][:12]); err != nil || got != first {
		t.Fatalf("revoke by id: %q %v", got, err)
	}
	if owner("rly_key_of_a") != "" || owner("rly_second_key_of_a") != "a" {
		t.Error("a revoked key authenticates, or the other one stopped")
	}
	if _, err := r.RevokeAPIKey("a", first); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoked twice: %v", err)
	}
	if _, err := r.RevokeAPIKey("b", second); !errors.Is(err, ErrNotFound) {
		t.Errorf("another customer's key revoked: %v", err)
	}
	// A revoked key may go to another customer.
	if err := r.AddAPIKey("b", first); err != nil || owner("rly_key_of_a") != "b" {
		t.Errorf("a revoked key given to b: %v, owner %q", err, owner("rly_key_of_a"))
	}
	if keys := r.Get("b").APIKeys(); len(keys) != 1 || keys[0].Hash != first || keys[0].ID != first[7:19] {
		t.Errorf("b's keys: %+v", keys)
	}

	// A change the observer refuses is not made.
	obs.fail = errors.New("disk full")
	if _, err := r.RevokeAPIKey("b", first); err == nil || owner("rly_key_of_a") != "b" {
		t.Errorf("a revoke not persisted: %v, owner %q", err, owner("rly_key_of_a"))
	}

	// The file keeps to the limit too.
	c := Config{ID: "c", SecretEnv: "S", Products: []string{"sms"},
		APIKeys: []string{HashAPIKey("rly_1"), HashAPIKey("rly_2"), HashAPIKey("rly_3")}}
	if err := c.Validate(); !errors.Is(err, ErrConfig) {
		t.Errorf("three keys in the file: %v", err)
	}
}

func TestWithAPIKeys(t *testing.T) {
	cs, err := Load([]Config{{ID: "a", SecretEnv: "S", Products: []string{"sms"}}},
		LoadOptions{Getenv: func(string) string { return "secret" }, Iterations: MinIterations})
	if err != nil {
		t.Fatal(err)
	}
	h := HashAPIKey("rly_k")
	n, err := cs[0].WithAPIKeys([]string{h, h})
	if err != nil || len(n.APIKeys()) != 1 || len(cs[0].APIKeys()) != 0 {
		t.Fatalf("%v %v %v", err, n.APIKeys(), cs[0].APIKeys())
	}
	if _, err := cs[0].WithAPIKeys([]string{"sha256:zz"}); !errors.Is(err, ErrConfig) {
		t.Errorf("a bad hash: %v", err)
	}
	if got, err := CheckAPIKeyHash("SHA256:" + h[7:]); err == nil {
		t.Errorf("a prefix in capitals accepted: %q", got)
	}
}
