package smppserver

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/intake"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/smpp/coding"
	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/store"
)

func encodePDU(t testing.TB, p *pdu.PDU) []byte {
	b, err := p.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func seedSubmits(f *testing.F) {
	sm := sms("0212345678", "821012345678")
	sm.Dest.TON = 1
	f.Add(encodePDU(f, &pdu.PDU{Header: pdu.Header{Command: pdu.SubmitSMID, Sequence: 1}, Body: sm}))
	part := sms("0212345678", "01012345678")
	part.ESMClass, part.DataCoding, part.ShortMessage = 0x40, 0x08, []byte{5, 0, 3, 7, 2, 1, 0xAC, 0x00}
	f.Add(encodePDU(f, &pdu.PDU{Header: pdu.Header{Command: pdu.SubmitSMID, Sequence: 2}, Body: part}))
	sar := sms("0212345678", "01012345678")
	sar.DataCoding, sar.ShortMessage, sar.ValidityPeriod = 0x0E, []byte("\xb0\xa1"), "000001000000000R"
	sar.TLVs.SetSarMsgRefNum(9)
	sar.TLVs.SetSarTotalSegments(2)
	sar.TLVs.SetSarSegmentSeqnum(2)
	f.Add(encodePDU(f, &pdu.PDU{Header: pdu.Header{Command: pdu.SubmitSMID, Sequence: 3}, Body: sar}))
	d := &pdu.DataSM{Source: pdu.Address{Addr: "0212345678"}, Dest: pdu.Address{Addr: "01012345678"}, DataCoding: 8}
	_ = d.TLVs.SetMessagePayload([]byte{0xD5, 0x5C})
	f.Add(encodePDU(f, &pdu.PDU{Header: pdu.Header{Command: pdu.DataSMID, Sequence: 4}, Body: d}))
}

// FuzzReadSubmit: whatever a submit_sm or data_sm carries, readSubmit and
// request never panic, and what they pass is what the door expects.
func FuzzReadSubmit(f *testing.F) {
	seedSubmits(f)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := pdu.Decode(b, 0)
		if err != nil {
			return
		}
		var fs submitFields
		switch body := p.Body.(type) {
		case *pdu.SubmitSM:
			fs = fieldsOfSubmit(body)
		case *pdu.DataSM:
			fs = fieldsOfData(body)
		default:
			return
		}
		pc, st := readSubmit(fs, now)
		if st != pdu.StatusOK {
			return
		}
		if fs.src.TON == tonInternational && !strings.HasPrefix(pc.sender, "0") {
			t.Fatalf("international sender %q became %q", fs.src.Addr, pc.sender)
		}
		if pc.part && (pc.concat.Seq == 0 || pc.concat.Seq > pc.concat.Total || pc.concat.Total < 2) {
			t.Fatalf("part %+v", pc.concat)
		}
		if req, st := pc.request(); st == pdu.StatusOK && !utf8.ValidString(req.Text) {
			t.Fatalf("text %q is not UTF-8", req.Text)
		}
	})
}

// TestParseTime: both forms of SMPP 3.4 7.1.1 read to the instant they
// name: absolute with its offset in quarter hours either side of UTC, and
// relative from now.
func TestParseTime(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"261202183000036+", time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)},         // Korean time, +09:00
		{"261202093000500+", time.Date(2026, 12, 2, 9, 30, 0, 5e8, time.UTC)},       // UTC, tenths
		{"261202043000020-", time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)},         // -05:00
		{"000001020304000R", now.Add(26*time.Hour + 3*time.Minute + 4*time.Second)}, // a day, 2 h 3 min 4 s
		{"000000010000000R", now.Add(time.Hour)},                                    // an hour
		{"010000000000000R", now.Add(365 * 24 * time.Hour)},                         // a year, read as 365 days
		{"240229120000000+", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)},         // a leap day
		{"261231235959948+", time.Date(2026, 12, 31, 11, 59, 59, 9e8, time.UTC)},    // +12:00
		{"270101000000048-", time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)},          // -12:00
		{"000000000000000R", now}, // now
		{"261202090000000R", now.Add(26*365*24*time.Hour + 12*30*24*time.Hour + 2*24*time.Hour + 9*time.Hour)}, // relative, whatever the digits
	} {
		got, err := parseTime(tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"26120209000000+", "2612020900000000", "261302090000000+", "260231090000000+",
		"261202240000000+", "261202096000000+", "261202090060000+", "261202090000049+", "26120209000a000+", "261202090000000r"} {
		if _, err := parseTime(bad, now); err == nil {
			t.Errorf("parseTime(%q) took a malformed time", bad)
		}
	}
}

