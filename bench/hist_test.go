package bench

import (
	"testing"
	"time"
)

func TestHistIndexMonotonicAndInverse(t *testing.T) {
	prev := -1
	for _, us := range []uint64{0, 1, 63, 64, 65, 127, 128, 1000, 20000, 1 << 30, 1 << 39} {
		i := histIndex(us)
		if i < prev {
			t.Fatalf("index of %d is %d, below %d", us, i, prev)
		}
		prev = i
		if lo := histLow(i); lo > us || (i+1 < histBuckets && histLow(i+1) <= us) {
			t.Fatalf("value %d in bucket %d [%d, %d)", us, i, lo, histLow(i+1))
		}
	}
}

func TestHistQuantiles(t *testing.T) {
	var h hist
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {0.999, 999 * time.Millisecond}} {
		got := h.Quantile(c.q)
		if d := got - c.want; d < -c.want/25 || d > c.want/25 {
			t.Errorf("q%.3f = %v, want %v ± 4%%", c.q, got, c.want)
		}
	}
	var empty hist
	if empty.Quantile(0.99) != 0 {
		t.Error("empty histogram has a quantile")
	}
}
