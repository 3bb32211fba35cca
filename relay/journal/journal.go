// Package journal keeps run-time changes that must survive a restart as an
// append-only file of JSON lines: each record is written and fsynced before
// Append returns, and Open replays the file in order.
//
// A crash can leave the last line torn (no newline): Open drops it and
// truncates the file to the last whole record, so the next Append starts
// on a line of its own. The change it carried was never acknowledged,
// because Append had not returned.
package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// MaxRecord is the largest record Open reads (a bulk import of numbers is
// one record).
const MaxRecord = 64 << 20

// Journal is an open journal file. It is safe for concurrent use.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// Open opens (creating it if need be) the journal at path and calls replay
// with each whole record in order. An error from replay stops Open.
func Open(path string, replay func(record []byte) error) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	good, err := readAll(f, replay)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if err := f.Truncate(good); err != nil { // drop a torn last line
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, err
	}
	return &Journal{f: f, path: path}, nil
}

// Replay calls replay with each whole record of the open journal in
// order, as Open did, without changing the file: a configuration reload
// replays the run-time changes over the new file. Appends wait until it
// returns.
func (j *Journal) Replay(replay func(record []byte) error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	f, err := os.Open(j.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := readAll(f, replay); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

// readAll replays every newline-terminated record and returns the offset
// after the last one.
func readAll(f *os.File, replay func([]byte) error) (int64, error) {
	r := bufio.NewReaderSize(f, 64<<10)
	var off int64
	for {
		line, err := r.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) {
			var more []byte
			more, err = r.ReadSlice('\n')
			line = append(append([]byte(nil), line...), more...)
			if len(line) > MaxRecord {
				return off, fmt.Errorf("a record of more than %d bytes at offset %d", MaxRecord, off)
			}
		}
		if err == io.EOF {
			return off, nil // a torn line, if any, is dropped
		}
		if err != nil {
			return off, err
		}
		if rec := bytes.TrimSpace(line); len(rec) > 0 {
			if err := replay(rec); err != nil {
				return off, fmt.Errorf("record at offset %d: %w", off, err)
			}
		}
		off += int64(len(line))
	}
}

// Append writes v as one JSON line and fsyncs it.
func (j *Journal) Append(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return errors.New("journal: closed")
	}
	if _, err := j.f.Write(b); err != nil {
		return err
	}
	return j.f.Sync()
}

// Close closes the file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
