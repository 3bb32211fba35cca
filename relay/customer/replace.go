package customer

// Replace swaps the whole customer set at once, for a configuration
// reload: a customer left out is gone, a new one can bind, a changed one
// answers its next bind and submit with its new settings. merge gives the
// set; it is called under the writers' lock, so a run-time change (which
// calls the observer under that lock too) is either in what merge reads or
// made after the swap, never lost in between. The observer is not called;
// merge merges the run-time changes in.
func (r *Registry) Replace(merge func() []*Customer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	customers := merge()
	m := make(map[string]*Customer, len(customers))
	for _, c := range customers {
		m[c.ID] = c
	}
	r.snap.Store(newSnapshot(m))
}
