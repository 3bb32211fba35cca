package dispatch

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLocalSlots: an account's slots are held at most max at once; a
// waiter takes the one given back, another account is not counted, and a
// waiter whose context ends gets its error.
func TestLocalSlots(t *testing.T) {
	l := newLocalSlots()
	ctx := context.Background()
	_, r1, err := l.AcquireBind(ctx, "acct", 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.AcquireBind(ctx, "acct", 2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.AcquireBind(ctx, "other", 1); err != nil {
		t.Fatal(err)
	}
	if n := l.BindsHeld("acct"); n != 2 {
		t.Fatalf("held %d, want 2", n)
	}
	got := make(chan error, 1)
	go func() {
		_, _, err := l.AcquireBind(ctx, "acct", 2)
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("a third slot of two: %v", err)
	default:
	}
	r1()
	r1() // a release is given once
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the slot given back was not taken")
	}
	if n := l.BindsHeld("acct"); n != 2 {
		t.Fatalf("held %d, want 2", n)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := l.AcquireBind(cctx, "acct", 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("a waiter stopped: %v", err)
	}
}
