package coding_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/msgrelay/relay/smpp/coding"
)

func ExampleSplit() {
	text := strings.Repeat("안녕하세요 ", 20) // 120 characters, 220 EUC-KR bytes
	dc, _ := coding.Choose(text, coding.GSM7, coding.EUCKR, coding.UCS2)
	parts, err := coding.Split(text, dc, coding.Limits{}, coding.UDH8, 0x2A)
	if err != nil {
		panic(err)
	}
	for _, p := range parts {
		fmt.Printf("%v part %d/%d: udh % x, %d bytes\n", dc, p.Seq, p.Total, p.UDH, len(p.Payload))
	}
	// Output:
	// EUCKR part 1/2: udh 05 00 03 2a 02 01, 134 bytes
	// EUCKR part 2/2: udh 05 00 03 2a 02 02, 86 bytes
}

func ExampleEUCKRLen() {
	n, _ := coding.EUCKRLen("[광고] 오늘만 50% 할인")
	fmt.Println(n)
	_, err := coding.EUCKRLen("축하해요 🎉")
	var ue *coding.UnencodableError
	if errors.As(err, &ue) {
		fmt.Printf("%q at character %d, byte %d\n", ue.Rune, ue.Index, ue.Offset)
	}
	// Output:
	// 22
	// '🎉' at character 5, byte 13
}
