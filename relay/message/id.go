package message

import (
	"encoding/binary"
	"errors"
	"strconv"
	"sync"
	"time"
)

// ID is the relay's message id: time ordered, unique within one relay.
//
//	 63                     20 19                 0
//	┌─────────────────────────┬────────────────────┐
//	│ milliseconds since epoch│ sequence in that ms │
//	│ 2020-01-01 (44 bits)    │ (20 bits)           │
//	└─────────────────────────┴────────────────────┘
//
// The layout is part of the store's key format: ids sort by acceptance time
// as big-endian bytes. 44 bits of milliseconds last until the year 2577.
type ID uint64

// IDEpoch is the zero of an ID's time part.
var IDEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

const idSeqBits = 20

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
// the wall clock; set Now to inject a clock.
type IDGen struct {
	Now func() time.Time

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
	v := ms << idSeqBits
	g.mu.Lock()
	if v <= g.last {
		v = g.last + 1
	}
	g.last = v
	g.mu.Unlock()
	return ID(v)
}

// Observe makes the generator return ids greater than id from now on; the
// daemon calls it with the greatest id in the store when it starts, so a
// clock stepped back across a restart cannot reuse an id.
func (g *IDGen) Observe(id ID) {
	g.mu.Lock()
	if uint64(id) > g.last {
		g.last = uint64(id)
	}
	g.mu.Unlock()
}
