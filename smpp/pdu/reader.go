package pdu

import (
	"bufio"
	"io"
)

// readBufferSize is the size of the buffer a Reader puts in front of a
// stream that has none.
const readBufferSize = 32 << 10

// Reader reads PDUs one at a time from a stream, such as a TCP connection.
// It is not safe for concurrent use.
type Reader struct {
	r      *bufio.Reader
	maxLen uint32
	hdr    [HeaderLen]byte
	small  [inlineBody]byte // a body of at most inlineBody, before the PDU copies it
}

// NewReader returns a Reader of r that refuses any command_length over
// maxLen (zero means DefaultMaxLen). If r is a *bufio.Reader it is used as
// is; otherwise it is buffered.
func NewReader(r io.Reader, maxLen uint32) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, readBufferSize)
	}
	return &Reader{r: br, maxLen: effectiveMax(maxLen)}
}

// Read reads the next PDU. It checks command_length against the maximum
// before it allocates anything for the body. A PDU of a body of at most 256
// octets (nearly every response, and a submit_sm or deliver_sm of a short message
// or a receipt) is one allocation, a longer one two.
//
// Errors: io.EOF when the stream ends between PDUs; io.ErrUnexpectedEOF (or
// the stream's error) when it ends inside one; a *DecodeError for a
// malformed PDU. After a DecodeError that is not Fatal the whole PDU has
// been consumed and the stream is still in step: answer it and read on.
// After a Fatal one, or any other error, the stream must be closed.
func (r *Reader) Read() (*PDU, error) {
	if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		return nil, err
	}
	h := parseHeader(r.hdr[:])
	if err := checkLength(h, r.maxLen); err != nil {
		return nil, err
	}
	n := h.Length - HeaderLen
	owned := n > inlineBody
	var body []byte
	if owned {
		body = make([]byte, n)
	} else {
		body = r.small[:n:n]
	}
	if n > 0 {
		if _, err := io.ReadFull(r.r, body); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return decodeBody(h, body, owned)
}
