package upstream

import (
	"sync"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// reportClaims shares one customer's reports among that customer's
// connections: each report is pushed on one connection at a time, not on
// all of them. A report stays claimed by the connection that sent it until
// it is acknowledged or that connection ends; then the others look at the
// outbox again from the start and one of them takes it.
//
// Lock order: Server.mu, then reportClaims.mu.
type reportClaims struct {
	mu struct {
		sync.Mutex
		owner map[uint64]*conn
		conns map[*conn]struct{}
	}
}

func newReportClaims() *reportClaims {
	rc := &reportClaims{}
	rc.mu.owner = make(map[uint64]*conn)
	rc.mu.conns = make(map[*conn]struct{})
	return rc
}

func (rc *reportClaims) join(c *conn) {
	rc.mu.Lock()
	rc.mu.conns[c] = struct{}{}
	rc.mu.Unlock()
}

// claim keeps the reports no other connection holds, claims them for c,
// and returns them (reusing reps).
func (rc *reportClaims) claim(c *conn, reps []*upstreampb.Report) []*upstreampb.Report {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	mine := reps[:0]
	for _, r := range reps {
		if r == nil {
			continue
		}
		if o, ok := rc.mu.owner[r.ReportSeq]; ok && o != c {
			continue
		}
		rc.mu.owner[r.ReportSeq] = c
		mine = append(mine, r)
	}
	clear(reps[len(mine):])
	return mine
}

// acked forgets reports c had claimed and the client acknowledged.
func (rc *reportClaims) acked(c *conn, seqs []uint64) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, s := range seqs {
		if rc.mu.owner[s] == c {
			delete(rc.mu.owner, s)
		}
	}
}

// leave releases what c holds unacknowledged and, if that was anything,
// tells the customer's other connections to look again from the start.
func (rc *reportClaims) leave(c *conn, held map[uint64]struct{}) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	delete(rc.mu.conns, c)
	released := false
	for s := range held {
		if rc.mu.owner[s] == c {
			delete(rc.mu.owner, s)
			released = true
		}
	}
	if !released {
		return
	}
	for o := range rc.mu.conns {
		select {
		case o.rewind <- struct{}{}:
		default:
		}
	}
}
