package intake

import "sync"

// Hub wakes the connections that carry a customer's reports. The reports
// themselves live in the store's per-customer outbox until a client
// acknowledges them; the hub only says "look again", and only to the
// watchers of the customer the store named after a commit (give Wake to
// store.Options.OnReports). A wake-up is a non-blocking send on a channel
// of capacity 1, so bursts coalesce.
type Hub struct {
	mu struct {
		sync.Mutex
		subs map[string]map[chan struct{}]struct{} // by customer
	}
}

// NewHub returns a hub with no watchers.
func NewHub() *Hub {
	h := &Hub{}
	h.mu.subs = map[string]map[chan struct{}]struct{}{}
	return h
}

// Wake tells the customer's watchers that its outbox has new reports.
func (h *Hub) Wake(customer string) {
	h.mu.Lock()
	for ch := range h.mu.subs[customer] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	h.mu.Unlock()
}

// Watch returns a channel that receives after each commit that put reports
// in customer's outbox, and once at once (the outbox may hold reports from
// before). stop ends the watch.
func (h *Hub) Watch(customer string) (wake <-chan struct{}, stop func()) {
	ch := make(chan struct{}, 1)
	ch <- struct{}{}
	h.mu.Lock()
	if h.mu.subs[customer] == nil {
		h.mu.subs[customer] = map[chan struct{}]struct{}{}
	}
	h.mu.subs[customer][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.mu.subs[customer], ch)
		if len(h.mu.subs[customer]) == 0 {
			delete(h.mu.subs, customer)
		}
		h.mu.Unlock()
	}
}
