package smppserver

import (
	"sync"
	"time"

	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
)

// assembler joins the parts of concatenated messages (UDH or SAR) into one
// message. A part's submit_sm_resp waits until the whole message is
// durable, so every part is answered with the message's one id. At most
// max parts of one customer wait at a time, each at most timeout; then the
// waiting parts are answered ESME_RSUBMITFAIL and the ESME sends the
// message again. Parts are keyed by customer, sender, recipient and
// reference, so the parts of one message may arrive on different binds.
type assembler struct {
	max     int
	timeout time.Duration

	mu struct {
		sync.Mutex
		byKey   map[partKey]*partial
		waiting map[string]int // parts waiting, per customer
	}
}

type partKey struct {
	customer, sender, recipient string
	ref                         uint16
	ref16                       bool
	total                       uint8
}

// partial is a message some of whose parts have arrived.
type partial struct {
	key     partKey
	dc      coding.DataCoding
	parts   [][]byte // by seq-1; nil until it arrives
	got     int
	targets []target // every part's answer goes here
	first   time.Time
}

// target is where one submit's answer goes: its bind, sequence number and
// command.
type target struct {
	c   *conn
	seq uint32
	cmd pdu.CommandID
}

func newAssembler(max int, timeout time.Duration) *assembler {
	a := &assembler{max: max, timeout: timeout}
	a.mu.byKey = make(map[partKey]*partial)
	a.mu.waiting = make(map[string]int)
	return a
}

// add files one part. It returns the whole message once its last part is
// in (and forgets it), nil while parts are missing, or a status refusing
// this part: the customer's waiting parts are at the bound, or the part's
// coding differs from its siblings'.
func (a *assembler) add(customer string, p *piece, t target, now time.Time) (*partial, pdu.Status) {
	k := partKey{customer, p.sender, p.recipient, p.concat.Ref, p.concat.Ref16, p.concat.Total}
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.mu.byKey[k]
	if m == nil {
		if a.mu.waiting[customer] >= a.max {
			return nil, pdu.StatusMsgQFul
		}
		m = &partial{key: k, dc: p.dc, parts: make([][]byte, p.concat.Total), first: now}
		a.mu.byKey[k] = m
	}
	if m.dc != p.dc {
		return nil, pdu.StatusSubmitFail
	}
	i := int(p.concat.Seq) - 1
	if m.parts[i] == nil {
		if a.mu.waiting[customer] >= a.max {
			return nil, pdu.StatusMsgQFul
		}
		m.got++
		a.mu.waiting[customer]++
	}
	// A part sent again replaces the first copy; both are answered.
	m.parts[i] = append([]byte(nil), p.payload...)
	m.targets = append(m.targets, t)
	if m.got < len(m.parts) {
		return nil, pdu.StatusOK
	}
	a.forgetLocked(m)
	return m, pdu.StatusOK
}

func (a *assembler) forgetLocked(m *partial) {
	delete(a.mu.byKey, m.key)
	if a.mu.waiting[m.key.customer] -= m.got; a.mu.waiting[m.key.customer] <= 0 {
		delete(a.mu.waiting, m.key.customer)
	}
}

// expired forgets and returns the messages that have waited longer than
// the timeout at now.
func (a *assembler) expired(now time.Time) []*partial {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []*partial
	for _, m := range a.mu.byKey {
		if now.Sub(m.first) >= a.timeout {
			a.forgetLocked(m)
			out = append(out, m)
		}
	}
	return out
}

// waiting is the number of parts waiting, over all customers.
func (a *assembler) waiting() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, v := range a.mu.waiting {
		n += v
	}
	return n
}

// joined is the message's octets, the parts in order.
func (m *partial) joined() []byte {
	n := 0
	for _, p := range m.parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range m.parts {
		b = append(b, p...)
	}
	return b
}
