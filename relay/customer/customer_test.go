package customer

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/msgrelay/relay/relay/message"
)

const testIter = MinIterations

func mustHash(t testing.TB, secret string) string {
	t.Helper()
	h, err := HashSecret(secret, testIter)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testRegistry(t testing.TB, obs Observer) *Registry {
	t.Helper()
	cs, err := Load([]Config{{
		ID: "shop", Name: "Shop", SecretHash: mustHash(t, "s3cret-value"),
		Products: []string{"sms", "lms"}, Senders: []string{"02-123-4567", "1588 4954"},
	}}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return NewRegistry(cs, Options{Observer: obs})
}

func TestAuthenticate(t *testing.T) {
	r := testRegistry(t, nil)
	c, err := r.Authenticate("shop", "s3cret-value")
	if err != nil || c.ID != "shop" {
		t.Fatalf("good secret: %v %v", c, err)
	}
	for _, tc := range [][2]string{{"shop", "wrong"}, {"shop", ""}, {"nobody", "s3cret-value"}, {"", ""}} {
		c, err := r.Authenticate(tc[0], tc[1])
		if c != nil || !errors.Is(err, ErrAuth) {
			t.Errorf("Authenticate(%q, %q) = %v, %v; want ErrAuth", tc[0], tc[1], c, err)
		}
		if err != nil && strings.Contains(err.Error(), tc[0]) && tc[0] != "" {
			t.Errorf("error %q names the id", err)
		}
	}
}

func TestSecretFromEnvAndFile(t *testing.T) {
	env := map[string]string{"SHOP_SECRET": "from-env"}
	files := map[string]string{"/run/secret": "from-file\n"}
	opts := LoadOptions{
		Getenv:     func(k string) string { return env[k] },
		ReadFile:   func(p string) ([]byte, error) { return []byte(files[p]), nil },
		Iterations: testIter,
	}
	cs, err := Load([]Config{
		{ID: "a", SecretEnv: "SHOP_SECRET", Products: []string{"sms"}},
		{ID: "b", SecretFile: "/run/secret", Products: []string{"sms"}},
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRegistry(cs, Options{})
	if _, err := r.Authenticate("a", "from-env"); err != nil {
		t.Errorf("env secret: %v", err)
	}
	if _, err := r.Authenticate("b", "from-file"); err != nil {
		t.Errorf("file secret: %v", err)
	}
	_, err = Load([]Config{{ID: "c", SecretEnv: "MISSING", Products: []string{"sms"}}}, opts)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "MISSING") {
		t.Errorf("missing env: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	h := mustHash(t, "x-secret")
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = fmt.Sprintf("0212345%02d", i)
	}
	bad := map[string]Config{
		"no id":         {SecretHash: h, Products: []string{"sms"}},
		"two secrets":   {ID: "a", SecretHash: h, SecretEnv: "X", Products: []string{"sms"}},
		"no secret":     {ID: "a", Products: []string{"sms"}},
		"bad hash":      {ID: "a", SecretHash: "sha1$abc", Products: []string{"sms"}},
		"auto product":  {ID: "a", SecretHash: h, Products: []string{"auto"}},
		"no products":   {ID: "a", SecretHash: h},
		"bad sender":    {ID: "a", SecretHash: h, Products: []string{"sms"}, Senders: []string{"02-abc"}},
		"11 senders":    {ID: "a", SecretHash: h, Products: []string{"sms"}, Senders: eleven},
		"dup sender":    {ID: "a", SecretHash: h, Products: []string{"sms"}, Senders: []string{"0212345678", "02-1234-5678"}},
		"negative rate": {ID: "a", SecretHash: h, Products: []string{"sms"}, Rate: -1},
		"no reason":     {ID: "a", SecretHash: h, Products: []string{"sms"}, Suspended: true},
	}
	for name, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Validate() = %v, want ErrConfig", name, err)
		}
	}
	if err := (&Config{ID: "a", SecretHash: h, Products: []string{"sms"}, Senders: eleven[:10]}).Validate(); err != nil {
		t.Errorf("10 senders: %v", err)
	}
	err := ValidateAll([]Config{{ID: "a", SecretHash: h, Products: []string{"sms"}}, {ID: "a", SecretHash: h, Products: []string{"sms"}}})
	if !errors.Is(err, ErrConfig) {
		t.Errorf("duplicate id: %v", err)
	}
	cs, err := Load([]Config{{ID: "a", SecretHash: h, Products: []string{"sms"}}}, LoadOptions{})
	if err != nil || cs[0].Rate != DefaultRate || cs[0].Burst != DefaultRate {
		t.Errorf("defaults: %+v %v", cs, err)
	}
}

func TestSenderLimit(t *testing.T) {
	r := testRegistry(t, nil)
	for i := 0; i < MaxSenders-2; i++ {
		if err := r.AddSender("shop", fmt.Sprintf("010-1234-%04d", i)); err != nil {
			t.Fatalf("sender %d: %v", i+3, err)
		}
	}
	if n := len(r.Get("shop").Senders); n != MaxSenders {
		t.Fatalf("have %d senders", n)
	}
	err := r.AddSender("shop", "010-9999-9999")
	if !errors.Is(err, ErrTooManySenders) || !strings.Contains(err.Error(), "10") {
		t.Fatalf("11th sender: %v", err)
	}
	if err := r.RemoveSender("shop", "1588-4954"); err != nil {
		t.Fatal(err)
	}
	if r.Get("shop").HasSender("15884954") {
		t.Fatal("removed sender still registered")
	}
	if err := r.AddSender("shop", "010-9999-9999"); err != nil {
		t.Fatalf("after removal: %v", err)
	}
	if err := r.AddSender("shop", "01099999999"); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := r.RemoveSender("shop", "0000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("remove unknown: %v", err)
	}
	if err := r.AddSender("nobody", "0212345678"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown customer: %v", err)
	}
}

func TestSuspendResumeAndObserver(t *testing.T) {
	var seen []Change
	fail := false
	r := testRegistry(t, ObserverFunc(func(ch Change, c *Customer) error {
		if fail {
			return errors.New("disk full")
		}
		seen = append(seen, ch)
		return nil
	}))
	before := r.Get("shop")
	if err := r.Suspend("shop", "unpaid fees"); err != nil {
		t.Fatal(err)
	}
	c := r.Get("shop")
	if !c.Suspended || c.SuspendReason != "unpaid fees" {
		t.Fatalf("not suspended: %+v", c)
	}
	if before.Suspended {
		t.Fatal("a published customer was modified in place")
	}
	fail = true
	if err := r.Resume("shop"); err == nil {
		t.Fatal("observer error not returned")
	}
	if !r.Get("shop").Suspended {
		t.Fatal("change published although the observer failed")
	}
	fail = false
	if err := r.Resume("shop"); err != nil || r.Get("shop").Suspended {
		t.Fatalf("resume: %v", err)
	}
	if len(seen) != 2 || seen[0] != ChangeSuspend || seen[1] != ChangeResume {
		t.Fatalf("observer saw %v", seen)
	}
}

func TestRegistryConcurrent(t *testing.T) {
	r := testRegistry(t, nil)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				c := r.Get("shop")
				if len(c.Senders) > MaxSenders {
					t.Error("more than MaxSenders visible")
					return
				}
				_ = c.HasSender("0212345678")
				_ = c.Suspended
			}
		})
	}
	for i := range 200 {
		num := fmt.Sprintf("0101234%04d", i%20)
		_ = r.AddSender("shop", num)
		_ = r.RemoveSender("shop", num)
		if i%2 == 0 {
			_ = r.Suspend("shop", "test")
		} else {
			_ = r.Resume("shop")
		}
	}
	close(stop)
	wg.Wait()
	c := r.Get("shop")
	if c.Suspended || len(c.Senders) != 2 {
		t.Fatalf("final state %+v", c)
	}
}

