package faults

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// TestAcceptedWhenTheClientLeaves resets a client's connection while its
// submit waits for a slow sync, then sends the same client_ref again on a
// new connection, as the protocol asks. Pass: the message is stored once
// and delivered. A store write cut short by the reset may still commit; if
// the relay then forgot the message (never handed to dispatch), the
// resubmission would get its id as a duplicate and it would stay accepted
// until the next restart.
func TestAcceptedWhenTheClientLeaves(t *testing.T) {
	d := &disk{slowSync: 700 * time.Millisecond, slowing: make(chan struct{}, 1)}
	_, dir, s := diskRig(t, d)
	p, err := StartInproc(dir, s, d.options())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Shutdown() }()
	if err := WaitBound(s.Carriers, 2, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	addr := p.D.UpstreamAddr()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	write := func(f *upstreampb.Frame) {
		body, err := proto.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nc.Write(append(frame(f), body...)); err != nil {
			t.Fatal(err)
		}
	}
	write(&upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Bind{Bind: &upstreampb.Bind{Customer: "shop", Secret: Secret,
		Version: 1}}})
	var head [4]byte // the bind's answer
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(nc, head[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, nc, int64(binary.BigEndian.Uint32(head[:]))); err != nil {
		t.Fatal(err)
	}
	d.mode.Store(diskSlow)
	sub := &upstreampb.Submit{ClientRef: "left", Product: upstreampb.Product_PRODUCT_SMS, Sender: "0212345678",
		Recipient: "01012345678", Text: "hello"}
	write(&upstreampb.Frame{Seq: 2, Op: &upstreampb.Frame_Submit{Submit: sub}})
	// Reset the connection while the submit's write is in its sync.
	select {
	case <-d.slowing:
	case <-time.After(10 * time.Second):
		t.Fatal("no sync began")
	}
	_ = nc.(*net.TCPConn).SetLinger(0)
	_ = nc.Close()
	d.mode.Store(diskOK) // the sync under way still takes its 700 ms

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := client.Dial(ctx, addr, client.Options{Customer: "shop", Secret: Secret})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	r, err := cl.Submit(ctx, sub)
	if err != nil || r.Status != upstreampb.Status_OK {
		t.Fatalf("resubmit: %v %v", r, err)
	}
	id, err := message.ParseID(r.MessageId)
	if err != nil {
		t.Fatal(err)
	}
	var m *message.Message
	waitFor(t, "the message delivered", 30*time.Second, func() bool {
		m, err = p.D.Store().Get(id)
		return err == nil && m.State == message.StateDelivered
	})
	t.Logf("resubmission duplicate=%v, state %v", r.Duplicate, m.State)
}
