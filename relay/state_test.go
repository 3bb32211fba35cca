package relay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	templates "github.com/msgrelay/relay/relay/alimtalk"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/journal"
	"github.com/msgrelay/relay/relay/optout"
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

// A relay alone that joins a cluster sets its run-time changes aside to
// move (runtime.json keeps its drains), and adds to them what it changes
// alone again before they are moved.
func TestRuntimeStateSetAsideForTheCluster(t *testing.T) {
	dir := t.TempDir()
	alone, err := loadRuntimeState(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := alone.CustomerChanged(customer.ChangeSuspend, &customer.Customer{ID: "shop", Suspended: true, SuspendReason: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := alone.setDrained("a", true); err != nil {
		t.Fatal(err)
	}
	joined, err := loadRuntimeState(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if joined.toCluster == nil || !joined.toCluster.Customers["shop"].Suspended || len(joined.mu.doc.Customers) != 0 {
		t.Fatalf("set aside %+v, in force %+v", joined.toCluster, joined.mu.doc)
	}
	if got := joined.drained(); len(got) != 1 || got[0] != "a" {
		t.Errorf("drains in a cluster: %v", got)
	}
	// Alone again before the move, then back.
	alone, err = loadRuntimeState(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(alone.mu.doc.Customers) != 0 {
		t.Errorf("runtime.json kept what was set aside: %+v", alone.mu.doc)
	}
	if err := alone.APIKeyChanged("shop", customer.HashAPIKey("rly_k"), false); err != nil {
		t.Fatal(err)
	}
	joined, err = loadRuntimeState(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if d := joined.toCluster; d == nil || !d.Customers["shop"].Suspended || len(d.APIKeys) != 1 {
		t.Errorf("set aside twice: %+v", d)
	}
	keys, _, err := toClusterEntries(joined.toCluster)
	if err != nil || len(keys) != 2 || describeKey(keys[0]) != "customer shop" || !strings.HasPrefix(describeKey(keys[1]), "apikey ") {
		t.Errorf("entries %q %v", keys, err)
	}
}

// The journals of a relay alone become the bucket's entries: a template's
// last change, each number on a list.
func TestJournalEntriesForTheCluster(t *testing.T) {
	dir := t.TempDir()
	j, err := journal.Open(filepath.Join(dir, templatesJournal), func([]byte) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	put := func(code, text string) templateChange {
		return templateChange{Put: &templates.Template{SenderKey: "key-1", Code: code, Text: text}}
	}
	for _, c := range []templateChange{put("A", "first"), put("B", "b"), put("A", "second"),
		{Remove: &templates.Template{SenderKey: "key-1", Code: "B"}}} {
		if err := j.Append(c); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	l, err := optout.Open(filepath.Join(dir, optOutJournal))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Add("shop", []string{"01011112222", "01033334444"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Remove("shop", []string{"01033334444"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if got := aloneJournals(dir); len(got) != 2 {
		t.Fatalf("journals %v", got)
	}
	keys, values, err := journalEntries(filepath.Join(dir, templatesJournal))
	if err != nil || len(keys) != 2 || keys[0] != templateKey("key-1", "A") ||
		!strings.Contains(string(values[0]), `"second"`) || !strings.Contains(string(values[1]), `"remove"`) {
		t.Errorf("templates: %q %q %v", keys, values, err)
	}
	keys, values, err = journalEntries(filepath.Join(dir, optOutJournal))
	if err != nil || len(keys) != 1 || keys[0] != optOutKey("shop", "01011112222") || string(values[0]) != "1" {
		t.Errorf("opt-outs: %q %q %v", keys, values, err)
	}
}
