package journal

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type rec struct{ N int }

func replayInto(out *[]int) func([]byte) error {
	return func(b []byte) error {
		var r rec
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		*out = append(*out, r.N)
		return nil
	}
}

func TestAppendReplayTorn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	var got []int
	j, err := Open(path, replayInto(&got))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := j.Append(rec{i}); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	// A crash in the middle of a write leaves a torn line.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"N":4`)
	f.Close()
	got = nil
	if j, err = Open(path, replayInto(&got)); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(rec{5}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	got = nil
	if j, err = Open(path, replayInto(&got)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if len(got) != 4 || got[3] != 5 {
		t.Fatalf("replayed %v, want 1 2 3 5", got)
	}
	// A long record survives the reader's buffer.
	big := strings.Repeat("x", 200<<10)
	j, _ = Open(path, func([]byte) error { return nil })
	if err := j.Append(map[string]string{"big": big}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	n := 0
	if _, err := Open(path, func(b []byte) error {
		if len(b) > len(big) {
			n++
		}
		return nil
	}); err != nil || n != 1 {
		t.Fatalf("big record: %v, %d", err, n)
	}
}
