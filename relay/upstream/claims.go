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
// A report acknowledged is not let go at once: a connection may have read
// it from the outbox just before the acknowledgement reached the outbox,
// and claim it just after. Each acknowledgement is numbered, and an
// acknowledged report is remembered (done) until every connection reading
// the outbox began its read after that acknowledgement.
//
// Lock order: Server.mu, then reportClaims.mu.
type reportClaims struct {
	mu struct {
		sync.Mutex
		owner map[uint64]*conn
		conns map[*conn]struct{}
		// acks numbers the acknowledgements; done holds, by report,
		// the number of the one that acknowledged it.
		acks uint64
		done map[uint64]uint64
		// reading holds, by connection between its read of the outbox
		// and its claim, the acknowledgements made when it began.
		reading map[*conn]uint64
	}
}

func newReportClaims() *reportClaims {
	rc := &reportClaims{}
	rc.mu.owner = make(map[uint64]*conn)
	rc.mu.conns = make(map[*conn]struct{})
	rc.mu.done = make(map[uint64]uint64)
	rc.mu.reading = make(map[*conn]uint64)
	return rc
}

// read marks c as reading the outbox; its claim ends the read.
func (rc *reportClaims) read(c *conn) {
	rc.mu.Lock()
	rc.mu.reading[c] = rc.mu.acks
	rc.mu.Unlock()
}

// endReadLocked ends c's read and forgets the acknowledged reports no
// reader can still hold from before their acknowledgement.
func (rc *reportClaims) endReadLocked(c *conn) {
	if _, ok := rc.mu.reading[c]; !ok {
		return
	}
	delete(rc.mu.reading, c)
	if len(rc.mu.done) == 0 {
		return
	}
	oldest := rc.mu.acks
	for _, began := range rc.mu.reading {
		oldest = min(oldest, began)
	}
	for s, ack := range rc.mu.done {
		if ack <= oldest {
			delete(rc.mu.done, s)
		}
	}
}

// endRead ends c's read without a claim (nothing read, or the read failed).
func (rc *reportClaims) endRead(c *conn) {
	rc.mu.Lock()
	rc.endReadLocked(c)
	rc.mu.Unlock()
}

func (rc *reportClaims) join(c *conn) {
	rc.mu.Lock()
	rc.mu.conns[c] = struct{}{}
	rc.mu.Unlock()
}

// claim keeps the reports no other connection holds and none has had
// acknowledged, claims them for c, returns them (reusing reps), and ends
// c's read.
func (rc *reportClaims) claim(c *conn, reps []*upstreampb.Report) []*upstreampb.Report {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	defer rc.endReadLocked(c)
	mine := reps[:0]
	for _, r := range reps {
		if r == nil {
			continue
		}
		if o, ok := rc.mu.owner[r.ReportSeq]; ok && o != c {
			continue
		}
		if _, ok := rc.mu.done[r.ReportSeq]; ok {
			continue // acknowledged since c read it
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
	rc.mu.acks++
	for _, s := range seqs {
		if rc.mu.owner[s] == c {
			delete(rc.mu.owner, s)
			if len(rc.mu.reading) > 0 {
				rc.mu.done[s] = rc.mu.acks
			}
		}
	}
}

// leave releases what c holds unacknowledged and, if that was anything,
// tells the customer's other connections to look again from the start.
func (rc *reportClaims) leave(c *conn, held map[uint64]struct{}) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.endReadLocked(c)
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