// FuzzParseTime: an SMPP time parses to a time or an error, never a panic;
// a relative time is never before now; an absolute one names the fields
// it was written with, in the offset it gives.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"", "261202090000000+", "261202090000036-", "000001000000000R", "260231000000000+", "99999999999999R",
		"261202183000036+", "240229120000948-"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := parseTime(s, now)
		if err != nil {
			return
		}
		if s == "" {
			if !tm.IsZero() {
				t.Fatalf("empty time read as %v", tm)
			}
			return
		}
		switch s[15] {
		case 'R':
			if tm.Before(now) {
				t.Fatalf("relative %q is before now: %v", s, tm)
			}
		case '+', '-':
			_, off := tm.Zone()
			nn := int(s[13]-'0')*10 + int(s[14]-'0')
			if tm.Format("060102150405") != s[:12] || tm.Nanosecond() != int(s[12]-'0')*1e8 || (off != nn*900 && off != -nn*900) {
				t.Fatalf("absolute %q read as %v", s, tm)
			}
		default:
			t.Fatalf("%q read with an unknown form", s)
		}
	})
}

// FuzzAssemble: parts in any order and number join into whole messages
// whose octets are their parts' in order, and the bound holds.
func FuzzAssemble(f *testing.F) {
	f.Add([]byte{1, 3, 0, 2, 3, 1, 3, 3, 1})
	f.Add([]byte{7, 2, 2, 7, 2, 2, 7, 2, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		a := newAssembler(4, time.Minute)
		now := time.Unix(0, 0)
		for i := 0; i+2 < len(b); i += 3 {
			ref, total, seq := b[i]%4, b[i+1]%5, b[i+2]%6
			if total < 2 || seq == 0 || seq > total {
				continue
			}
			p := &piece{sender: "s", recipient: "r", payload: []byte{seq}, part: true,
				concat: concatOf(uint16(ref), total, seq)}
			m, _ := a.add("c", p, target{}, now)
			if a.waiting() > 4 {
				t.Fatalf("%d parts waiting, bound 4", a.waiting())
			}
			if m == nil {
				continue
			}
			j := m.joined()
			if len(j) != int(total) {
				t.Fatalf("joined %v of %d parts", j, total)
			}
			for k, v := range j {
				if int(v) != k+1 {
					t.Fatalf("joined out of order: %v", j)
				}
			}
		}
	})
}

// stubBackend accepts everything without a store, for the stream fuzzer.
type stubBackend struct{ n uint64 }

func (s *stubBackend) Authenticate(ctx context.Context, id, pw string) (*customer.Customer, error) {
	if id != "demo" {
		return nil, ErrUnauthenticated
	}
	return &customer.Customer{ID: "demo"}, nil
}
func (s *stubBackend) Accept(ctx context.Context, c string, in message.Ingress, subs []intake.Submit, out []intake.Result) {
	for i := range out {
		s.n++
		out[i] = intake.Result{ID: message.ID(s.n)}
	}
}
func (s *stubBackend) Closing() bool                          { return false }
func (s *stubBackend) Watch(string) (<-chan struct{}, func()) { return nil, nil }
func (s *stubBackend) Reports(string, uint64, int) ([]store.Report, error) {
	return nil, nil
}
func (s *stubBackend) AckReports(context.Context, string, ...uint64) error { return nil }
func (s *stubBackend) Message(message.ID) (*message.Message, error)        { return nil, store.ErrNotFound }

// FuzzConnStream: any byte stream after a bind, written in two halves,
// is answered or closed, never a panic or a hang.
func FuzzConnStream(f *testing.F) {
	seedSubmits(f)
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 9})
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 9})
	bind := encodePDU(f, &pdu.PDU{Header: pdu.Header{Command: pdu.BindTransceiverID, Sequence: 1},
		Body: &pdu.Bind{SystemID: "demo", Password: "x", InterfaceVersion: 0x34}})
	f.Fuzz(func(t *testing.T, b []byte) {
		srv, err := NewServer(Config{BindTimeout: time.Second, ResponseTimeout: time.Second}, &stubBackend{}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		client, server := net.Pipe()
		srv.accept(server)
		go func() { _, _ = io.Copy(io.Discard, client) }()
		half := len(b) / 2
		_, _ = client.Write(bind)
		_, _ = client.Write(b[:half])
		_, _ = client.Write(b[half:])
		client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Fatalf("close: %v", err)
		}
	})
}

func concatOf(ref uint16, total, seq uint8) coding.Concat {
	return coding.Concat{Ref: ref, Total: total, Seq: seq}
}
