package admin

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// sessions holds the merchant pages' signed-in sessions, in memory: a
// restart signs everyone out, which loses nothing.
type sessions struct {
	ttl time.Duration
	now func() time.Time

	mu struct {
		sync.Mutex
		byID map[string]session
	}
}

type session struct {
	who     Principal
	expires time.Time
}

// maxSessions bounds the table; the oldest-expiring are dropped first.
const maxSessions = 10000

func (ss *sessions) init(ttl time.Duration, now func() time.Time) {
	ss.ttl, ss.now = ttl, now
	ss.mu.byID = make(map[string]session)
}

// create makes a session for who and returns its id.
func (ss *sessions) create(who Principal) string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	id := hex.EncodeToString(b[:])
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.mu.byID) >= maxSessions {
		ss.sweepLocked(now)
	}
	ss.mu.byID[id] = session{who: who, expires: now.Add(ss.ttl)}
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
		delete(ss.mu.byID, id)
		return Principal{}, false
	}
	return s.who, true
}

func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	delete(ss.mu.byID, id)
	ss.mu.Unlock()
}

// sweepLocked drops expired sessions, and if the table is still full, the
// one expiring soonest.
func (ss *sessions) sweepLocked(now time.Time) {
	var oldest string
	var oldestAt time.Time
	for id, s := range ss.mu.byID {
		if !now.Before(s.expires) {
			delete(ss.mu.byID, id)
			continue
		}
		if oldest == "" || s.expires.Before(oldestAt) {
			oldest, oldestAt = id, s.expires
		}
	}
	if len(ss.mu.byID) >= maxSessions {
		delete(ss.mu.byID, oldest)
	}
}
