package upstream

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// hotFrames are frames of the four hand-coded operations, with every field
// set in some and none in others, negative and largest numbers, and text
// that is not ASCII.
func hotFrames() []*upstreampb.Frame {
	return []*upstreampb.Frame{
		typicalSubmit(),
		{Op: &upstreampb.Frame_Submit{Submit: &upstreampb.Submit{}}},
		{Seq: math.MaxUint32, Op: &upstreampb.Frame_Submit{Submit: &upstreampb.Submit{
			ClientRef: "ref-1", Product: upstreampb.Product_PRODUCT_ALIMTALK, Sender: "0212345678",
			Recipient: "01012345678", Text: "주문이 접수되었습니다 " + string(bytes.Repeat([]byte("가"), 200)),
			Subject: "제목", SenderKey: "key", TemplateCode: "T1", ButtonsJson: `[{"name":"a"}]`,
			ImageUrl: "https://example.com/i.png", Ad: true, Title: "title",
			Fallback: upstreampb.Fallback(-3), Truncate: true, SendAtMs: -1, ExpiresAtMs: math.MaxInt64,
		}}},
		{Seq: 7, Op: &upstreampb.Frame_SubmitResp{SubmitResp: &upstreampb.SubmitResp{
			Status: upstreampb.Status_OK, MessageId: "0123456789abcdef", Duplicate: true,
		}}},
		{Seq: 8, Op: &upstreampb.Frame_SubmitResp{SubmitResp: &upstreampb.SubmitResp{
			Status: upstreampb.Status_TOO_LONG, Reason: "길다", Field: "text", Measured: 91, Limit: 80,
			RetryAfterMs: math.MaxUint32,
		}}},
		{Op: &upstreampb.Frame_SubmitResp{SubmitResp: &upstreampb.SubmitResp{Status: upstreampb.Status(-1), Measured: math.MinInt64}}},
		{Op: &upstreampb.Frame_Report{Report: &upstreampb.Report{
			ReportSeq: math.MaxUint64, MessageId: "0123456789abcdef", ClientRef: "r", Customer: "shop",
			State: upstreampb.FinalState_DELIVERED, ResultSource: upstreampb.ResultSource_SOURCE_RECEIPT,
			ResultCode: "DELIVRD", ResultReason: "전달", Billed: upstreampb.Product_PRODUCT_SMS,
			AcceptedAtMs: 1764720000000, SentAtMs: 1764720000100, FinalAtMs: -5, Product: upstreampb.Product_PRODUCT_AUTO,
		}}},
		{Seq: 1, Op: &upstreampb.Frame_Report{Report: &upstreampb.Report{}}},
		{Seq: 3, Op: &upstreampb.Frame_ReportAck{ReportAck: &upstreampb.ReportAck{ReportSeqs: []uint64{1, 2, 300, math.MaxUint64, 0}}}},
		{Op: &upstreampb.Frame_ReportAck{ReportAck: &upstreampb.ReportAck{}}},
	}
}

// TestHotFrameBytes: the hand-coded operations are written byte for byte
// as protobuf writes them, and read back as they were.
func TestHotFrameBytes(t *testing.T) {
	for i, f := range hotFrames() {
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendHot([]byte("x"), f)
		if !ok {
			t.Fatalf("frame %d: not hand-coded", i)
		}
		if !bytes.Equal(got[1:], want) {
			t.Errorf("frame %d:\n got %x\nwant %x", i, got[1:], want)
		}
		var back upstreampb.Frame
		if _, ok := decodeHot(want, &back, nil); !ok {
			t.Fatalf("frame %d: not decoded by hand", i)
		}
		if !proto.Equal(&back, f) {
			t.Errorf("frame %d: read back %v, want %v", i, &back, f)
		}
	}
}

// TestHotFrameLeavesToProtobuf: what the hand decoder cannot decode
// exactly goes to protobuf, which still merges, keeps and refuses as before.
func TestHotFrameLeavesToProtobuf(t *testing.T) {
	sub, _ := proto.Marshal(&upstreampb.Submit{Text: "a"})
	sub2, _ := proto.Marshal(&upstreampb.Submit{Sender: "b"})
	frame := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	op := func(num protowire.Number, body []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), body)
	}
	for _, c := range []struct {
		name string
		in   []byte
	}{
		{"two submits merge", frame(op(12, sub), op(12, sub2))},
		{"unknown field kept", frame(op(12, append(protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 5), sub...)))},
		{"invalid UTF-8", frame(op(12, op(5, []byte{0xff})))},
		{"a field of the wrong type", frame(op(12, protowire.AppendVarint(protowire.AppendTag(nil, 5, protowire.VarintType), 1)))},
		{"bind", frame(op(10, nil))},
		{"truncated", frame(op(12, sub))[:3]},
	} {
		var f upstreampb.Frame
		if _, ok := decodeHot(c.in, &f, nil); ok {
			t.Errorf("%s: decoded by hand", c.name)
		}
	}
	// Text that is not UTF-8 is not written by hand: protobuf refuses it.
	for _, f := range []*upstreampb.Frame{
		{Op: &upstreampb.Frame_Submit{Submit: &upstreampb.Submit{Text: "\xff"}}},
		{Op: &upstreampb.Frame_SubmitResp{SubmitResp: &upstreampb.SubmitResp{Reason: "\xc0"}}},
		{Op: &upstreampb.Frame_Report{Report: &upstreampb.Report{ResultReason: "a\xffb"}}},
	} {
		if _, ok := appendHot(nil, f); ok {
			t.Errorf("%v: invalid UTF-8 written by hand", f)
		}
		if _, err := AppendFrame(nil, f); err == nil {
			t.Errorf("%v: AppendFrame wrote invalid UTF-8", f)
		}
	}
}

