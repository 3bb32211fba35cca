package upstream

import (
	"bytes"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// twoHalves returns its input in two reads split at cut, so the frame
// reader meets a frame cut anywhere: in the prefix, in the body, between.
type twoHalves struct {
	parts [][]byte
}

func (h *twoHalves) Read(p []byte) (int, error) {
	for len(h.parts) > 0 && len(h.parts[0]) == 0 {
		h.parts = h.parts[1:]
	}
	if len(h.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, h.parts[0])
	h.parts[0] = h.parts[0][n:]
	return n, nil
}

// readAll reads frames until the first error.
func readAll(r io.Reader) ([]*upstreampb.Frame, error) { return readAllMax(r, 4096) }

func readAllMax(r io.Reader, max int) ([]*upstreampb.Frame, error) {
	fr := NewFrameReader(r, max)
	var out []*upstreampb.Frame
	for {
		f := new(upstreampb.Frame)
		if err := fr.Read(f); err != nil {
			return out, err
		}
		out = append(out, f)
	}
}

func FuzzFrameReader(f *testing.F) {
	seed, _ := AppendFrame(nil, typicalSubmit())
	seed, _ = AppendFrame(seed, &upstreampb.Frame{Seq: 7, Op: &upstreampb.Frame_ReportAck{ReportAck: &upstreampb.ReportAck{ReportSeqs: []uint64{1, 9}}}})
	f.Add(seed, 3)
	f.Add(seed, 40)
	f.Add([]byte{0, 0, 0, 0}, 2)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1}, 1)
	f.Add([]byte{0, 0, 0, 2, 0x0b, 0x01}, 5)
	f.Fuzz(func(t *testing.T, in []byte, cut int) {
		whole, werr := readAll(bytes.NewReader(in))
		if cut < 0 {
			cut = -cut
		}
		if len(in) > 0 {
			cut %= len(in) + 1
		} else {
			cut = 0
		}
		split, serr := readAll(&twoHalves{parts: [][]byte{in[:cut:cut], in[cut:]}})
		if len(whole) != len(split) || (werr == nil) != (serr == nil) || werr.Error() != serr.Error() {
			t.Fatalf("whole: %d frames, %v; split at %d: %d frames, %v", len(whole), werr, cut, len(split), serr)
		}
		for i := range whole {
			if !proto.Equal(whole[i], split[i]) {
				t.Fatalf("frame %d differs when split at %d", i, cut)
			}
			// Whatever decodes encodes and decodes to the same frame.
			b, err := AppendFrame(nil, whole[i])
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			again, err := readAllMax(bytes.NewReader(b), 1<<20)
			if len(again) != 1 || err != io.EOF || !proto.Equal(again[0], whole[i]) {
				t.Fatalf("re-decode of frame %d: %d frames, %v", i, len(again), err)
			}
		}
	})
}
