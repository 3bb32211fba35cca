package alimtalk

import (
	"errors"
	"testing"
)

// TestGuard: a guard sees the template before and after each change and
// can refuse it; a refused change leaves the registry as it was.
func TestGuard(t *testing.T) {
	r, err := NewRegistry([]Template{{SenderKey: "k", Code: "PAY", Text: "결제 #{amount}"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type change struct{ old, next string }
	var seen []change
	r.SetGuard(func(old, next *Template) error {
		c := change{"-", "-"}
		if old != nil {
			c.old = old.Text
		}
		if next != nil {
			c.next = next.Text
		}
		seen = append(seen, c)
		if old != nil && old.Code == "PAY" && (next == nil || next.Text != old.Text) {
			return ErrInUse
		}
		return nil
	})
	if err := r.Remove("k", "PAY"); !errors.Is(err, ErrInUse) {
		t.Fatalf("remove: %v", err)
	}
	if err := r.Put(Template{SenderKey: "k", Code: "PAY", Text: "결제"}); !errors.Is(err, ErrInUse) {
		t.Fatalf("put another text: %v", err)
	}
	if err := r.Match("k", "PAY", "결제 1,000원", nil); err != nil {
		t.Fatalf("the refused changes changed the template: %v", err)
	}
	if err := r.Put(Template{SenderKey: "k", Code: "NEW", Text: "새"}); err != nil {
		t.Fatal(err)
	}
	want := []change{{"결제 #{amount}", "-"}, {"결제 #{amount}", "결제"}, {"-", "새"}}
	if len(seen) != len(want) {
		t.Fatalf("guard saw %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("guard saw %v, want %v", seen, want)
		}
	}
}
