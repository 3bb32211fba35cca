package store

// SetAccounts replaces Options.Accounts, for the messages sent from now on:
// a message's receipt index entry stays under the account it was written
// with.
func (s *Store) SetAccounts(accounts map[string]string) {
	s.accounts.Store(&accounts)
}

// account is the account the receipts of carrier are keyed by: its
// Options.Accounts entry, or its name.
func (s *Store) account(carrier string) string {
	if m := s.accounts.Load(); m != nil {
		if a, ok := (*m)[carrier]; ok {
			return a
		}
	}
	return carrier
}
