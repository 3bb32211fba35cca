package upstream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

func typicalSubmit() *upstreampb.Frame {
	return &upstreampb.Frame{Seq: 4242, Op: &upstreampb.Frame_Submit{Submit: &upstreampb.Submit{
		ClientRef: "order-2026-11-26-000123",
		Product:   upstreampb.Product_PRODUCT_AUTO,
		Sender:    "15884954",
		Recipient: "01012345678",
		Text:      "[상점] 주문하신 상품이 발송되었습니다. 운송장 123-456-7890",
		Fallback:  upstreampb.Fallback_FALLBACK_AUTO,
	}}}
}

func TestFrameRoundTrip(t *testing.T) {
	frames := []*upstreampb.Frame{
		typicalSubmit(),
		{Seq: 1, Op: &upstreampb.Frame_Bind{Bind: &upstreampb.Bind{Customer: "c1", Secret: "s", Version: Version}}},
		{Seq: 2, Op: &upstreampb.Frame_SubmitResp{SubmitResp: &upstreampb.SubmitResp{
			Status: upstreampb.Status_TOO_LONG, Field: "text", Measured: 91, Limit: 80, Reason: "SMS over 80 bytes"}}},
		{Op: &upstreampb.Frame_Report{Report: &upstreampb.Report{ReportSeq: 1 << 40, MessageId: "0123456789abcdef",
			State: upstreampb.FinalState_DELIVERED, Billed: upstreampb.Product_PRODUCT_SMS, FinalAtMs: 1764147600000}}},
		{Seq: 3, Op: &upstreampb.Frame_ReportAck{ReportAck: &upstreampb.ReportAck{ReportSeqs: []uint64{1, 2, 3}}}},
		{Seq: 4, Op: &upstreampb.Frame_Ping{Ping: &upstreampb.Ping{}}},
		// Larger than the stream buffer: read through the body buffer.
		{Seq: 6, Op: &upstreampb.Frame_Submit{Submit: &upstreampb.Submit{Text: strings.Repeat("가나다", 4000)}}},
		{Seq: 5, Op: &upstreampb.Frame_PaymentEvent{PaymentEvent: &upstreampb.PaymentEvent{
			EventId: "ev1", Mid: "mid01", Kind: upstreampb.PaymentEventKind_VIRTUAL_ACCOUNT_ISSUED,
			Method: upstreampb.PaymentMethod_VIRTUAL_ACCOUNT, Amount: 15000}}},
	}
	var stream []byte
	for _, f := range frames {
		var err error
		if stream, err = AppendFrame(stream, f); err != nil {
			t.Fatal(err)
		}
	}
	// The first frame's prefix is its body length, big-endian.
	if n := binary.BigEndian.Uint32(stream); int(n) != proto.Size(frames[0]) {
		t.Fatalf("prefix %d, body %d", n, proto.Size(frames[0]))
	}
	fr := NewFrameReader(bytes.NewReader(stream), 0)
	for i, want := range frames {
		var got upstreampb.Frame
		if err := fr.Read(&got); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !proto.Equal(&got, want) {
			t.Fatalf("frame %d: got %v, want %v", i, &got, want)
		}
	}
	var f upstreampb.Frame
	if err := fr.Read(&f); err != io.EOF {
		t.Fatalf("after last frame: %v, want EOF", err)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestFrameTooLargeRefusedBeforeReading(t *testing.T) {
	// A header claiming 1 GiB, then a few bytes: the reader must refuse on
	// the header and not try to read (or allocate) the body.
	in := append(binary.BigEndian.AppendUint32(nil, 1<<30), "abc"...)
	cr := &countingReader{r: bytes.NewReader(in)}
	fr := NewFrameReader(cr, 1024)
	var f upstreampb.Frame
	err := fr.Read(&f)
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err = %v, want ErrFrameTooLarge", err)
	}
	if cap(fr.buf) != 0 {
		t.Fatalf("body buffer allocated: cap %d", cap(fr.buf))
	}
	if fr.Buffered() != 3 || cr.n != len(in) {
		t.Fatalf("body consumed: %d buffered of %d read", fr.Buffered(), cr.n)
	}
	// Exactly at the limit is fine.
	ok, _ := AppendFrame(nil, &upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Submit{Submit: &upstreampb.Submit{Text: string(bytes.Repeat([]byte("a"), 1000))}}})
	limit := len(ok) - HeaderLen
	if err := NewFrameReader(bytes.NewReader(ok), limit).Read(&f); err != nil {
		t.Fatalf("frame at the limit: %v", err)
	}
	if err := NewFrameReader(bytes.NewReader(ok), limit-1).Read(&f); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("frame one over the limit: %v", err)
	}
}

func TestFrameReaderBadInput(t *testing.T) {
	var f upstreampb.Frame
	cases := map[string]struct {
		in   []byte
		want error
	}{
		"empty frame":    {[]byte{0, 0, 0, 0}, ErrEmptyFrame},
		"short header":   {[]byte{0, 0}, io.ErrUnexpectedEOF},
		"short body":     {[]byte{0, 0, 0, 9, 8, 1}, io.ErrUnexpectedEOF},
		"garbage body":   {[]byte{0, 0, 0, 3, 0xff, 0xff, 0xff}, ErrBadFrame},
		"wrong wiretype": {[]byte{0, 0, 0, 2, 0x0b, 0x01}, ErrBadFrame},
	}
	for name, c := range cases {
		err := NewFrameReader(bytes.NewReader(c.in), 0).Read(&f)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
}

// TestFrameTranscript pins the bytes of the example in README.md.
func TestFrameTranscript(t *testing.T) {
	got, err := AppendFrame(nil, &upstreampb.Frame{Seq: 5, Op: &upstreampb.Frame_Ping{Ping: &upstreampb.Ping{}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 0, 5, 0x08, 0x05, 0x82, 0x01, 0x00}
	if !bytes.Equal(got, want) {
		t.Fatalf("got % x, want % x", got, want)
	}
}
