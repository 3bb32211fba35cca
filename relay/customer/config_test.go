package customer

import (
	"errors"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/msgrelay/relay/relay/message"
)

func TestConfigFromTOML(t *testing.T) {
	doc := `
[[customer]]
id = "shop"
name = "쇼핑몰"
secret_env = "SHOP_SECRET"
products = ["sms", "lms", "alimtalk", "friendtalk_text"]
senders = ["02-1234-5678", "1588-4954"]
sender_keys = ["key-shop"]
advertising = true
rate = 50.5
burst = 200

[[customer]]
id = "pay"
secret_hash = "` + mustHash(t, "pay-secret") + `"
products = ["payment_alimtalk"]
suspended = true
suspend_reason = "unpaid fees"
`
	var file struct {
		Customer []Config `toml:"customer"`
	}
	md, err := toml.Decode(doc, &file)
	if err != nil {
		t.Fatal(err)
	}
	if u := md.Undecoded(); len(u) != 0 {
		t.Fatalf("undecoded keys %v", u)
	}
	cs, err := Load(file.Customer, LoadOptions{
		Getenv:     func(k string) string { return map[string]string{"SHOP_SECRET": "shop-secret"}[k] },
		Iterations: testIter,
	})
	if err != nil {
		t.Fatal(err)
	}
	shop, pay := cs[0], cs[1]
	if shop.Name != "쇼핑몰" || !shop.Allows(message.ProductFriendTalkText) || !shop.Allows(message.ProductSMS) ||
		!shop.HasSender("0212345678") || !shop.HasSenderKey("key-shop") || !shop.Advertising || shop.Rate != 50.5 || shop.Burst != 200 {
		t.Fatalf("shop = %+v", *shop)
	}
	if !pay.Suspended || pay.SuspendReason != "unpaid fees" || pay.Allows(message.ProductSMS) {
		t.Fatalf("pay = %+v", *pay)
	}
	r := NewRegistry(cs, Options{})
	if _, err := r.Authenticate("shop", "shop-secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate("pay", "pay-secret"); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrorsHideSecrets(t *testing.T) {
	_, err := Load([]Config{{ID: "a", SecretFile: "/nonexistent/secret", Products: []string{"sms"}}}, LoadOptions{})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "secret_file") {
		t.Fatalf("missing file: %v", err)
	}
	h := mustHash(t, "hidden-secret")
	err = (&Config{ID: "a", SecretHash: h, Products: []string{"bogus"}}).Validate()
	if err == nil || strings.Contains(err.Error(), h) {
		t.Fatalf("error %v", err)
	}
}

func TestUnknownIDCostsAsMuch(t *testing.T) {
	h1, _ := HashSecret("a-secret", 2000)
	h2, _ := HashSecret("b-secret", 5000)
	cs, err := Load([]Config{
		{ID: "a", SecretHash: h1, Products: []string{"sms"}},
		{ID: "b", SecretHash: h2, Products: []string{"sms"}},
	}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRegistry(cs, Options{})
	if it := r.snap.Load().dummy.iter; it != 5000 {
		t.Fatalf("dummy hash has %d iterations, want the largest in use (5000)", it)
	}
}

func FuzzParseSecretHash(f *testing.F) {
	h, _ := HashSecret("seed-secret", MinIterations)
	f.Add(h)
	f.Add("pbkdf2-sha256$1000$$")
	f.Add("pbkdf2-sha256$99999999999$AAAA$BBBB")
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := parseSecretHash(s)
		if err != nil {
			if !errors.Is(err, ErrBadSecretHash) {
				t.Fatalf("error %v is not ErrBadSecretHash", err)
			}
			return
		}
		if sh.iter < MinIterations || len(sh.key) != keyLen || len(sh.salt) < 8 {
			t.Fatalf("accepted %+v", sh)
		}
		if sh.iter > 10*MinIterations {
			return // keep the fuzzer fast
		}
		_ = sh.verify("x")
	})
}
