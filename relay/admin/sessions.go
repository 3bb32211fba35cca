package admin

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// sessions holds the merchant pages' signed-in sessions, in memory: a
// restart signs everyone out, which loses nothing. Each token holds at
// most perToken sessions; a new one replaces that token's oldest. Tokens
// are configured, so the table is bounded by tokens × perToken, and no
// token's sign-ins can push out another token's sessions.
type sessions struct {
	ttl      time.Duration
	perToken int
	now      func() time.Time

	mu struct {
		sync.Mutex
		byID    map[string]*session
		byToken map[string][]*session // oldest first
	}
}

type session struct {
	id      string
	who     Principal
	expires time.Time
}

func (ss *sessions) init(ttl time.Duration, perToken int, now func() time.Time) {
	ss.ttl, ss.perToken, ss.now = ttl, perToken, now
	ss.mu.byID = make(map[string]*session)
	ss.mu.byToken = make(map[string][]*session)
}

// create makes a session for who and returns its id.
func (ss *sessions) create(who Principal) string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	id := hex.EncodeToString(b[:])
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	list := ss.mu.byToken[who.Name]
	live := list[:0]
	for _, s := range list {
		if now.Before(s.expires) {
			live = append(live, s)
		} else {
			delete(ss.mu.byID, s.id)
		}
	}
	for len(live) >= ss.perToken {
		delete(ss.mu.byID, live[0].id)
		live = live[1:]
	}
	s := &session{id: id, who: who, expires: now.Add(ss.ttl)}
	ss.mu.byID[id] = s
	ss.mu.byToken[who.Name] = append(live, s)
	return id
}

// get returns the session's principal if it exists and has not expired.
func (ss *sessions) get(id string) (Principal, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.mu.byID[id]
	if !ok {
		return Principal{}, false
	}
	if !ss.now().Before(s.expires) {
		ss.removeLocked(s)
		return Principal{}, false
	}
	return s.who, true
}

func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s, ok := ss.mu.byID[id]; ok {
		ss.removeLocked(s)
	}
}

func (ss *sessions) removeLocked(s *session) {
	delete(ss.mu.byID, s.id)
	list := ss.mu.byToken[s.who.Name]
	for i, x := range list {
		if x == s {
			ss.mu.byToken[s.who.Name] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
}

// keepOnly ends every session whose principal keep refuses (its token
// was removed by a reload).
func (ss *sessions) keepOnly(keep func(Principal) bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, s := range ss.mu.byID {
		if !keep(s.who) {
			ss.removeLocked(s)
		}
	}
}
