package optout

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestAddRemovePersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "optout.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := l.Add("demo", []string{"010-1234-5678", "+82 10 2222 3333", "01012345678"}); err != nil || n != 2 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if _, err := l.Add("demo", []string{"01099998888", "0212345678"}); !errors.Is(err, ErrNumber) || !strings.Contains(err.Error(), "0212345678") {
		t.Fatalf("Add of a landline = %v", err)
	}
	if l.OptedOut("demo", "01099998888") {
		t.Fatal("a failed Add added a number")
	}
	if n, err := l.Remove("demo", []string{"01022223333", "01000000000"}); err != nil || n != 1 {
		t.Fatalf("Remove = %d, %v", n, err)
	}
	l.Close()
	l, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !l.OptedOut("demo", "01012345678") || l.OptedOut("demo", "01022223333") || l.OptedOut("other", "01012345678") {
		t.Fatalf("after restart: %v", l.Numbers("demo"))
	}
	if got := l.Numbers("demo"); len(got) != 1 || got[0] != "01012345678" {
		t.Fatalf("Numbers = %v", got)
	}
	if n := testing.AllocsPerRun(100, func() { l.OptedOut("demo", "01012345678") }); n != 0 {
		t.Fatalf("OptedOut allocates %v", n)
	}
}

func TestParseCSV(t *testing.T) {
	got, err := ParseCSV(strings.NewReader("\ufeff번호,이름\n010-1111-2222,홍길동\n\n01033334444\n 010 5555 6666 ,x\n"))
	if err != nil || strings.Join(got, "|") != "010-1111-2222|01033334444|010 5555 6666" {
		t.Fatalf("ParseCSV = %q, %v", got, err)
	}
	if _, err := ParseCSV(strings.NewReader("\"unterminated\n")); err == nil {
		t.Fatal("bad CSV accepted")
	}
}
