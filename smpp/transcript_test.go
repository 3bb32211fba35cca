package smpp_test

import (
	"bufio"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/msgrelay/relay/smpp/pdu"
)

// rawSMSC is one accepted socket, driven by the test byte by byte.
type rawSMSC struct {
	t  *testing.T
	nc net.Conn
	rd *pdu.Reader
}

func acceptRaw(t *testing.T, ln net.Listener) *rawSMSC {
	t.Helper()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawSMSC{t: t, nc: nc, rd: pdu.NewReader(bufio.NewReader(nc), 0)}
}

func (r *rawSMSC) read() *pdu.PDU {
	r.t.Helper()
	p, err := r.rd.Read()
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

func (r *rawSMSC) write(b []byte) {
	r.t.Helper()
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawSMSC) writePDU(p *pdu.PDU) {
	r.t.Helper()
	b, err := p.AppendTo(nil)
	if err != nil {
		r.t.Fatal(err)
	}
	r.write(b)
}

func (r *rawSMSC) expect(cmd pdu.CommandID, st pdu.Status, seq uint32) {
	r.t.Helper()
	p := r.read()
	if p.Command != cmd || p.Status != st || p.Sequence != seq {
		r.t.Fatalf("got %s %s seq %d, want %s %s seq %d", p.Command, p.Status, p.Sequence, cmd, st, seq)
	}
}

func (r *rawSMSC) acceptBind() {
	r.t.Helper()
	p := r.read()
	b, ok := p.Body.(*pdu.Bind)
	if p.Command != pdu.BindTransceiverID || !ok || b.SystemID != "relay" || b.Password != "secret" || b.InterfaceVersion != 0x34 {
		r.t.Fatalf("bind = %s %+v", p.Command, p.Body)
	}
	r.writePDU(&pdu.PDU{Header: pdu.Header{Command: pdu.BindTransceiverRespID, Sequence: p.Sequence}, Body: &pdu.BindResp{SystemID: "raw"}})
}

func header(cmd pdu.CommandID, seq uint32, body ...byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(16+len(body)))
	b = binary.BigEndian.AppendUint32(b, uint32(cmd))
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, seq)
	return append(b, body...)
}

func TestAnswersSMSCRequestsAndGarbage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := fastConfig(ln.Addr().String())
	newSessionAsync(t, cfg)
	r := acceptRaw(t, ln)
	r.acceptBind()

	r.write(header(0x00000099, 77)) // unknown command
	r.expect(pdu.GenericNackID, pdu.StatusInvCmdID, 77)
	r.write(header(pdu.EnquireLinkID, 78))
	r.expect(pdu.EnquireLinkRespID, pdu.StatusOK, 78)
	r.write(header(pdu.SubmitSMID, 79, 0, 0)) // truncated body
	p := r.read()
	if p.Command != pdu.SubmitSMRespID || p.Sequence != 79 || p.Status == pdu.StatusOK {
		t.Fatalf("truncated submit_sm answered with %s %s seq %d", p.Command, p.Status, p.Sequence)
	}
	// The SMSC unbinds: the ESME answers, closes, and binds again.
	r.write(header(pdu.UnbindID, 80))
	r.expect(pdu.UnbindRespID, pdu.StatusOK, 80)
	r2 := acceptRaw(t, ln)
	r2.acceptBind()

	// A command_length over the maximum breaks the framing: generic_nack,
	// then a new socket.
	r2.write(append(binary.BigEndian.AppendUint32(nil, 1<<30), header(pdu.SubmitSMID, 81)[4:]...))
	r2.expect(pdu.GenericNackID, pdu.StatusInvCmdLen, 81)
	r3 := acceptRaw(t, ln)
	r3.acceptBind()
}
