package message

import (
	"encoding/binary"
	"errors"
	"strconv"
	"sync"
	"time"
)

// ID is the relay's message id: time ordered, unique within one relay,
// and within a cluster when each node has its own number.
//
//	 63                     20 19                 0
//	┌─────────────────────────┬────────────────────┐
//	│ milliseconds since epoch│ sequence in that ms │   a relay alone
//	│ 2020-01-01 (44 bits)    │ (20 bits)           │
//	└─────────────────────────┴────────────────────┘
//
//	 63                     20 19          8 7     0
//	┌─────────────────────────┬─────────────┬───────┐
//	│ milliseconds since epoch│ sequence    │ node  │   a cluster node
//	│ 2020-01-01 (44 bits)    │ (12 bits)   │ 1-255 │
//	└─────────────────────────┴─────────────┴───────┘
//
// The layout is part of the store's key format: ids sort by acceptance time
// as big-endian bytes. 44 bits of milliseconds last until the year 2577.
// Both layouts have the same 16-hex-digit form on every wire, so clients,
// SMPP receipts and the HTTP API see no difference. A node keeps its number
// in the lowest 8 bits of every id it makes: two nodes never make the same
// id, whatever their clocks. A sequence that overflows its millisecond
// carries into the next one, never into the node.
type ID uint64

// IDEpoch is the zero of an ID's time part.
var IDEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

const idSeqBits = 20

// idNodeBits is the width of a cluster node's number, the lowest bits of
// its ids.
const idNodeBits = 8

// Node is the number of the cluster node that made the id; meaningless
// for a relay alone (the low bits of its sequence).
func (id ID) Node() uint8 { return uint8(id) }

// Time is when the id was made, to the millisecond.
func (id ID) Time() time.Time {
	return IDEpoch.Add(time.Duration(uint64(id)>>idSeqBits) * time.Millisecond)
}

// String is the id as 16 lower-case hex digits, the form used on every wire.
func (id ID) String() string {
	var b [16]byte
	return string(id.AppendHex(b[:0]))
}

// AppendHex appends the 16-digit hex form of the id.
func (id ID) AppendHex(dst []byte) []byte {
	const hex = "0123456789abcdef"
	for i := 60; i >= 0; i -= 4 {
		dst = append(dst, hex[(uint64(id)>>uint(i))&0xf])
	}
	return dst
}

// Bytes is the id as 8 big-endian bytes, the form used in store keys.
func (id ID) Bytes() [8]byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	return b
}

// ErrBadID is returned by [ParseID] for anything but 16 hex digits.
var ErrBadID = errors.New("message: malformed id")

// ParseID parses the 16-digit hex form.
func ParseID(s string) (ID, error) {
	if len(s) != 16 {
		return 0, ErrBadID
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, ErrBadID
	}
	return ID(v), nil
}

// IDGen makes strictly increasing ids. The zero value is ready to use with
// the wall clock; set Now to inject a clock, and Node on a cluster node.
// Set both before the first Next or Observe.
type IDGen struct {
	Now func() time.Time
	// Node is the cluster node's number (1-255), kept in the low bits of
	// every id; 0 for a relay alone.
	Node uint8

	mu   sync.Mutex
	last uint64
}

// Next returns a new id, greater than every id this generator returned
// before, even if the clock steps back.
func (g *IDGen) Next() ID {
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	ms := uint64(now().Sub(IDEpoch) / time.Millisecond)
	v := ms<<idSeqBits | uint64(g.Node)
	g.mu.Lock()
	if v <= g.last {
		v = g.last + g.step() // last has this node's number (Observe)
	}
	g.last = v
	g.mu.Unlock()
	return ID(v)
}

// Observe makes the generator return ids greater than id from now on; the
// daemon calls it with the greatest id in the store when it starts, so a
// clock stepped back across a restart cannot reuse an id.
func (g *IDGen) Observe(id ID) {
	v := uint64(id)
	if g.Node != 0 {
		// The least id with this node's number at or after id: a store
		// written alone, or under another number, keeps its ids.
		n := v&^(1<<idNodeBits-1) | uint64(g.Node)
		if n < v {
			n += g.step()
		}
		v = n
	}
	g.mu.Lock()
	if v > g.last {
		g.last = v
	}
	g.mu.Unlock()
}

// step is the distance between two consecutive ids of this generator.
func (g *IDGen) step() uint64 {
	if g.Node == 0 {
		return 1
	}
	return 1 << idNodeBits
}
