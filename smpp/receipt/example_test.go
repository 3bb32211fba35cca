package receipt_test

import (
	"fmt"
	"time"

	"github.com/msgrelay/relay/smpp/receipt"
)

func ExampleParse() {
	seoul := time.FixedZone("KST", 9*3600)
	text := "id:2587 sub:001 dlvrd:001 submit date:2311261530 done date:2311261531 stat:DELIVRD err:000 text:"
	r, err := receipt.Parse(text, receipt.TLVs{}, seoul)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.ID, r.Stat, r.Class(), r.Done.Format(time.RFC3339))
	// The submit_sm_resp gave the id in hex, the receipt in decimal.
	fmt.Println(receipt.Normalize("00000A1B", receipt.IDFormat{Base: receipt.Hex}) ==
		receipt.Normalize(r.ID, receipt.IDFormat{Base: receipt.Decimal}))
	// Output:
	// 2587 DELIVRD success 2023-11-26T15:31:00+09:00
	// true
}
