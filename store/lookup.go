package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/msgrelay/relay/relay/message"
)

// Get returns the message with the given id, or an error wrapping
// ErrNotFound.
func (s *Store) Get(id message.ID) (*message.Message, error) {
	v, c, err := s.db.Get(msgKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("%w: message %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var r rec
	if err := decodeRecord(v, &r); err != nil {
		return nil, fmt.Errorf("message %s: %w", id, err)
	}
	return &r.Message, nil
}

// ByClientRef returns the message a customer sent under a reference.
func (s *Store) ByClientRef(customer, ref string) (*message.Message, error) {
	v, c, err := s.db.Get(refKey(customer, ref))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("%w: reference %s/%s", ErrNotFound, customer, ref)
	}
	if err != nil {
		return nil, err
	}
	if len(v) != 8 {
		c.Close()
		return nil, fmt.Errorf("ref index: %w", ErrCorrupt)
	}
	id := idAt(v)
	c.Close()
	return s.Get(id)
}

// idFloor is the smallest id made at or after t.
func idFloor(t time.Time) message.ID {
	if !t.After(message.IDEpoch) {
		return 0
	}
	return message.ID(uint64(t.Sub(message.IDEpoch)/time.Millisecond) << 20)
}

// ByRecipient lists up to limit ids of a customer's messages to a recipient
// accepted in [from, to), oldest first. Purged messages are not listed.
func (s *Store) ByRecipient(customer, recipient string, from, to time.Time, limit int) ([]message.ID, error) {
	return s.listIDs(rcptKey(customer, recipient, idFloor(from)), rcptKey(customer, recipient, idFloor(to)), limit)
}

// ByTime lists up to limit ids of a customer's messages accepted in
// [from, to), oldest first.
func (s *Store) ByTime(customer string, from, to time.Time, limit int) ([]message.ID, error) {
	return s.listIDs(custKey(customer, idFloor(from)), custKey(customer, idFloor(to)), limit)
}

func (s *Store) listIDs(lower, upper []byte, limit int) ([]message.ID, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	var out []message.ID
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		out = append(out, idAt(it.Key()))
	}
	return out, it.Close()
}

// scanCustomer calls fn for every message of a customer, oldest first.
func (s *Store) scanCustomer(customer string, fn func(*message.Message) error) error {
	prefix := customerPrefix(tCust, customer)
	idx, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	defer idx.Close()
	return s.joinRecords(idx, fn)
}

// joinRecords calls fn with the record of every id that idx's keys end in.
// The ids ascend, so one msg iterator moves forward only.
func (s *Store) joinRecords(idx *pebble.Iterator, fn func(*message.Message) error) error {
	msgs, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tMsg}, UpperBound: []byte{tMsg + 1}})
	if err != nil {
		return err
	}
	defer msgs.Close()
	var r rec
	for ok := idx.First(); ok; ok = idx.Next() {
		id := idAt(idx.Key())
		k := msgKey(id)
		if !msgs.SeekGE(k) || string(msgs.Key()) != string(k) {
			return fmt.Errorf("index %x names missing message %s: %w", idx.Key(), id, ErrCorrupt)
		}
		r = rec{}
		if err := decodeRecord(msgs.Value(), &r); err != nil {
			return fmt.Errorf("message %s: %w", id, err)
		}
		if err := fn(&r.Message); err != nil {
			return err
		}
	}
	if err := idx.Error(); err != nil {
		return err
	}
	return msgs.Error()
}
