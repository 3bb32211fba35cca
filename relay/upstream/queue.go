package upstream

import "sync"

// submitQueue holds a connection's submits between the reader and the
// workers. It grows with what is actually in flight (an idle connection
// holds no queue memory), and it runs workers only while there is work: the
// reader starts one when none is free, up to the configured number, and a
// worker that finds the queue empty exits. So a connection costs no worker
// goroutines while idle and a fixed number at most under load.
type submitQueue struct {
	maxWorkers int
	start      func() // starts one worker goroutine

	mu struct {
		sync.Mutex
		items   []pendingSubmit
		running int
	}
}

// push queues p and starts a worker if none is running and the limit allows.
func (q *submitQueue) push(p pendingSubmit) {
	q.mu.Lock()
	q.mu.items = append(q.mu.items, p)
	startOne := q.mu.running < q.maxWorkers
	if startOne {
		q.mu.running++
	}
	q.mu.Unlock()
	if startOne {
		q.start()
	}
}

// take moves up to max queued submits into dst. It returns false, and the
// calling worker must exit, when the queue is empty.
func (q *submitQueue) take(dst []pendingSubmit, max int) ([]pendingSubmit, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
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
