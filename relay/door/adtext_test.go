package door

import (
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestIsAdText(t *testing.T) {
	cases := []struct {
		text string
		ad   bool
	}{
		{"(광고) 겨울 세일", true},
		{"[광고] 겨울 세일", true},
		{"（광고） 전각 괄호", true},               // full-width brackets
		{"［광고］ 전각 대괄호", true},              // full-width square brackets
		{"( 광고 ) 괄호 안 공백", true},           // spaces inside the brackets
		{"(광 고)", true},                    // even between the syllables
		{"  \t\n(광고) 앞 공백", true},          // leading whitespace
		{"\u3000(광고) 전각 공백", true},         // ideographic space
		{"\u200b\ufeff(광고) 폭 없는 문자", true}, // zero-width space, BOM
		{"(\u200b광\u200d고\u2060) 안의 폭 없는 문자", true},
		{"\u3164(광고) 한글 채움 문자", true},
		{"(\u1100\u116a\u11bc\u1100\u1169) 조합형 자모", true}, // conjoining jamo compose to 광고
		{"(ㄱㅘㅇ고)", false},                                 // compatibility jamo: ㅇ becomes an initial, not a final
		{"(광고", false},
		{"광고) 닫는 괄호만", false},
		{"(광고가 아님)", false},
		{"(곡)", false},
		{"(고\u11a8)", false}, // 고 + final ㄱ composes to 곡
		{"안내 (광고)", false},
		{"", false},
		{"   ", false},
		{"(주) 회사 안내", false},
		{"⑴ 첫째", false},
	}
	for _, c := range cases {
		if got := IsAdText(c.text); got != c.ad {
			t.Errorf("IsAdText(%q) = %v, want %v", c.text, got, c.ad)
		}
		if got := isAdTextNFKC(c.text); got != c.ad {
			t.Errorf("reference(%q) = %v, want %v", c.text, got, c.ad)
		}
	}
}

func TestIsAdTextDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"(광고) 세일", "（ 광고 ］", "⑴ 첫째", "\u200b[ᄀ\u116a\u11bc고] x", "주문이 접수되었습니다"} {
		if n := testing.AllocsPerRun(100, func() { IsAdText(s) }); n != 0 {
			t.Errorf("IsAdText(%q): %v allocations", s, n)
		}
	}
}

// isAdTextNFKC is IsAdText the slow way: normalise the whole text with
// NFKC, then drop blanks and look at the first four runes.
func isAdTextNFKC(text string) bool {
	var got []rune
	for _, r := range norm.NFKC.String(text) {
		if unicode.IsSpace(r) || invisible(r) {
			continue
		}
		got = append(got, r)
		if len(got) == 4 {
			break
		}
	}
	return len(got) == 4 && (got[0] == '(' || got[0] == '[') && got[1] == '광' && got[2] == '고' &&
		(got[3] == ')' || got[3] == ']')
}

// FuzzIsAdText checks the rune-by-rune normaliser against NFKC of the
// whole text.
func FuzzIsAdText(f *testing.F) {
	for _, s := range []string{"(광고)", "（ 광고 ）", "[\u200b광고]", "(\u1100\u116a\u11bc\u1100\u1169)", "(고\u11a8)", "㈜", "\u3164(광고)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // the door refuses invalid UTF-8 before it looks for ads
		}
		if got, want := IsAdText(s), isAdTextNFKC(s); got != want {
			t.Fatalf("IsAdText(%q) = %v, NFKC reference says %v", s, got, want)
		}
	})
}
