package bench

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// hist is a log-linear latency histogram in microseconds, safe for
// concurrent Record: exact below 64 µs, then 32 buckets per power of two
// (about 3% resolution), up to 2^40 µs. Memory is fixed (about 10 KiB)
// whatever the number of samples.
type hist struct {
	counts [histBuckets]atomic.Uint64
	n      atomic.Uint64
}

const (
	histLinear  = 64
	histSub     = 32
	histMaxExp  = 35
	histBuckets = histLinear + histMaxExp*histSub
)

func histIndex(us uint64) int {
	if us < histLinear {
		return int(us)
	}
	shift := bits.Len64(us) - 6 // us>>shift is in [32, 64)
	if shift > histMaxExp {
		return histBuckets - 1
	}
	return histLinear + (shift-1)*histSub + int(us>>shift) - histSub
}

// histLow is the smallest value of bucket i.
func histLow(i int) uint64 {
	if i < histLinear {
		return uint64(i)
	}
	i -= histLinear
	shift := i/histSub + 1
	return uint64(i%histSub+histSub) << shift
}

func (h *hist) Record(d time.Duration) {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	h.counts[histIndex(uint64(us))].Add(1)
	h.n.Add(1)
}

// Quantile is the value at q (0..1): the middle of the bucket holding it.
func (h *hist) Quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n-1)) + 1
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			lo := histLow(i)
			hi := lo + 1
			if i+1 < histBuckets {
				hi = histLow(i + 1)
			}
			return time.Duration((lo+hi)/2) * time.Microsecond
		}
	}
	return time.Duration(histLow(histBuckets-1)) * time.Microsecond
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