func TestLogOmitsSecret(t *testing.T) {
	env := func(string) string { return "very-secret-token" }
	cs, err := Load([]Config{{ID: "shop", SecretEnv: "X", Products: []string{"sms", "alimtalk"}}},
		LoadOptions{Getenv: env, Iterations: testIter})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	r := NewRegistry(cs, Options{Logger: log})
	log.Info("loaded", "customer", r.Get("shop"))
	_ = r.Suspend("shop", "spoofing")
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("json", "customer", r.Get("shop"))
	out := buf.String()
	for _, secret := range []string{"very-secret-token", "pbkdf2", b64.EncodeToString(r.Get("shop").secret.key)} {
		if strings.Contains(out, secret) {
			t.Fatalf("log contains %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "customer.id=shop") || !strings.Contains(out, "alimtalk") {
		t.Fatalf("log lacks the customer:\n%s", out)
	}
	key := fmt.Sprint(r.Get("shop").secret.key)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, r.Get("shop")); strings.Contains(s, key) || !strings.Contains(s, "shop") {
			t.Errorf("fmt %s = %q", verb, s)
		}
	}
}

func TestNumbers(t *testing.T) {
	if got := NormalizeNumber("010-1234 5678"); got != "01012345678" {
		t.Errorf("NormalizeNumber = %q", got)
	}
	c := &Customer{Senders: []string{"0212345678"}, Products: []message.Product{message.ProductSMS}}
	for num, want := range map[string]bool{"02-1234-5678": true, "0212345678": true, "021234567": false, "02123456789": false, "": false, "--": false} {
		if got := c.HasSender(num); got != want {
			t.Errorf("HasSender(%q) = %v", num, got)
		}
	}
	if n := testing.AllocsPerRun(100, func() { c.HasSender("02-1234-5678") }); n != 0 {
		t.Errorf("HasSender allocates %v", n)
	}
}

// Attack 7: every check costs the registry's largest iteration count, so
// the time of an answer does not tell a known id from an unknown one.
func TestEveryCheckCostsTheSame(t *testing.T) {
	low, err := HashSecret("low-secret", MinIterations)
	if err != nil {
		t.Fatal(err)
	}
	high, err := HashSecret("high-secret", 4*MinIterations)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Load([]Config{
		{ID: "demo", Name: "Demo", SecretHash: low, Products: []string{"sms"}},
		{ID: "big", Name: "Big", SecretHash: high, Products: []string{"sms"}},
	}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRegistry(cs, Options{})
	for _, tc := range []struct{ id, secret string }{
		{"demo", "wrong"}, {"demo", "low-secret"}, {"big", "wrong"}, {"big", "high-secret"}, {"nobody", "x"},
	} {
		before := iterationsDone.Load()
		_, _ = r.Authenticate(tc.id, tc.secret)
		_, _ = r.AuthenticateSMPP(tc.id, tc.secret)
		if n := iterationsDone.Load() - before; n != 2*4*MinIterations {
			t.Errorf("Authenticate(%q) and AuthenticateSMPP cost %d iterations, want %d each", tc.id, n/2, 4*MinIterations)
		}
	}
}
