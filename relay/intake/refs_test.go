package intake

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/store"
)

// fakeRefs is a cluster's reference bucket: each reference answers what
// the test set, and the ids settled are recorded.
type fakeRefs struct {
	mu       sync.Mutex
	number   error
	other    map[string]message.ID // accepted by another node
	refuse   map[string]error      // no quorum, or pending elsewhere
	claims   int
	settled  map[string]message.ID
	settling int
	kept     map[string]message.ID // told by KeepRef
}

func (f *fakeRefs) CheckNumber() error { return f.number }

func (f *fakeRefs) ClaimRefs(_ context.Context, _, refs []string) ([]message.ID, []error, func([]message.ID)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	others, errs := make([]message.ID, len(refs)), make([]error, len(refs))
	claimed := make([]bool, len(refs))
	for i, ref := range refs {
		f.claims++
		if errs[i] = f.refuse[ref]; errs[i] == nil {
			others[i] = f.other[ref]
			claimed[i] = others[i] == 0
		}
	}
	return others, errs, func(ids []message.ID) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, ref := range refs {
			if claimed[i] {
				f.settling++
				f.settled[ref] = ids[i]
			}
		}
	}
}

func (f *fakeRefs) KeepRef(_ context.Context, _, ref string, id message.ID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kept == nil {
		f.kept = map[string]message.ID{}
	}
	f.kept[ref] = id
}

// TestAcceptCheckedClaimsRef: a message that passed the door (a payment
// event's) takes the cluster's reference claim as a submit does: another
// node's message is answered as a duplicate with its id, a claim the
// cluster cannot make is a retryable error, a new message is stored and
// its id settled, and a message this node's store holds is answered from
// the store with no claim. Nothing is stored when the claim says no.
func TestAcceptCheckedClaimsRef(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	refs := &fakeRefs{other: map[string]message.ID{"elsewhere": 0x1234503},
		refuse: map[string]error{"no-quorum": errors.New("no quorum")}, settled: map[string]message.ID{}}
	var enqueued []message.ID
	in := New(Options{Store: st, Refs: refs, Enqueue: func(ms ...*message.Message) {
		for _, m := range ms {
			enqueued = append(enqueued, m.ID)
		}
	}})
	msg := func(ref string) *message.Message {
		return &message.Message{Customer: "mall", ClientRef: ref, Product: message.ProductSMS,
			Sender: "0212345678", Recipient: "01012345678", Text: "결제 완료"}
	}
	stored := func(ref string) bool {
		m, err := st.ByClientRef("mall", ref)
		return err == nil && m != nil
	}
	ctx := context.Background()

	if id, dup, err := in.AcceptChecked(ctx, msg("elsewhere")); err != nil || !dup || id != 0x1234503 {
		t.Errorf("accepted on another node: id %v dup %v err %v, want its id as a duplicate", id, dup, err)
	}
	if stored("elsewhere") {
		t.Error("a message another node accepted was stored here too")
	}
	if _, _, err := in.AcceptChecked(ctx, msg("no-quorum")); !errors.Is(err, ErrUnavailable) {
		t.Errorf("no quorum: %v, want ErrUnavailable", err)
	}
	if stored("no-quorum") {
		t.Error("a message the cluster could not vouch for was stored")
	}

	id, dup, err := in.AcceptChecked(ctx, msg("new"))
	if err != nil || dup || id == 0 || !stored("new") {
		t.Fatalf("new: id %v dup %v err %v", id, dup, err)
	}
	if refs.settled["new"] != id {
		t.Errorf("new stored as %v, settled as %v", id, refs.settled["new"])
	}
	claims := refs.claims
	again, dup, err := in.AcceptChecked(ctx, msg("new"))
	if err != nil || !dup || again != id {
		t.Errorf("new again: id %v dup %v err %v, want %v as a duplicate", again, dup, err, id)
	}
	if refs.claims != claims || refs.settling != 1 {
		t.Errorf("new again made %d claims and %d settles, want none: the store answers it", refs.claims-claims, refs.settling-1)
	}
	// The store's answer goes to the bucket too, in case this node's
	// settle never reached it (a stop in between): other nodes then
	// answer the reference as well.
	if refs.kept["new"] != id {
		t.Errorf("new again: the bucket was told %v, want %v", refs.kept["new"], id)
	}
	if len(enqueued) != 1 || enqueued[0] != id {
		t.Errorf("dispatch got %v, want only %v", enqueued, id)
	}

	// A node whose number another node holds makes no id at all.
	refs.number = errors.New("number 1 held by n2")
	if _, _, err := in.AcceptChecked(ctx, msg("")); !errors.Is(err, ErrUnavailable) {
		t.Errorf("number held elsewhere: %v, want ErrUnavailable", err)
	}
}
