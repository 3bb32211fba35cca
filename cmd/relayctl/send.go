package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// errUndelivered is a send whose message got a final result other than
// delivered: exit code 1.
var errUndelivered = errors.New("the message was not delivered")

type sendFlags struct {
	addr, customer, secret, product, from, to, text, subject, ref string
	senderKey, template, fallback, image, buttons                 string
	ad, truncate                                                  bool
	wait                                                          time.Duration
}

func sendCmd() *cobra.Command {
	var f sendFlags
	cmd := &cobra.Command{
		Use:   "send",
		Short: "Send one message through the upstream port and wait for its final report",
		Long: `Send one message through the relay's upstream port as a customer, print the
submit answer and the final report (JSON, enum names), and exit 1 unless the
message was delivered. Every product works:

  relayctl send -product sms -text "..."
  relayctl send -product lms -subject "제목" -text "..."
  relayctl send -product alimtalk -sender-key KEY -template CODE -text "..." -buttons '[...]'
  relayctl send -product friendtalk_text -sender-key KEY -ad -text "(광고) ..."
  relayctl send -product friendtalk_image -sender-key KEY -image https://.../a.jpg -text "..."`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return send(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:7600", "relay upstream address")
	fl.StringVar(&f.customer, "customer", "demo", "customer id")
	fl.StringVar(&f.secret, "secret", os.Getenv("RELAY_SECRET"), "customer secret (default $RELAY_SECRET)")
	fl.StringVar(&f.product, "product", "auto", "sms, lms, auto, alimtalk, friendtalk_text, friendtalk_image, payment_alimtalk")
	fl.StringVar(&f.from, "from", "0212345678", "sender number")
	fl.StringVar(&f.to, "to", "01012345678", "recipient number")
	fl.StringVar(&f.text, "text", "안녕하세요. 주문하신 상품이 발송되었습니다.", "message text")
	fl.StringVar(&f.subject, "subject", "", "LMS subject or Kakao title")
	fl.StringVar(&f.ref, "ref", "", "client reference (default: a new one)")
	fl.StringVar(&f.senderKey, "sender-key", "", "Kakao sender profile key")
	fl.StringVar(&f.template, "template", "", "AlimTalk template code")
	fl.StringVar(&f.fallback, "fallback", "none", "Kakao fallback: none, sms, lms, auto")
	fl.StringVar(&f.image, "image", "", "FriendTalk image URL (friendtalk_image)")
	fl.StringVar(&f.buttons, "buttons", "", `Kakao buttons as JSON, e.g. '[{"name":"배송조회","type":"WL","url_mobile":"https://..."}]'`)
	fl.BoolVar(&f.ad, "ad", false, "an advertisement (FriendTalk; the door checks the (광고) marks)")
	fl.BoolVar(&f.truncate, "truncate", false, "cut a text over the product's limit instead of refusing it")
	fl.DurationVar(&f.wait, "wait", 2*time.Minute, "how long to wait for the final report (0: do not wait)")
	return cmd
}

func send(ctx context.Context, f sendFlags) error {
	p, ok := upstreampb.Product_value["PRODUCT_"+strings.ToUpper(f.product)]
	if !ok {
		return usagef("unknown product %q", f.product)
	}
	fb, ok := upstreampb.Fallback_value["FALLBACK_"+strings.ToUpper(f.fallback)]
	if !ok {
		return usagef("unknown fallback %q", f.fallback)
	}
	if f.buttons != "" && !json.Valid([]byte(f.buttons)) {
		return usagef("--buttons is not valid JSON")
	}
	if f.ref == "" {
		f.ref = "relayctl-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()

	reports := make(chan *upstreampb.Report, 16)
	c, err := client.Dial(ctx, f.addr, client.Options{
		Customer: f.customer, Secret: f.secret, ClientName: "relayctl",
		OnReport: func(r *upstreampb.Report) { reports <- r },
	})
	if err != nil {
		return err
	}
	defer c.Close()
	resp, err := c.Submit(ctx, &upstreampb.Submit{
		ClientRef: f.ref, Product: upstreampb.Product(p), Sender: f.from, Recipient: f.to,
		Text: f.text, Subject: f.subject, Title: f.subject, SenderKey: f.senderKey, TemplateCode: f.template,
		Fallback: upstreampb.Fallback(fb), ImageUrl: f.image, ButtonsJson: f.buttons, Ad: f.ad, Truncate: f.truncate,
	})
	if err != nil {
		return err
	}
	printProto("submit", resp)
	if resp.Status != upstreampb.Status_OK {
		return fmt.Errorf("refused: %s: %s", resp.Status, resp.Reason)
	}
	if f.wait == 0 {
		return nil
	}
	deadline := time.After(f.wait)
	for {
		select {
		case r := <-reports:
			if r.MessageId != resp.MessageId {
				continue // an older message's report, acknowledged all the same
			}
			printProto("report", r)
			if r.State != upstreampb.FinalState_DELIVERED {
				return fmt.Errorf("%w: %s %s %s", errUndelivered, r.State, r.ResultCode, r.ResultReason)
			}
			return nil
		case <-deadline:
			return fmt.Errorf("no final report for %s within %v", resp.MessageId, f.wait)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// printProto prints one line: kind, then the message as JSON with enum
// names and the protocol's field names.
func printProto(kind string, m proto.Message) {
	b, _ := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	fmt.Printf("%s %s\n", kind, b)
}
