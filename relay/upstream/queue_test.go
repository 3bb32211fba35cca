package upstream

import "testing"

// A worker is started for submits only when none is on its way to the
// queue: one started and not yet taking gets every submit queued
// meanwhile, and one more starts only while the others are busy.
func TestSubmitQueueStartsOneWorkerPerWait(t *testing.T) {
	starts := 0
	q := submitQueue{maxWorkers: 4, start: func() { starts++ }}
	for i := range 3 {
		q.push(pendingSubmit{seq: uint32(i)})
	}
	if starts != 1 {
		t.Fatalf("%d workers started for 3 submits queued before any took them, want 1", starts)
	}
	batch, ok := q.take(nil, 10, true)
	if !ok || len(batch) != 3 {
		t.Fatalf("took %d submits, %v", len(batch), ok)
	}
	// That worker is busy with its batch: the next submit gets another.
	q.push(pendingSubmit{seq: 3})
	q.push(pendingSubmit{seq: 4})
	if starts != 2 {
		t.Fatalf("%d workers started, want 2", starts)
	}
	if batch, ok = q.take(batch[:0], 10, true); !ok || len(batch) != 2 {
		t.Fatalf("took %d submits, %v", len(batch), ok)
	}
	// Both workers find the queue empty and exit; the next submit starts one.
	for range 2 {
		if _, ok := q.take(batch[:0], 10, false); ok {
			t.Fatal("took from an empty queue")
		}
	}
	q.push(pendingSubmit{seq: 5})
	if starts != 3 {
		t.Fatalf("%d workers started, want 3", starts)
	}
}
