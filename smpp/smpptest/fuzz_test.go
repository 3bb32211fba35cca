package smpptest_test

import (
	"bufio"
	"encoding/binary"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

func raw(cmd pdu.CommandID, seq uint32, body ...byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(16+len(body)))
	b = binary.BigEndian.AppendUint32(b, uint32(cmd))
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, seq)
	return append(b, body...)
}

// FuzzServerInput sends a bind and then anything, in two writes, to the
// simulated SMSC. It must not panic, must answer only with well-formed
// PDUs, and must close cleanly.
func FuzzServerInput(f *testing.F) {
	f.Add(raw(pdu.EnquireLinkID, 2))
	f.Add(raw(pdu.UnbindID, 2))
	f.Add(raw(0x99, 2))
	f.Add(raw(pdu.SubmitSMID, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0))
	f.Add(raw(pdu.QuerySMID, 3, '1', 0, 0, 0, 0))
	f.Add(raw(pdu.CancelSMID, 4, 0, '1', 0, 0, 0, 0, 0, 0, 0))
	f.Add(raw(pdu.DeliverSMRespID, 5, 0))
	f.Fuzz(func(t *testing.T, in []byte) {
		synctest.Test(t, func(t *testing.T) {
			srv := smpptest.NewUnstarted(smpptest.Config{ReceiptDelay: time.Second,
				Behavior: smpptest.Behavior{EnquireLinkEvery: 300 * time.Millisecond}})
			a, b := net.Pipe()
			srv.ServeConn(b)
			bind, _ := (&pdu.PDU{Header: pdu.Header{Command: pdu.BindTransceiverID, Sequence: 1},
				Body: &pdu.Bind{SystemID: "fuzz", InterfaceVersion: 0x34}}).AppendTo(nil)
			go func() {
				half := len(in) / 2
				for _, part := range [][]byte{bind, in[:half], in[half:]} {
					if _, err := a.Write(part); err != nil {
						return
					}
				}
			}()
			go func() {
				rd := pdu.NewReader(bufio.NewReader(a), 0)
				for {
					if _, err := rd.Read(); err != nil {
						if _, ok := err.(*pdu.DecodeError); ok {
							t.Errorf("server wrote a malformed PDU: %v", err)
						}
						return
					}
				}
			}()
			time.Sleep(2 * time.Second)
			srv.Close()
			a.Close()
		})
	})
}
