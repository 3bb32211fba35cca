package upstream

// CustomerConns is one customer's bound connections, for the status page.
type CustomerConns struct {
	Conns int `json:"conns"`
	// InFlight is the submits read from its connections and not yet
	// answered.
	InFlight int `json:"in_flight"`
}

// CustomerStatus reports every customer with a bound connection.
func (s *Server) CustomerStatus() map[string]CustomerConns {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]CustomerConns, len(s.mu.perCustomer))
	for id, cc := range s.mu.perCustomer {
		st := CustomerConns{Conns: cc.n}
		for c := range cc.conns {
			st.InFlight += len(c.slots)
		}
		out[id] = st
	}
	return out
}
