package client_test

import (
	"bufio"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// BenchmarkSubmitAsync is the client's cost of one message as the bench
// loader sends it: SubmitAsync, the answer, and the message's report
// (read, handed to OnReport and acknowledged). The relay's side answers
// from frames encoded into reused buffers, so the allocations counted are
// the client's (with the decoding of the two frames it reads) and the
// relay side's decoding of the submit, the same before and after a change.
func BenchmarkSubmitAsync(b *testing.B) {
	opt := opts
	opt.Window = 64
	var reports sync.WaitGroup
	opt.OnReport = func(*upstreampb.Report) { reports.Done() }
	c, p := connect(b, opt, 64)
	p.nc.SetDeadline(time.Time{})
	go func() { // the relay: answer each submit, then report it
		br := bufio.NewReaderSize(p.nc, 64<<10)
		bw := bufio.NewWriterSize(p.nc, 64<<10)
		resp := &upstreampb.SubmitResp{Status: upstreampb.Status_OK, MessageId: "0123456789abcdef"}
		rep := &upstreampb.Report{MessageId: "0123456789abcdef", ClientRef: "r-1", Customer: "c1",
			State: upstreampb.FinalState_DELIVERED, ResultCode: "DELIVRD"}
		fResp := &upstreampb.Frame{Op: &upstreampb.Frame_SubmitResp{SubmitResp: resp}}
		fRep := &upstreampb.Frame{Op: &upstreampb.Frame_Report{Report: rep}}
		fr := upstream.NewFrameReader(br, 0)
		var f upstreampb.Frame
		var out []byte
		var seq uint64
		for {
			if br.Buffered() == 0 && bw.Flush() != nil {
				return
			}
			if err := fr.Read(&f); err != nil {
				return
			}
			if f.GetSubmit() == nil {
				continue // a report acknowledgement
			}
			s := f.Seq
			seq++
			fResp.Seq, rep.ReportSeq = uint32(s), seq
			out, _ = upstream.AppendFrame(out[:0], fResp)
			out, _ = upstream.AppendFrame(out, fRep)
			if _, err := bw.Write(out); err != nil {
				return
			}
		}
	}()
	ctx := context.Background()
	s := &upstreampb.Submit{ClientRef: "r-1", Sender: "0212345678", Recipient: "01012345678",
		Product: upstreampb.Product_PRODUCT_SMS, Text: "[상점] 주문하신 상품이 발송되었습니다."}
	var answers sync.WaitGroup
	done := func(r *upstreampb.SubmitResp, err error) {
		if err != nil || r.Status != upstreampb.Status_OK {
			b.Errorf("answer %v, %v", r, err)
		}
		answers.Done()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		answers.Add(1)
		reports.Add(1)
		if err := c.SubmitAsync(ctx, s, done); err != nil {
			b.Fatal(err)
		}
	}
	answers.Wait()
	reports.Wait()
}
