package smpptest_test

import (
	"testing"

	"github.com/msgrelay/relay/smpp/pdu"
	"github.com/msgrelay/relay/smpp/smpptest"
)

func TestParseFlags(t *testing.T) {
	u, err := smpptest.ParseUsers("relay:secret,b:")
	if err != nil || len(u) != 2 || u["relay"] != "secret" || u["b"] != "" {
		t.Fatalf("ParseUsers: %v %v", u, err)
	}
	if _, err := smpptest.ParseUsers("nopassword"); err == nil {
		t.Fatal("ParseUsers accepted a user without ':'")
	}
	if u, err := smpptest.ParseUsers(""); u != nil || err != nil {
		t.Fatal("empty users should let everyone in")
	}
	for s, want := range map[string]smpptest.ReceiptMode{"both": smpptest.ReceiptBoth, "tlv": smpptest.ReceiptTLV, "text": smpptest.ReceiptText, "none": smpptest.ReceiptNone} {
		if m, err := smpptest.ParseReceiptMode(s); err != nil || m != want {
			t.Fatalf("ParseReceiptMode(%q) = %v, %v", s, m, err)
		}
	}
	if _, err := smpptest.ParseReceiptMode("some"); err == nil {
		t.Fatal("ParseReceiptMode accepted junk")
	}
	for s, want := range map[string]pdu.Tag{"0x1500": 0x1500, "none": 0, "0": 0, "5377": 0x1501} {
		if tag, err := smpptest.ParseSubjectTag(s); err != nil || tag != want {
			t.Fatalf("ParseSubjectTag(%q) = %#x, %v", s, tag, err)
		}
	}
	if _, err := smpptest.ParseSubjectTag("0x10000"); err == nil {
		t.Fatal("ParseSubjectTag accepted a tag over 16 bits")
	}
}
