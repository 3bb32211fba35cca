package upstream

import (
	"bytes"
	"testing"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

func BenchmarkFrameEncodeSubmit(b *testing.B) {
	f := typicalSubmit()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendFrame(buf[:0], f); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkFrameDecodeSubmit(b *testing.B) {
	one, _ := AppendFrame(nil, typicalSubmit())
	stream := bytes.Repeat(one, 1024)
	r := bytes.NewReader(stream)
	fr := NewFrameReader(r, 0)
	var f upstreampb.Frame
	b.SetBytes(int64(len(one)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%1024 == 0 {
			r.Reset(stream)
		}
		i++
		if err := fr.Read(&f); err != nil {
			b.Fatal(err)
		}
	}
}
