package customer

// Replace swaps the whole customer set at once, for a configuration
// reload: a customer left out is gone, a new one can bind, a changed one
// answers its next bind and submit with its new settings. The observer is
// not called; the caller has merged the run-time changes in already.
func (r *Registry) Replace(customers []*Customer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string]*Customer, len(customers))
	for _, c := range customers {
		m[c.ID] = c
	}
	r.snap.Store(newSnapshot(m))
}
