package upstream

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// Version is the protocol version this package speaks. Part of the wire
// format: raise it only with a note in README.md on what changed.
const Version = 1

// MinVersion is the oldest client version a server accepts.
const MinVersion = 1

// HeaderLen is the size of a frame's length prefix. Part of the wire format.
const HeaderLen = 4

// DefaultMaxFrameSize is the largest frame body accepted unless configured.
const DefaultMaxFrameSize = 64 << 10

// readBufferSize is the stream buffer of a FrameReader: a few dozen typical
// submits per read, and small enough for ten thousand idle connections.
const readBufferSize = 8 << 10

// Errors of the framing layer.
var (
	ErrFrameTooLarge = errors.New("upstream: frame too large")
	ErrEmptyFrame    = errors.New("upstream: empty frame")
	ErrBadFrame      = errors.New("upstream: malformed frame")
)

// AppendFrame appends f, length prefix included, to dst.
func AppendFrame(dst []byte, f *upstreampb.Frame) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst, ok := appendHot(dst, f)
	var err error
	if !ok {
		dst, err = proto.MarshalOptions{}.MarshalAppend(dst, f)
	}
	if err != nil {
		return dst[:start], fmt.Errorf("upstream: encode frame: %w", err)
	}
	n := len(dst) - start - HeaderLen
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	return dst, nil
}

// FrameReader reads length-prefixed frames from a stream. It checks the
// length against its maximum before it allocates anything for the body, and
// reuses one body buffer (decoded frames never alias it).
type FrameReader struct {
	r   *bufio.Reader
	max int
	buf []byte
	hdr [HeaderLen]byte

	// submits, if set, is where decoded Submits come from (the server's
	// readers); sub is the one the last Read took from it, if any.
	submits *sync.Pool
	sub     *hotSubmit
}

// NewFrameReader reads frames of at most max body bytes from r
// (DefaultMaxFrameSize if max <= 0).
func NewFrameReader(r io.Reader, max int) *FrameReader {
	if max <= 0 {
		max = DefaultMaxFrameSize
	}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, readBufferSize)
	}
	return &FrameReader{r: br, max: max}
}

// Buffered reports how many bytes are read from the stream but not yet
// returned as frames.
func (fr *FrameReader) Buffered() int { return fr.r.Buffered() }

// Read reads the next frame into f, which it resets first. It returns
// io.EOF on a clean end between frames, io.ErrUnexpectedEOF inside one,
// ErrFrameTooLarge, ErrEmptyFrame or ErrBadFrame for bad input, which the
// caller should treat as the end of the connection.
func (fr *FrameReader) Read(f *upstreampb.Frame) error {
	fr.sub = nil
	hdr := fr.hdr[:] // not on the stack: ReadFull would move it to the heap
	if _, err := io.ReadFull(fr.r, hdr); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(hdr)
	if n == 0 {
		return ErrEmptyFrame
	}
	if uint64(n) > uint64(fr.max) {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, fr.max)
	}
	var body []byte
	if int(n) <= fr.r.Size() {
		// The common case: decode straight from the stream buffer. Decoded
		// frames never alias it (strings and bytes are copied).
		b, err := fr.r.Peek(int(n))
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		body = b
		defer fr.r.Discard(int(n))
	} else {
		if cap(fr.buf) < int(n) {
			fr.buf = make([]byte, n)
		}
		body = fr.buf[:n]
		if _, err := io.ReadFull(fr.r, body); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if cap(fr.buf) > DefaultMaxFrameSize {
			// One large frame does not pin a large buffer for the connection's life.
			fr.buf = nil
		}
	}
	sub, ok := decodeHot(body, f, fr.submits)
	fr.sub = sub
	if ok {
		return nil
	}
	if err := proto.Unmarshal(body, f); err != nil {
		return fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	return nil
}
