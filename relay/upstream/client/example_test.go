package client_test

import (
	"context"
	"fmt"
	"time"

	"github.com/msgrelay/relay/relay/upstream"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/relay/upstream/upstreamtest"
)

func ExampleDial() {
	relay := upstreamtest.NewServer(upstream.Config{}, nil) // a stand-in relay
	defer relay.Close()
	relay.Handler.AutoReport = true

	reports := make(chan *upstreampb.Report, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, relay.Addr, client.Options{
		Customer: "test",
		Secret:   "test-secret",
		OnReport: func(r *upstreampb.Report) { reports <- r }, // acked when it returns
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	resp, err := c.Submit(ctx, &upstreampb.Submit{
		ClientRef: "order-1",
		Product:   upstreampb.Product_PRODUCT_AUTO,
		Sender:    "15884954",
		Recipient: "01012345678",
		Text:      "주문이 접수되었습니다",
	})
	if err != nil {
		fmt.Println(err) // connection lost: resubmit with the same client_ref
		return
	}
	fmt.Println(resp.Status, len(resp.MessageId))
	r := <-reports
	fmt.Println(r.State, r.ResultCode, r.Billed, r.MessageId == resp.MessageId)
	// Output:
	// OK 16
	// DELIVERED DELIVRD PRODUCT_SMS true
}

func ExampleClient_SubmitAsync() {
	relay := upstreamtest.NewServer(upstream.Config{}, nil) // a stand-in relay
	defer relay.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, relay.Addr, client.Options{Customer: "test", Secret: "test-secret", Window: 8})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	// One goroutine keeps up to Window submits in flight.
	answers := make(chan string, 3)
	for i := range 3 {
		err := c.SubmitAsync(ctx, &upstreampb.Submit{
			ClientRef: fmt.Sprint("order-", i),
			Product:   upstreampb.Product_PRODUCT_SMS,
			Sender:    "15884954",
			Recipient: "01012345678",
			Text:      "주문이 접수되었습니다",
		}, func(resp *upstreampb.SubmitResp, err error) {
			if err != nil {
				answers <- err.Error() // connection lost: resubmit with the same client_ref
				return
			}
			answers <- resp.Status.String()
		})
		if err != nil {
			fmt.Println(err) // not sent; no answer will come
			return
		}
	}
	for range 3 {
		fmt.Println(<-answers)
	}
	// Output:
	// OK
	// OK
	// OK
}
