package pdu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"runtime"
	"testing"
	"testing/iotest"
)

// halves is an io.Reader that returns its input in two separate reads, split
// at a chosen point, as a socket may deliver it.
type halves struct {
	parts [][]byte
}

func (h *halves) Read(p []byte) (int, error) {
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

func splitReader(b []byte, at int) io.Reader {
	at = min(max(at, 0), len(b))
	return &halves{parts: [][]byte{b[:at:at], b[at:]}}
}

func TestReaderStream(t *testing.T) {
	var stream []byte
	var want []*PDU
	for _, p := range roundTripBodies() {
		var err error
		stream, err = p.AppendTo(stream)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}
	// An unknown command in the middle: reported, skipped, stream in step.
	stream = append(stream, rawPDU(0x00000222, []byte{1, 2, 3})...)
	stream = append(stream, rawPDU(UnbindID, nil)...)
	for _, at := range []int{0, 1, 15, 16, 17, 100, len(stream) / 2, len(stream) - 1} {
		r := NewReader(iotest.OneByteReader(splitReader(bytes.Clone(stream), at)), 0)
		for i, w := range want {
			got, err := r.Read()
			if err != nil {
				t.Fatalf("split %d, pdu %d: %v", at, i, err)
			}
			if got.Command != w.Command || got.Sequence != w.Sequence {
				t.Fatalf("split %d, pdu %d: got %s/%d", at, i, got.Command, got.Sequence)
			}
		}
		_, err := r.Read()
		var de *DecodeError
		if !errors.As(err, &de) || de.Fatal || de.Status != StatusInvCmdID {
			t.Fatalf("unknown command: %v", err)
		}
		if p, err := r.Read(); err != nil || p.Command != UnbindID {
			t.Fatalf("after unknown command: %v %v", p, err)
		}
		if _, err := r.Read(); err != io.EOF {
			t.Fatalf("end: %v", err)
		}
	}
}

func TestReaderEnds(t *testing.T) {
	full := rawPDU(SubmitSMRespID, []byte("id\x00"))
	for n := 1; n < len(full); n++ {
		_, err := NewReader(bytes.NewReader(full[:n]), 0).Read()
		if err != io.ErrUnexpectedEOF {
			t.Fatalf("cut at %d: %v", n, err)
		}
	}
}

// endless never ends: a reader that trusted command_length would allocate
// its whole claim and wait for it.
type endless struct{ hdr []byte }

func (e *endless) Read(p []byte) (int, error) {
	if len(e.hdr) > 0 {
		n := copy(p, e.hdr)
		e.hdr = e.hdr[n:]
		return n, nil
	}
	for i := range p {
		p[i] = 0
	}
	return len(p), nil
}

func TestReaderLengthLimit(t *testing.T) {
	for _, length := range []uint32{0, 15, 1025, 1 << 24, 0xFFFFFFFF} {
		h := make([]byte, HeaderLen)
		binary.BigEndian.PutUint32(h, length)
		binary.BigEndian.PutUint32(h[4:], uint32(SubmitSMID))
		r := NewReader(&endless{hdr: h}, 1024)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := r.Read()
		runtime.ReadMemStats(&after)
		var de *DecodeError
		if !errors.As(err, &de) || !de.Fatal || de.Status != StatusInvCmdLen || !errors.Is(err, ErrCommandLength) {
			t.Fatalf("length %d: %v", length, err)
		}
		// Only the reader's own buffer and the error; nothing sized by
		// the claimed length.
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Fatalf("length %d: %d bytes allocated", length, n)
		}
	}
}

// TestShortBodyOneAllocation: a response of a short body (submit_sm_resp,
// deliver_sm_resp) is read and decoded in one allocation, and keeps
// nothing of the reader's buffer.
func TestShortBodyOneAllocation(t *testing.T) {
	for _, p := range []*PDU{
		{Header: Header{Sequence: 7}, Body: &SubmitSMResp{MessageID: "0123456789abcdef0123456789abcdef"}},
		{Header: Header{Sequence: 8}, Body: &DeliverSMResp{}},
	} {
		b, err := p.AppendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		r := bytes.NewReader(nil)
		rd := NewReader(r, 0)
		if a := testing.AllocsPerRun(100, func() {
			r.Reset(b)
			if _, err := rd.Read(); err != nil {
				t.Fatal(err)
			}
		}); a != 1 {
			t.Errorf("read %s: %v allocations, want 1", p.Body.CommandID(), a)
		}
		if a := testing.AllocsPerRun(100, func() { _, _ = Decode(b, 0) }); a != 1 {
			t.Errorf("decode %s: %v allocations, want 1", p.Body.CommandID(), a)
		}
		r.Reset(b)
		got, err := rd.Read()
		if err != nil {
			t.Fatal(err)
		}
		r.Reset(append(b[:HeaderLen:HeaderLen], bytes.Repeat([]byte{'x'}, len(b)-HeaderLen)...))
		_, _ = rd.Read() // another body through the reader's buffer
		want := *p
		want.Length = uint32(len(b))
		want.Command = p.Body.CommandID()
		if got.Header != want.Header || !reflect.DeepEqual(got.Body, p.Body) {
			t.Errorf("read %+v %+v, want %+v %+v (the reader's buffer was reused under it?)", got.Header, got.Body, want.Header, p.Body)
		}
	}
}

// TestInlineBodyOneAllocation: a body of up to 256 octets (a submit_sm or
// deliver_sm of a short message or a receipt) is read and decoded in one
// allocation, at each size of the PDU's room, a longer one in two; and the
// PDU keeps nothing of the reader's buffer, which the next read reuses.
func TestInlineBodyOneAllocation(t *testing.T) {
	// A submit_sm of empty strings has 17 octets of body before its text.
	for _, n := range []int{18, smallBody, smallBody + 1, mediumBody, mediumBody + 1, largeBody, largeBody + 1, inlineBody, inlineBody + 1} {
		text := bytes.Repeat([]byte{'a' + byte(n%26)}, n-17)
		p := &PDU{Header: Header{Sequence: uint32(n)}, Body: &SubmitSM{ShortMessage: text}}
		b, err := p.AppendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(b) - HeaderLen; got != n {
			t.Fatalf("body of %d octets, want %d", got, n)
		}
		want := 1.0
		if n > inlineBody {
			want = 2
		}
		r := bytes.NewReader(nil)
		rd := NewReader(r, 0)
		if a := testing.AllocsPerRun(100, func() {
			r.Reset(b)
			if _, err := rd.Read(); err != nil {
				t.Fatal(err)
			}
		}); a != want {
			t.Errorf("read a body of %d: %v allocations, want %v", n, a, want)
		}
		if a := testing.AllocsPerRun(100, func() { _, _ = Decode(b, 0) }); a != want {
			t.Errorf("decode a body of %d: %v allocations, want %v", n, a, want)
		}
		r.Reset(b)
		got, err := rd.Read()
		if err != nil {
			t.Fatal(err)
		}
		other := bytes.Repeat([]byte{'x'}, len(b))
		copy(other, b[:HeaderLen])
		r.Reset(other)
		_, _ = rd.Read() // another body through the reader's buffer
		if sm, ok := got.Body.(*SubmitSM); !ok || !bytes.Equal(sm.ShortMessage, text) || cap(sm.ShortMessage) != len(text) {
			t.Errorf("body of %d: read %+v (the reader's buffer was reused under it?)", n, got.Body)
		}
	}
}
