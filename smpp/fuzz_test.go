package smpp_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/msgrelay/relay/smpp"
	"github.com/msgrelay/relay/smpp/pdu"
)

// FuzzSessionInput feeds whatever an SMSC might send after a bind, in two
// writes, to a bound session. The session must not panic or hang, must
// write back only well-formed PDUs, and must close cleanly.
func FuzzSessionInput(f *testing.F) {
	f.Add(header(pdu.EnquireLinkID, 5))
	f.Add(header(0x00000099, 6))
	f.Add(append(binary.BigEndian.AppendUint32(nil, 1<<30), header(pdu.SubmitSMID, 7)[4:]...))
	f.Add(header(pdu.SubmitSMRespID, 99, 'x', 0))
	f.Add(header(pdu.DeliverSMID, 8, make([]byte, 20)...))
	f.Add(header(pdu.UnbindID, 9))
	f.Add(header(pdu.GenericNackID, 1))
	deliver, _ := (&pdu.PDU{Header: pdu.Header{Command: pdu.DeliverSMID, Sequence: 10}, Body: &pdu.DeliverSM{ESMClass: 4, ShortMessage: []byte("id:1 stat:DELIVRD")}}).AppendTo(nil)
	f.Add(deliver)
	f.Fuzz(func(t *testing.T, in []byte) {
		synctest.Test(t, func(t *testing.T) {
			first := true
			cfg := fastConfig("fuzz")
			cfg.OnDeliver = func(context.Context, *pdu.DeliverSM) error { return nil }
			cfg.Dial = func(context.Context) (net.Conn, error) {
				a, b := net.Pipe()
				feed := first
				first = false
				go fakeSMSC(t, b, in, feed)
				return a, nil
			}
			s, err := smpp.NewSession(cfg)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = s.Close(ctx)
		})
	})
}

// fakeSMSC accepts the bind, sends in (if feed) in two halves, then reads
// and checks what the session writes until the pipe closes.
func fakeSMSC(t *testing.T, nc net.Conn, in []byte, feed bool) {
	defer nc.Close()
	rd := pdu.NewReader(bufio.NewReader(nc), 0)
	p, err := rd.Read()
	if err != nil {
		return
	}
	resp, _ := (&pdu.PDU{Header: pdu.Header{Command: p.Command.Response(), Sequence: p.Sequence}, Body: &pdu.BindResp{Kind: p.Command.Response()}}).AppendTo(nil)
	if _, err := nc.Write(resp); err != nil {
		return
	}
	if feed {
		go func() {
			half := len(in) / 2
			if _, err := nc.Write(in[:half]); err == nil {
				_, _ = nc.Write(in[half:])
			}
		}()
	}
	for {
		if _, err := rd.Read(); err != nil {
			if _, ok := err.(*pdu.DecodeError); ok {
				t.Errorf("session wrote a malformed PDU: %v", err)
			}
			return
		}
	}
}
