package relay

import (
	"os"
	"testing"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/payment"
)

// A change that cannot be saved is not kept: the document stays what is on
// disk, for customers (new and changed) and payment subscriptions alike.
func TestRuntimeStateUndoesAnUnsavedChange(t *testing.T) {
	dir := t.TempDir()
	s, err := loadRuntimeState(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CustomerChanged(customer.ChangeAddSender, &customer.Customer{ID: "shop", Senders: []string{"0212345678"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SubscriptionChanged(payment.ChangePut, &payment.Subscription{MID: "mid_1", Customer: "shop"}); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil { // every save fails from here on
		t.Fatal(err)
	}
	if err := s.CustomerChanged(customer.ChangeSuspend, &customer.Customer{ID: "shop", Suspended: true}); err == nil {
		t.Fatal("saved into a removed directory")
	}
	if err := s.CustomerChanged(customer.ChangePut, &customer.Customer{ID: "new"}); err == nil {
		t.Fatal("saved into a removed directory")
	}
	if err := s.SubscriptionChanged(payment.ChangeRemove, &payment.Subscription{MID: "mid_1"}); err == nil {
		t.Fatal("saved into a removed directory")
	}
	if err := s.SubscriptionChanged(payment.ChangePut, &payment.Subscription{MID: "mid_2"}); err == nil {
		t.Fatal("saved into a removed directory")
	}
	doc := s.mu.doc
	if c, ok := doc.Customers["shop"]; !ok || c.Suspended || len(c.Senders) != 1 {
		t.Errorf("shop after a failed suspension: %+v, %v", c, ok)
	}
	if _, ok := doc.Customers["new"]; ok {
		t.Error("an unsaved new customer was kept")
	}
	if p := doc.Payments["mid_1"]; p == nil || p.Customer != "shop" {
		t.Errorf("mid_1 after a failed removal: %+v", p)
	}
	if _, ok := doc.Payments["mid_2"]; ok {
		t.Error("an unsaved new subscription was kept")
	}
}
