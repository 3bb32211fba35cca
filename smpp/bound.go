package smpp

// Bound reports whether every bind of the session is up right now, the
// condition WaitBound waits for. The relay's router reads it to skip a
// carrier with no live bind.
func (s *Session) Bound() bool {
	for _, b := range s.binds {
		if c, _ := b.current(); c == nil {
			return false
		}
	}
	return true
}
