package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/pprof"

	"google.golang.org/protobuf/encoding/protowire"
)

// In process, the loader, the simulated SMSCs and the relay share one
// process, so cpu_us_per_msg is the sum of the three. Their goroutines
// carry the pprof label "part": the relay's inherit "relay" from
// relay.Start, the loader's "loader" from Run, and smpptest labels its own
// "simulator". With Config.CPUSplit, Run profiles the measured window (the
// first submit to the last final report) and divides the process's CPU
// time by the share of samples of each part. Samples with no part are the
// runtime's own goroutines (the collector's background marking, which
// every part's allocations cause, and timer goroutines) and are shown as
// "runtime". A profile taken with -cpuprofile shows the same split with
// `go tool pprof -tags`.
const (
	partLabel     = "part"
	partRelay     = "relay"
	partLoader    = "loader"
	partSimulator = "simulator"
)

// CPUSplit is cpu_us_per_msg divided among the parts of the process, by
// their share of the CPU profile's samples over the same window.
type CPUSplit struct {
	Relay, Loader, Simulator, Runtime float64 // µs per message
	Samples                           int64   // profile samples in the window
}

// cpuProfile profiles this process from start until stop; stop returns
// the profile, gzipped as runtime/pprof writes it.
type cpuProfile struct{ buf bytes.Buffer }

func startCPUProfile() (*cpuProfile, error) {
	p := &cpuProfile{}
	if err := pprof.StartCPUProfile(&p.buf); err != nil {
		return nil, fmt.Errorf("bench: CPU split needs the CPU profiler: %w", err)
	}
	return p, nil
}

func (p *cpuProfile) stop() []byte {
	pprof.StopCPUProfile()
	return p.buf.Bytes()
}

// withPart runs f with the goroutine labelled as part; goroutines f starts
// inherit the label.
func withPart(ctx context.Context, part string, f func(context.Context)) {
	pprof.Do(ctx, pprof.Labels(partLabel, part), f)
}

// splitCPU divides perMsg (µs) by the CPU time of each part's samples in
// prof.
func splitCPU(prof []byte, perMsg float64) (CPUSplit, error) {
	byPart, err := cpuByLabel(prof, partLabel)
	if err != nil {
		return CPUSplit{}, err
	}
	var total, samples int64
	for _, v := range byPart {
		total += v.cpu
		samples += v.samples
	}
	s := CPUSplit{Samples: samples}
	if total == 0 {
		return s, nil
	}
	share := func(part string) float64 { return perMsg * float64(byPart[part].cpu) / float64(total) }
	s.Relay, s.Loader, s.Simulator, s.Runtime = share(partRelay), share(partLoader), share(partSimulator), share("")
	return s, nil
}

type labelCPU struct{ samples, cpu int64 } // sample count, CPU ns

var errProfile = errors.New("bench: bad CPU profile")

// cpuByLabel sums a CPU profile's samples and CPU time by the value of
// one label ("" for samples without it). prof is a profile.proto message,
// gzipped or not. Only the fields needed are read: sample_type (1),
// sample (2: value 2, label 3) and string_table (6).
func cpuByLabel(prof []byte, key string) (map[string]labelCPU, error) {
	if len(prof) >= 2 && prof[0] == 0x1f && prof[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(prof))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errProfile, err)
		}
		if prof, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("%w: %w", errProfile, err)
		}
	}
	type sample struct {
		values []int64
		labels [][2]int64 // key, str: string table indexes
	}
	var (
		types   [][2]int64 // type, unit
		samples []sample
		strs    []string
	)
	err := fields(prof, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			var t [2]int64
			err := fields(v, func(n protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
				if n == 1 || n == 2 {
					t[n-1] = int64(x)
				}
				return nil
			})
			types = append(types, t)
			return err
		case 2:
			var s sample
			err := fields(v, func(n protowire.Number, typ protowire.Type, b []byte, x uint64) error {
				switch {
				case n == 2 && typ == protowire.VarintType:
					s.values = append(s.values, int64(x))
				case n == 2 && typ == protowire.BytesType: // packed
					for len(b) > 0 {
						x, m := protowire.ConsumeVarint(b)
						if m < 0 {
							return errProfile
						}
						s.values, b = append(s.values, int64(x)), b[m:]
					}
				case n == 3 && typ == protowire.BytesType:
					var l [2]int64
					err := fields(b, func(n protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
						if n == 1 || n == 2 {
							l[n-1] = int64(x)
						}
						return nil
					})
					s.labels = append(s.labels, l)
					return err
				}
				return nil
			})
			samples = append(samples, s)
			return err
		case 6:
			strs = append(strs, string(v))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	str := func(i int64) string {
		if i < 0 || i >= int64(len(strs)) {
			return ""
		}
		return strs[i]
	}
	countIdx, cpuIdx := 0, len(types)-1
	for i, t := range types {
		switch str(t[0]) {
		case "samples":
			countIdx = i
		case "cpu":
			cpuIdx = i
		}
	}
	out := map[string]labelCPU{}
	for _, s := range samples {
		part := ""
		for _, l := range s.labels {
			if str(l[0]) == key {
				part = str(l[1])
			}
		}
		c := out[part]
		if countIdx < len(s.values) {
			c.samples += s.values[countIdx]
		}
		if cpuIdx >= 0 && cpuIdx < len(s.values) {
			c.cpu += s.values[cpuIdx]
		}
		out[part] = c
	}
	return out, nil
}

// fields calls f for each field of a protobuf message: the bytes of a
// length-delimited one, the value of a varint.
func fields(b []byte, f func(protowire.Number, protowire.Type, []byte, uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errProfile
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return errProfile
		}
		b = b[n:]
		if err := f(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}
