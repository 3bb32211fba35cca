package smpp

import (
	"sync"

	"github.com/msgrelay/relay/smpp/pdu"
)

// frame is one encoded PDU on its way to the writer. Whoever produces a
// PDU encodes it, in its own goroutine, so the encoding cost spreads over
// the submitters and the writer only copies bytes; the caller's body is
// never read after Submit has handed it over. A frame with a nil buffer
// tells the writer to flush and close the connection.
type frame struct {
	b *[]byte
}

var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func encode(p *pdu.PDU) (frame, error) {
	b := framePool.Get().(*[]byte)
	out, err := p.AppendTo((*b)[:0])
	if err != nil {
		framePool.Put(b)
		return frame{}, err
	}
	*b = out
	return frame{b: b}, nil
}

// free returns the buffer once the writer has copied it.
func (f frame) free() {
	if f.b != nil && cap(*f.b) <= 4<<10 {
		framePool.Put(f.b)
	}
}
