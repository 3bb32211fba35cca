package security

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/bench/faults"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/smpp/pdu"
)

// esmePassword is the SMPP password of the suite's ESME customer.
const esmePassword = "esme7pw"

var smppRE = regexp.MustCompile(`SMPP server listening" addr=(\S+)`)

// startSMPPRelay runs relayd with the SMPP server on and customer esme,
// which may bind over SMPP; smppKeys are more [smpp_server] keys.
func startSMPPRelay(t *testing.T, smppKeys string) (*relay, string) {
	t.Helper()
	faults.SkipShort(t)
	secret, err := customer.HashSecret(faults.Secret, customer.MinIterations)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := customer.HashSecret(esmePassword, customer.MinIterations)
	if err != nil {
		t.Fatal(err)
	}
	r := startRelay(t, "", fmt.Sprintf("\n[smpp_server]\nlisten = \"127.0.0.1:0\"\n%s\n"+
		"[[customer]]\nid = \"esme\"\nname = \"esme\"\nsecret_hash = %q\nsmpp_password_hash = %q\n"+
		"products = [\"sms\", \"lms\"]\nsenders = [\"0212345678\"]\nrate = 100000.0\n", smppKeys, secret, pw))
	var addr string
	deadline := time.Now().Add(30 * time.Second)
	for addr == "" && time.Now().Before(deadline) {
		if m := smppRE.FindStringSubmatch(r.Logs()); m != nil {
			addr = m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	if addr == "" {
		t.Fatalf("SMPP server not listening:\n%s", r.Logs())
	}
	return r, addr
}

// esme is a raw SMPP connection: the attacks write PDUs (or bytes) as
// they like and read what comes back.
type esme struct {
	net.Conn
	rd  *pdu.Reader
	seq uint32
}

func dialESME(t *testing.T, local, addr string) *esme {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, err := dialFrom(ctx, local, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &esme{Conn: nc, rd: pdu.NewReader(nc, 0)}
}

func (e *esme) write(t *testing.T, cmd pdu.CommandID, body pdu.Body) uint32 {
	t.Helper()
	e.seq++
	b, err := (&pdu.PDU{Header: pdu.Header{Command: cmd, Sequence: e.seq}, Body: body}).AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Write(b); err != nil {
		t.Fatal(err)
	}
	return e.seq
}

// read returns the next PDU that is not an enquire_link from the relay.
func (e *esme) read(t *testing.T) *pdu.PDU {
	t.Helper()
	_ = e.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		p, err := e.rd.Read()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if p.Command != pdu.EnquireLinkID {
			return p
		}
	}
}

func (e *esme) bind(t *testing.T, kind pdu.CommandID, systemID, password string) pdu.Status {
	t.Helper()
	e.write(t, kind, &pdu.Bind{Kind: kind, SystemID: systemID, Password: password, InterfaceVersion: 0x34})
	return e.read(t).Status
}

func submitSM(text string) *pdu.SubmitSM {
	return &pdu.SubmitSM{Source: pdu.Address{TON: 2, NPI: 1, Addr: "0212345678"},
		Dest: pdu.Address{TON: 2, NPI: 1, Addr: "01012345678"}, ShortMessage: []byte(text)}
}

// smppBindFrom binds esme as a transceiver from local and unbinds.
func smppBindFrom(local, addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	nc, err := dialFrom(ctx, local, addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(15 * time.Second))
	b, _ := (&pdu.PDU{Header: pdu.Header{Command: pdu.BindTransceiverID, Sequence: 1},
		Body: &pdu.Bind{Kind: pdu.BindTransceiverID, SystemID: "esme", Password: esmePassword, InterfaceVersion: 0x34}}).AppendTo(nil)
	if _, err := nc.Write(b); err != nil {
		return err
	}
	p, err := pdu.NewReader(nc, 0).Read()
	if err != nil {
		return err
	}
	if p.Status != pdu.StatusOK {
		return fmt.Errorf("bind: %v", p.Status)
	}
	u, _ := (&pdu.PDU{Header: pdu.Header{Command: pdu.UnbindID, Sequence: 2}}).AppendTo(nil)
	_, _ = nc.Write(u)
	return nil
}

// S1: the SMPP server's bind flood, attack 1 at its other door:
// connections that never bind, reopened without pause from one source,
// must not keep an ESME at another source from binding.
func TestSMPPBindFlood(t *testing.T) {
	held := faults.Pick(300, 3000)
	if fd := raiseFDLimit(uint64(held) + 1000); fd < uint64(held)+200 {
		t.Skipf("file descriptor limit %d too low for %d connections", fd, held)
	}
	r, addr := startSMPPRelay(t, "max_conns = 100\nbind_timeout = \"5s\"")
	opened := holdFlood(t, held, "127.0.5.1", addr)
	ok, worstRSS := 0, 0.0
	var lastErr error
	for range 20 {
		if err := smppBindFrom("127.0.5.2", addr); err != nil {
			lastErr = err
		} else {
			ok++
		}
		worstRSS = max(worstRSS, faults.RSSMiB(r.PID()))
	}
	t.Logf("SMPP flood of %d held connections (%d opened): %d of 20 binds from another source; RSS at most %.0f MiB",
		held, opened.Load(), ok, worstRSS)
	if ok != 20 {
		t.Errorf("%d of 20 binds succeeded; last error: %v", ok, lastErr)
	}
}

// More attacks on the SMPP server.
func TestSMPPAttacks(t *testing.T) {
	r, addr := startSMPPRelay(t, "bind_timeout = \"1s\"")
	t.Run("S2 command_length 0x7FFFFFFF", func(t *testing.T) {
		e := dialESME(t, "127.0.5.3", addr)
		_, _ = e.Write([]byte{0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1})
		closedWithin(t, e, time.Second)
	})
	t.Run("S3 a 1 MiB submit_sm body", func(t *testing.T) {
		e := dialESME(t, "127.0.5.4", addr)
		if st := e.bind(t, pdu.BindTransceiverID, "esme", esmePassword); st != pdu.StatusOK {
			t.Fatalf("bind: %v", st)
		}
		hdr := []byte{0x00, 0x10, 0x00, 0x10, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9}
		_, _ = e.Write(hdr)
		go func() { _, _ = e.Write(make([]byte, 1<<20)) }() // the relay must not read it into memory
		closedWithin(t, e, 2*time.Second)
	})
	t.Run("S4 submit before bind", func(t *testing.T) {
		e := dialESME(t, "127.0.5.5", addr)
		e.write(t, pdu.SubmitSMID, submitSM("before bind"))
		if p := e.read(t); p.Status != pdu.StatusInvBnd {
			t.Errorf("submit before bind answered %v, want ESME_RINVBNDSTS", p.Status)
		}
		closedWithin(t, e, 2*time.Second) // the bind deadline still runs
	})
	t.Run("S5 submit on a receiver bind, a second bind", func(t *testing.T) {
		e := dialESME(t, "127.0.5.6", addr)
		if st := e.bind(t, pdu.BindReceiverID, "esme", esmePassword); st != pdu.StatusOK {
			t.Fatalf("bind: %v", st)
		}
		e.write(t, pdu.SubmitSMID, submitSM("on a receiver"))
		if p := e.read(t); p.Command != pdu.SubmitSMRespID || p.Status != pdu.StatusInvBnd {
			t.Errorf("submit on a receiver bind: %v %v, want ESME_RINVBNDSTS", p.Command, p.Status)
		}
		e.write(t, pdu.BindTransmitterID, &pdu.Bind{Kind: pdu.BindTransmitterID, SystemID: "esme", Password: esmePassword, InterfaceVersion: 0x34})
		if p := e.read(t); p.Status != pdu.StatusAlyBnd {
			t.Errorf("second bind: %v, want ESME_RALYBND", p.Status)
		}
	})
	t.Run("S6 generic_nack storm", func(t *testing.T) {
		e := dialESME(t, "127.0.5.7", addr)
		if st := e.bind(t, pdu.BindTransceiverID, "esme", esmePassword); st != pdu.StatusOK {
			t.Fatalf("bind: %v", st)
		}
		before := len(r.Logs())
		var burst []byte
		for i := range 20_000 {
			b, _ := (&pdu.PDU{Header: pdu.Header{Command: pdu.GenericNackID, Status: pdu.StatusSysErr, Sequence: uint32(1_000_000 + i)}}).AppendTo(nil)
			burst = append(burst, b...)
		}
		if _, err := e.Write(burst); err != nil {
			t.Fatal(err)
		}
		seq := e.write(t, pdu.EnquireLinkID, nil)
		if p := e.read(t); p.Command != pdu.EnquireLinkRespID || p.Sequence != seq {
			t.Fatalf("after the storm: %v seq %d", p.Command, p.Sequence)
		}
		if grown := len(r.Logs()) - before; grown > 4<<10 {
			t.Errorf("20,000 generic_nacks grew the log by %d bytes", grown)
		}
	})
	t.Run("S7 wrong passwords of one system_id spare another customer", func(t *testing.T) {
		for range 12 {
			e := dialESME(t, "127.0.5.8", addr)
			if st := e.bind(t, pdu.BindTransceiverID, "shop", "guess"); st == pdu.StatusOK {
				t.Fatal("a wrong password bound")
			}
			e.Close()
		}
		if err := smppBindFrom("127.0.5.8", addr); err != nil {
			t.Errorf("esme from the guessing source: %v", err)
		}
	})
	t.Run("S8 still serves after all that", func(t *testing.T) {
		e := dialESME(t, "127.0.5.9", addr)
		if st := e.bind(t, pdu.BindTransmitterID, "esme", esmePassword); st != pdu.StatusOK {
			t.Fatalf("bind: %v", st)
		}
		e.write(t, pdu.SubmitSMID, submitSM("still here"))
		if p := e.read(t); p.Status != pdu.StatusOK {
			t.Errorf("submit: %v", p.Status)
		}
	})
	if strings.Contains(r.Logs(), esmePassword) {
		t.Error("the SMPP password is in the log")
	}
}
