package relay

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// TestStopsHoldNothing starts and stops the daemon many times in one
// process, on one data directory, with an SMS and an AlimTalk sent in each
// round; every other stop is the abort the lifecycle model's crashes use
// (no drain), the rest are clean Shutdowns. After the last round the
// process holds as many goroutines and as much live heap as after the
// first few: a stopped daemon leaves nothing running and nothing
// reachable. (A store left reachable holds its 8 MiB reference filter.)
func TestStopsHoldNothing(t *testing.T) {
	h := newHarness(t, withKakao(nil))
	round := func(i int) {
		t.Helper()
		u := h.connect("shop")
		var ids []message.ID
		for _, s := range []*upstreampb.Submit{
			sms(fmt.Sprintf("round-%d-sms", i), "안녕하세요"),
			alimtalk(fmt.Sprintf("round-%d-alimtalk", i), "01012345678", upstreampb.Fallback_FALLBACK_NONE),
		} {
			r := h.submit(u, s)
			if r.Status != upstreampb.Status_OK {
				t.Fatalf("round %d: %v", i, r)
			}
			ids = append(ids, mustID(t, r.MessageId))
		}
		h.waitFor(fmt.Sprintf("round %d's messages sent", i), func() bool {
			for _, id := range ids {
				m, err := h.d.Store().Get(id)
				if err != nil || (m.State != message.StateSent && !m.State.Final()) {
					return false
				}
			}
			return true
		})
		u.Close()
		if i%2 == 0 {
			h.stop()
		} else {
			h.d.abort()
			h.d = nil
		}
		h.start()
	}
	const warm, rounds = 4, 24
	for i := range warm { // pools, caches and whatever else is made once
		round(i)
	}
	g0, heap0 := liveGoroutines(), liveHeap()
	for i := warm; i < warm+rounds; i++ {
		round(i)
	}
	// Goroutines of the stopped daemons end, and what they held is freed,
	// soon after the stop, not necessarily by its return.
	const slack, heapSlack = 8, 32 << 20
	deadline := time.Now().Add(time.Minute)
	for {
		g, heap := liveGoroutines(), liveHeap()
		if g <= g0+slack && heap <= heap0+heapSlack {
			t.Logf("after %d more rounds: %d goroutines (%d before), live heap %d KiB (%d before)", rounds, g, g0, heap>>10, heap0>>10)
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("after %d more rounds: %d goroutines (%d before), live heap %d KiB (%d before); goroutines:\n%s",
				rounds, g, g0, heap>>10, heap0>>10, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond) // polling the stopped daemons' goroutines out
	}
}

// liveGoroutines counts the goroutines, less those TestMain tells goleak
// to ignore: fasthttp's idle-connection cleaner outlives a Kakao client's
// Close by up to its idle time (30 s) and then ends, holding only its
// HostClient.
func liveGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if !bytes.Contains(g, []byte("fasthttp.(*HostClient).connsCleaner")) &&
			!bytes.Contains(g, []byte("fasthttp.(*workerPool).Start.func2")) &&
			!bytes.Contains(g, []byte("fasthttp.updateServerDate")) {
			count++
		}
	}
	return count
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
