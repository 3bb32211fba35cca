package smppserver

import "maps"

// CustomerBinds reports the bound connections of every customer with at
// least one, for the status page.
func (s *Server) CustomerBinds() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.mu.binds)
}
