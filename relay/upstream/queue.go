package upstream

import "sync"

// submitQueue holds a connection's submits between the reader and the
// workers. It grows with what is actually in flight (an idle connection
// holds no queue memory), and it runs workers only while there is work: the
// reader starts one when every worker is busy with a batch, up to the
// configured number, and a worker that finds the queue empty exits. So a
// connection costs no worker goroutines while idle and a fixed number at
// most under load. A worker started and not yet at the queue takes what is
// queued meanwhile: no other starts for it.
type submitQueue struct {
	maxWorkers int
	start      func() // starts one worker goroutine

	mu struct {
		sync.Mutex
		items    []pendingSubmit
		running  int
		starting int // started, and not yet at their first take
	}
}

// push queues p and starts a worker if none is on its way to the queue and
// the limit allows.
func (q *submitQueue) push(p pendingSubmit) {
	q.mu.Lock()
	q.mu.items = append(q.mu.items, p)
	startOne := q.mu.starting == 0 && q.mu.running < q.maxWorkers
	if startOne {
		q.mu.running++
		q.mu.starting++
	}
	q.mu.Unlock()
	if startOne {
		q.start()
	}
}

// take moves up to max queued submits into dst. It returns false, and the
// calling worker must exit, when the queue is empty. first says it is the
// worker's first take.
func (q *submitQueue) take(dst []pendingSubmit, max int, first bool) ([]pendingSubmit, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if first {
		q.mu.starting--
	}
	n := min(len(q.mu.items), max)
	if n == 0 {
		q.mu.running--
		if cap(q.mu.items) > 1024 {
			q.mu.items = nil // give back a burst's memory
		}
		return dst, false
	}
	dst = append(dst, q.mu.items[:n]...)
	rest := copy(q.mu.items, q.mu.items[n:])
	clear(q.mu.items[rest:])
	q.mu.items = q.mu.items[:rest]
	return dst, true
}
