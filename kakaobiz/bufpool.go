package kakaobiz

import "sync"

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 64<<10 {
		return // do not keep what one huge answer grew
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}
