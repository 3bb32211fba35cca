package receipt

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var seoul = time.FixedZone("KST", 9*3600)

func kst(y, mo, d, h, mi, s int) time.Time {
	return time.Date(y, time.Month(mo), d, h, mi, s, 0, seoul)
}

func TestParseVariants(t *testing.T) {
	cases := []struct {
		name  string
		text  string
		id    string
		stat  Stat
		class Class
		sub   int
		dlvrd int
		sdate time.Time
		ddate time.Time
		err   string
		txt   string
	}{
		{"standard",
			"id:1234567890 sub:001 dlvrd:001 submit date:2311261530 done date:2311261531 stat:DELIVRD err:000 text:Hello world",
			"1234567890", StatDelivered, ClassSuccess, 1, 1, kst(2023, 11, 26, 15, 30, 0), kst(2023, 11, 26, 15, 31, 0), "000", "Hello world"},
		{"lower case keys and values",
			"ID:abc sub:001 DLVRD:000 Submit Date:2311261530 DONE DATE:2311261531 Stat:undeliv Err:001 Text:x",
			"abc", StatUndeliverable, ClassFailure, 1, 0, kst(2023, 11, 26, 15, 30, 0), kst(2023, 11, 26, 15, 31, 0), "001", "x"},
		{"missing sub and dlvrd",
			"id:77 submit date:2311261530 done date:2311261531 stat:EXPIRED err:000 text:",
			"77", StatExpired, ClassFailure, -1, -1, kst(2023, 11, 26, 15, 30, 0), kst(2023, 11, 26, 15, 31, 0), "000", ""},
		{"12-digit dates",
			"id:77 sub:001 dlvrd:001 submit date:231126153005 done date:231126153107 stat:DELIVRD err:000",
			"77", StatDelivered, ClassSuccess, 1, 1, kst(2023, 11, 26, 15, 30, 5), kst(2023, 11, 26, 15, 31, 7), "000", ""},
		{"14-digit dates, underscores",
			"id:77 submit_date:20231126153005 done_date:20231126153107 stat:ACCEPTD",
			"77", StatAccepted, ClassIntermediate, -1, -1, kst(2023, 11, 26, 15, 30, 5), kst(2023, 11, 26, 15, 31, 7), "", ""},
		{"reordered and extra fields",
			"stat:REJECTD foo:bar id:0A1B err:0x0B extra:1 dlvrd:000 sub:001 text:nope",
			"0A1B", StatRejected, ClassFailure, 1, 0, time.Time{}, time.Time{}, "0x0B", "nope"},
		{"text containing stat:",
			"id:5 sub:001 dlvrd:001 submit date:2311261530 done date:2311261531 stat:DELIVRD err:000 text:stat:UNDELIV id:9 err:1",
			"5", StatDelivered, ClassSuccess, 1, 1, kst(2023, 11, 26, 15, 30, 0), kst(2023, 11, 26, 15, 31, 0), "000", "stat:UNDELIV id:9 err:1"},
		{"extra spaces",
			"  id:  42   sub: 001  dlvrd :001 submit date : 2311261530   stat:   enroute   err:000  text:  hi  ",
			"42", StatEnroute, ClassIntermediate, 1, 1, kst(2023, 11, 26, 15, 30, 0), time.Time{}, "000", "hi  "},
		{"trailing garbage and nul",
			"id:42 stat:DELIVRD err:000\x00\x00",
			"42", StatDelivered, ClassSuccess, -1, -1, time.Time{}, time.Time{}, "000", ""},
		{"text before stat",
			"id:42 text:hello there stat:BUFFRED err:000",
			"42", StatBuffered, ClassIntermediate, -1, -1, time.Time{}, time.Time{}, "000", "hello there"},
		{"unknown stat is failure",
			"id:42 stat:WEIRD",
			"42", StatOther, ClassFailure, -1, -1, time.Time{}, time.Time{}, "", ""},
		{"bad date is unset",
			"id:42 submit date:2313991530 done date:23112615 stat:DELETED",
			"42", StatDeleted, ClassFailure, -1, -1, time.Time{}, time.Time{}, "", ""},
		{"31 april is unset",
			"id:42 submit date:2304311200 stat:UNKNOWN",
			"42", StatUnknown, ClassFailure, -1, -1, time.Time{}, time.Time{}, "", ""},
		{"kannel style tab separated",
			"id:42\tsub:001\tdlvrd:001\tsubmit date:2311261530\tdone date:2311261531\tstat:DELIVRD\terr:000\ttext:",
			"42", StatDelivered, ClassSuccess, 1, 1, kst(2023, 11, 26, 15, 30, 0), kst(2023, 11, 26, 15, 31, 0), "000", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Parse(c.text, TLVs{}, seoul)
			if err != nil {
				t.Fatal(err)
			}
			if r.ID != c.id || r.Stat != c.stat || r.Class() != c.class || r.Sub != c.sub || r.Dlvrd != c.dlvrd ||
				!r.Submitted.Equal(c.sdate) || !r.Done.Equal(c.ddate) || r.Err != c.err || r.Text != c.txt {
				t.Errorf("got %+v", r)
			}
			if r.IDFromTLV || r.StatFromTLV {
				t.Error("TLV flags set")
			}
			if !Looks(c.text) {
				t.Error("Looks = false")
			}
		})
	}
}

