package dispatch

import (
	"testing"
	"time"
)

// A worker's recording context leaves every write it is handed for at
// least recordTimeout, however long since the last one was made.
func TestOwnRecordingLeavesTheTimeout(t *testing.T) {
	var r ownRecording
	defer r.release()
	t0 := time.Now()
	for _, after := range []time.Duration{0, recordShare / 2, recordShare, 3 * recordShare, 20 * recordShare} {
		now := t0.Add(after)
		dl, ok := r.get(now).Deadline()
		if !ok || dl.Sub(now) < recordTimeout {
			t.Fatalf("%s after the first: deadline %s after now, want at least %s", after, dl.Sub(now), recordTimeout)
		}
	}
}
