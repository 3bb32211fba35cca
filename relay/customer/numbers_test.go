package customer

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
)

var regAt = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

func numbersRegistry(t *testing.T) *Registry {
	t.Helper()
	return NewRegistry([]*Customer{
		{ID: "acme", Products: []message.Product{message.ProductSMS}, Senders: []string{"0212345678"}},
		{ID: "beta", Products: []message.Product{message.ProductSMS}},
	}, Options{Reserved: []string{"15884954"}})
}

// TestSenderNumberOneOwner: a number is one customer's unless an operator
// marks it shared, and the representative number is nobody's (issue cases:
// an operator could register 15884954, or one merchant's number, for
// another customer).
func TestSenderNumberOneOwner(t *testing.T) {
	r := numbersRegistry(t)
	reg := func(n string) Registration {
		return Registration{Number: n, AddedBy: "ops", AddedAt: regAt, Proof: "KT-2026-0001"}
	}
	if err := r.RegisterSender("beta", reg("1588-4954")); !errors.Is(err, ErrReserved) {
		t.Fatalf("representative number: %v", err)
	}
	if err := r.AddSender("beta", "15884954"); !errors.Is(err, ErrReserved) {
		t.Fatalf("representative number by AddSender: %v", err)
	}
	if err := r.RegisterSender("beta", reg("02-1234-5678")); !errors.Is(err, ErrOwned) || !strings.Contains(err.Error(), "acme") {
		t.Fatalf("another customer's number: %v", err)
	}
	if err := r.RegisterSender("beta", Registration{Number: "0311112222", AddedBy: "ops", AddedAt: regAt}); !errors.Is(err, ErrConfig) {
		t.Fatalf("no proof reference: %v", err)
	}
	if err := r.MarkShared("15884954", true); !errors.Is(err, ErrReserved) {
		t.Fatalf("sharing the representative number: %v", err)
	}
	if err := r.MarkShared("0212345678", true); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterSender("beta", reg("0212345678")); err != nil {
		t.Fatalf("a shared number: %v", err)
	}
	got := r.Get("beta").Registration("0212345678")
	if got.AddedBy != "ops" || !got.AddedAt.Equal(regAt) || got.Proof != "KT-2026-0001" || !got.Shared {
		t.Fatalf("record %+v", got)
	}
	if rec := r.Get("acme").Registration("0212345678"); rec.AddedBy != "config" || !rec.AddedAt.IsZero() {
		t.Fatalf("a configured number's record %+v", rec)
	}
	if err := r.RemoveSender("beta", "0212345678"); err != nil || len(r.Get("beta").Registrations) != 0 {
		t.Fatalf("remove: %v %+v", err, r.Get("beta").Registrations)
	}
}

func TestCheckNumbers(t *testing.T) {
	cfgs := []Config{{ID: "acme", Senders: []string{"02-1234-5678"}}, {ID: "beta", Senders: []string{"0212345678"}}}
	if err := CheckNumbers(cfgs, []string{"15884954"}, nil); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "shared_senders") {
		t.Fatalf("two owners: %v", err)
	}
	if err := CheckNumbers(cfgs, []string{"15884954"}, []string{"0212345678"}); err != nil {
		t.Fatalf("shared: %v", err)
	}
	cfgs[0].Senders = append(cfgs[0].Senders, "1588-4954")
	if err := CheckNumbers(cfgs, []string{"15884954"}, []string{"0212345678"}); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "reserved") {
		t.Fatalf("representative number in config: %v", err)
	}
}
