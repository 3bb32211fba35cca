package upstream_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// FuzzServerConn feeds arbitrary bytes to a bound connection: whatever they
// are, the server answers or closes, and never hangs or panics.
func FuzzServerConn(f *testing.F) {
	var seed []byte
	seed, _ = upstream.AppendFrame(seed, submitFrame(2, "a"))
	seed, _ = upstream.AppendFrame(seed, &upstreampb.Frame{Seq: 3, Op: &upstreampb.Frame_ReportAck{ReportAck: &upstreampb.ReportAck{ReportSeqs: []uint64{1}}}})
	seed, _ = upstream.AppendFrame(seed, &upstreampb.Frame{Seq: 4, Op: &upstreampb.Frame_Ping{Ping: &upstreampb.Ping{}}})
	seed, _ = upstream.AppendFrame(seed, &upstreampb.Frame{Seq: 5, Op: &upstreampb.Frame_PaymentEvent{PaymentEvent: &upstreampb.PaymentEvent{EventId: "e"}}})
	f.Add(seed)
	unbind, _ := upstream.AppendFrame(nil, &upstreampb.Frame{Seq: 6, Op: &upstreampb.Frame_Unbind{Unbind: &upstreampb.Unbind{}}})
	f.Add(append(append([]byte(nil), seed...), unbind...))
	f.Add([]byte{0, 0, 0, 3, 0x82, 0x01})
	f.Add([]byte{0xff, 0, 0, 0})

	h := payHandler{newFakeHandler()}
	h.outbox("c1").add(3)
	ts := startServer(f, upstream.Config{MaxFrameSize: 4096}, h)
	bind, _ := upstream.AppendFrame(nil, &upstreampb.Frame{Seq: 1, Op: &upstreampb.Frame_Bind{Bind: &upstreampb.Bind{
		Customer: "c1", Secret: "right-secret", Version: upstream.Version}}})
	f.Fuzz(func(t *testing.T, in []byte) {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(30 * time.Second))
		done := make(chan error, 1)
		go func() {
			_, err := nc.Write(append(append([]byte(nil), bind...), in...))
			nc.(*net.TCPConn).CloseWrite()
			done <- err
		}()
		// The server ends the connection once the input runs out (or sooner).
		if _, err := io.Copy(io.Discard, nc); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("server still holds the connection after 10s")
			}
		}
		<-done
	})
}