func TestParseTLVsWin(t *testing.T) {
	text := "id:1234 sub:001 dlvrd:001 submit date:2311261530 done date:2311261531 stat:DELIVRD err:000 text:"
	r, err := Parse(text, TLVs{ReceiptedMessageID: "4d2\x00", MessageState: 5, HasMessageState: true,
		NetworkErrorCode: []byte{0x03, 0x00, 0x0B}}, seoul)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "4d2" || !r.IDFromTLV || r.Stat != StatUndeliverable || !r.StatFromTLV || r.Class() != ClassFailure {
		t.Errorf("TLVs did not win: %+v", r)
	}
	if !r.HasNetworkError || r.NetworkType != 3 || r.NetworkCode != 11 {
		t.Errorf("network error: %+v", r)
	}
	if !r.Done.Equal(kst(2023, 11, 26, 15, 31, 0)) || r.StatText != "DELIVRD" {
		t.Errorf("text fields lost: %+v", r)
	}
	// TLVs alone make a receipt.
	r, err = Parse("", TLVs{ReceiptedMessageID: "X1", MessageState: 2, HasMessageState: true}, nil)
	if err != nil || r.ID != "X1" || r.Stat != StatDelivered {
		t.Errorf("TLV only: %+v, %v", r, err)
	}
}

func TestMessageStates(t *testing.T) {
	want := map[uint8]Class{1: ClassIntermediate, 2: ClassSuccess, 3: ClassFailure, 4: ClassFailure,
		5: ClassFailure, 6: ClassIntermediate, 7: ClassFailure, 8: ClassFailure, 0: ClassIntermediate, 200: ClassFailure}
	for v, c := range want {
		st := StatFromMessageState(v)
		if st.Class() != c {
			t.Errorf("message_state %d: %v is %v, want %v", v, st, st.Class(), c)
		}
		if v <= 9 && st.MessageState() != v {
			t.Errorf("message_state %d: round trip %d", v, st.MessageState())
		}
	}
	for _, s := range []string{"DELIVRD", "ACCEPTD", "ENROUTE", "BUFFRED", "EXPIRED", "DELETED", "UNDELIV", "REJECTD", "UNKNOWN"} {
		if st := ParseStat(s); st.String() != s {
			t.Errorf("ParseStat(%s) = %v", s, st)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, text := range []string{"", "hello, this is an MO message", "stat:DELIVRD err:000", "id: stat:DELIVRD", "idx:5 stat:DELIVRD"} {
		if _, err := Parse(text, TLVs{}, nil); !errors.Is(err, ErrNotReceipt) {
			t.Errorf("Parse(%q) err = %v, want ErrNotReceipt", text, err)
		}
		if Looks(text) {
			t.Errorf("Looks(%q)", text)
		}
	}
	r, err := Parse("id:5 err:000 text:", TLVs{}, nil)
	if !errors.Is(err, ErrNoStatus) || r.ID != "5" {
		t.Errorf("no status: %+v, %v", r, err)
	}
}

func TestFormat(t *testing.T) {
	r := Receipt{ID: "0A1B", Stat: StatDelivered, Sub: 1, Dlvrd: 1,
		Submitted: kst(2023, 11, 26, 15, 30, 0), Done: kst(2023, 11, 26, 15, 31, 0), Err: "000", Text: "안녕"}
	got := string(Format(nil, r, seoul))
	want := "id:0A1B sub:001 dlvrd:001 submit date:2311261530 done date:2311261531 stat:DELIVRD err:000 text:안녕"
	if got != want {
		t.Fatalf("Format =\n%q, want\n%q", got, want)
	}
	// The same instant written for a carrier in UTC.
	if got := string(Format(nil, r, time.UTC)); !strings.Contains(got, " submit date:2311260630 ") {
		t.Errorf("UTC dates %q", got)
	}
	back, err := Parse(got, TLVs{}, seoul)
	if err != nil || back.ID != r.ID || back.Stat != r.Stat || !back.Done.Equal(r.Done) || back.Text != r.Text {
		t.Errorf("round trip %+v, %v", back, err)
	}
}

func BenchmarkParse(b *testing.B) {
	text := "id:1234567890 sub:001 dlvrd:001 submit date:2311261530 done date:2311261531 stat:DELIVRD err:000 text:Hello world"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(text, TLVs{}, seoul); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseFromBytes(b *testing.B) {
	sm := []byte("id:1234567890 sub:001 dlvrd:001 submit date:2311261530 done date:2311261531 stat:DELIVRD err:000 text:Hello world")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(string(sm), TLVs{}, seoul); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFormatNew formats into no buffer, as a simulated SMSC does for
// each receipt: one allocation, the text's.
func BenchmarkFormatNew(b *testing.B) {
	r := Receipt{ID: "1234567890abcdef", Stat: StatDelivered, Sub: 1, Dlvrd: 1,
		Submitted: kst(2023, 11, 26, 15, 30, 0), Done: kst(2023, 11, 26, 15, 31, 0), Err: "000",
		Text: "[상점] 주"}
	b.ReportAllocs()
	for b.Loop() {
		if len(Format(nil, r, seoul)) == 0 {
			b.Fatal("empty")
		}
	}
}

func BenchmarkFormat(b *testing.B) {
	r := Receipt{ID: "1234567890", Stat: StatDelivered, Sub: 1, Dlvrd: 1,
		Submitted: kst(2023, 11, 26, 15, 30, 0), Done: kst(2023, 11, 26, 15, 31, 0), Err: "000"}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = Format(buf[:0], r, seoul)
	}
}

// TestParseBlankValueAtEnd: a key whose value is only blanks up to the end
// of the text is an empty value, not a read past the end (a receipt from
// a carrier must never panic the reader).
func TestParseBlankValueAtEnd(t *testing.T) {
	for _, text := range []string{"stAt: ", "id:1 stat:\t", "id:1 stat:DELIVRD err: ", "id: "} {
		fs := scan(text)
		if v := fs.v[fErr]; v != "" && strings.HasSuffix(text, "err: ") {
			t.Errorf("scan(%q): err %q, want empty", text, v)
		}
		_, _ = Parse(text, TLVs{}, nil)
	}
}