func FuzzHotFrame(f *testing.F) {
	for _, fr := range hotFrames() {
		b, _ := proto.Marshal(fr)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x62, 0x00, 0x62, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		var hot, ref upstreampb.Frame
		_, ok := decodeHot(in, &hot, nil)
		err := proto.Unmarshal(in, &ref)
		if ok {
			if err != nil {
				t.Fatalf("decoded by hand; protobuf refuses: %v", err)
			}
			if !proto.Equal(&hot, &ref) {
				t.Fatalf("by hand %v, protobuf %v", &hot, &ref)
			}
		}
		if err != nil {
			return
		}
		out, ok := appendHot(nil, &ref)
		if !ok {
			return
		}
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(&ref)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, want) {
			t.Fatalf("written by hand %x, by protobuf %x", out, want)
		}
	})
}

// TestReadSubmitAllocs: reading a submit into a frame read into before
// makes the operation (with its oneof wrapper) and one copy of its text,
// nothing more; the server reads every submit so.
func TestReadSubmitAllocs(t *testing.T) {
	b, err := AppendFrame(nil, typicalSubmit())
	if err != nil {
		t.Fatal(err)
	}
	var r bytes.Reader
	fr := NewFrameReader(&r, 0)
	f := new(upstreampb.Frame)
	n := testing.AllocsPerRun(100, func() {
		r.Reset(b)
		if err := fr.Read(f); err != nil {
			t.Fatal(err)
		}
	})
	if !proto.Equal(f, typicalSubmit()) {
		t.Fatalf("read %v", f)
	}
	if n != 2 {
		t.Errorf("reading a submit allocates %v times, want 2", n)
	}
}

// TestRecycledSubmit: a server's reader takes each Submit from submitPool,
// says which one it took, and the strings a handler kept of a Submit given
// back still read as they were after the next frames are decoded.
func TestRecycledSubmit(t *testing.T) {
	var stream []byte
	for i := range 4 {
		f := &upstreampb.Frame{Seq: uint32(i), Op: &upstreampb.Frame_Submit{Submit: &upstreampb.Submit{
			ClientRef: fmt.Sprint("ref-", i), Recipient: "0101234567" + fmt.Sprint(i), Text: fmt.Sprint("text ", i),
		}}}
		var err error
		if stream, err = AppendFrame(stream, f); err != nil {
			t.Fatal(err)
		}
	}
	fr := NewFrameReader(bytes.NewReader(stream), 0)
	fr.submits = &submitPool
	var f upstreampb.Frame
	var kept []string
	for i := range 4 {
		if err := fr.Read(&f); err != nil {
			t.Fatal(err)
		}
		s := f.GetSubmit()
		if fr.sub == nil || &fr.sub.s != s {
			t.Fatalf("frame %d: the reader did not say which Submit it took", i)
		}
		kept = append(kept, s.ClientRef, s.Recipient, s.Text)
		putSubmit(fr.sub)
		if s.ClientRef != "" || s.Text != "" {
			t.Fatalf("frame %d: a Submit given back keeps its strings", i)
		}
	}
	for i := range 4 {
		want := []string{fmt.Sprint("ref-", i), "0101234567" + fmt.Sprint(i), fmt.Sprint("text ", i)}
		if got := kept[3*i : 3*i+3]; !slices.Equal(got, want) {
			t.Errorf("frame %d: kept %q, want %q", i, got, want)
		}
	}
	if err := fr.Read(&f); err != io.EOF || fr.sub != nil {
		t.Fatalf("after the last frame: %v, sub %v", err, fr.sub)
	}
}

// TestRecycledSubmitAllocs: with its Submit recycled, a submit frame costs
// the server one allocation, the copy its strings share.
func TestRecycledSubmitAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	b, err := AppendFrame(nil, typicalSubmit())
	if err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(nil)
	fr := NewFrameReader(r, 0)
	fr.submits = &submitPool
	var f upstreampb.Frame
	if a := testing.AllocsPerRun(100, func() {
		r.Reset(b)
		if err := fr.Read(&f); err != nil {
			t.Fatal(err)
		}
		putSubmit(fr.sub)
	}); a != 1 {
		t.Errorf("%v allocations a submit frame, want 1", a)
	}
}
