package smppserver

// CustomerBinds reports the bound connections of every customer with at
// least one, for the status page.
func (s *Server) CustomerBinds() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.mu.binds))
	for id, n := range s.mu.binds {
		out[id] = n
	}
	return out
}
