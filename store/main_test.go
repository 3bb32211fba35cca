package store

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/msgrelay/relay/relay/message"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir) // never returns
	}
	// The I/O-error tests make Pebble fail fatally inside Close, which the
	// store recovers from; Close then never unregisters Pebble's compaction
	// scheduler, whose granter goroutine is left behind. That is the cost of
	// a store that died of its disk, not a leak of the store's own.
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/cockroachdb/pebble/v2.(*ConcurrencyLimitScheduler).periodicGranter"))
}

// clock is an injected wall clock.
type clock struct {
	mu struct {
		sync.Mutex
		t time.Time
	}
}

func newClock() *clock {
	c := &clock{}
	c.mu.t = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	return c
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.mu.t = c.mu.t.Add(d)
	c.mu.Unlock()
}

func openTest(t testing.TB, fs vfs.FS, c *clock) *Store {
	t.Helper()
	if fs == nil {
		fs = vfs.NewMem()
	}
	opts := Options{FS: fs, Logger: discardLogger()}
	if c != nil {
		opts.Now = c.Now
	}
	s, err := Open("db", opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sms(customer, ref string) *message.Message {
	return &message.Message{
		Customer: customer, ClientRef: ref, Product: message.ProductSMS,
		Sender: "15884954", Recipient: "01012345678", Text: "안녕하세요",
	}
}

func mustAccept(t testing.TB, s *Store, m *message.Message) message.ID {
	t.Helper()
	id, dup, err := s.Accept(context.Background(), m)
	if err != nil || dup {
		t.Fatalf("Accept: %v dup=%v", err, dup)
	}
	return id
}

// toSending walks a message to sending on skt.
func toSending(t testing.TB, s *Store, id message.ID) {
	t.Helper()
	ctx := context.Background()
	if err := s.MarkQueued(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSending(ctx, id, "skt"); err != nil {
		t.Fatal(err)
	}
}

// toSent walks a message to sent with the given carrier id.
func toSent(t testing.TB, s *Store, id message.ID, cmid string, at time.Time) {
	t.Helper()
	toSending(t, s, id)
	if st, err := s.RecordSubmitResp(context.Background(), id, "skt", cmid, at); err != nil || st != message.StateSent {
		t.Fatalf("RecordSubmitResp: %v %v", st, err)
	}
}

func mustVerify(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Verify(); err != nil {
		t.Fatal(err)
	}
}
