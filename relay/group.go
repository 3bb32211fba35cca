package relay

import "sync"

// group is the one gate every long-lived goroutine of the daemon starts
// through, so that shutdown can wait for all of them.
type group struct{ wg sync.WaitGroup }

func (g *group) Go(f func()) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		f()
	}()
}

func (g *group) Wait() { g.wg.Wait() }
