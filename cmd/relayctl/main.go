// Command relayctl talks to a running relay: it checks a configuration
// file and sends a message, printing its final report.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

const usage = `usage:
  relayctl send [flags]         send one message and wait for its final report
  relayctl statement [flags]    print a customer's monthly statement (JSON or CSV): the issued
                                one, or a preview; -issue / -reissue REASON issues it
  relayctl check-config FILE    validate a relayd configuration file`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "send":
		err = send(os.Args[2:])
	case "statement":
		err = statement(os.Args[2:])
	case "check-config":
		if len(os.Args) != 3 {
			fmt.Fprintln(os.Stderr, usage)
			os.Exit(2)
		}
		_, err = relay.LoadConfig(os.Args[2])
		if err == nil {
			fmt.Println("valid")
		}
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "relayctl:", err)
		os.Exit(1)
	}
}

func send(args []string) error {
	fs := flag.NewFlagSet("send", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:7600", "relay upstream address")
	cust := fs.String("customer", "demo", "customer id")
	secret := fs.String("secret", os.Getenv("RELAY_SECRET"), "customer secret (default $RELAY_SECRET)")
	product := fs.String("product", "auto", "sms, lms, auto, alimtalk, friendtalk_text, friendtalk_image")
	from := fs.String("from", "0212345678", "sender number")
	to := fs.String("to", "01012345678", "recipient number")
	text := fs.String("text", "안녕하세요. 주문하신 상품이 발송되었습니다.", "message text")
	subject := fs.String("subject", "", "LMS subject or Kakao title")
	ref := fs.String("ref", "", "client reference (default: a new one)")
	senderKey := fs.String("sender-key", "", "Kakao sender profile key")
	template := fs.String("template", "", "AlimTalk template code")
	fallback := fs.String("fallback", "none", "Kakao fallback: none, sms, lms, auto")
	wait := fs.Duration("wait", 2*time.Minute, "how long to wait for the final report (0: do not wait)")
	_ = fs.Parse(args)

	p, ok := upstreampb.Product_value["PRODUCT_"+upper(*product)]
	if !ok {
		return fmt.Errorf("unknown product %q", *product)
	}
	fb, ok := upstreampb.Fallback_value["FALLBACK_"+upper(*fallback)]
	if !ok {
		return fmt.Errorf("unknown fallback %q", *fallback)
	}
	if *ref == "" {
		*ref = "relayctl-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	reports := make(chan *upstreampb.Report, 16)
	c, err := client.Dial(ctx, *addr, client.Options{
		Customer: *cust, Secret: *secret, ClientName: "relayctl",
		OnReport: func(r *upstreampb.Report) { reports <- r },
	})
	if err != nil {
		return err
	}
	defer c.Close()
	resp, err := c.Submit(ctx, &upstreampb.Submit{
		ClientRef: *ref, Product: upstreampb.Product(p), Sender: *from, Recipient: *to,
		Text: *text, Subject: *subject, Title: *subject, SenderKey: *senderKey, TemplateCode: *template,
		Fallback: upstreampb.Fallback(fb),
	})
	if err != nil {
		return err
	}
	printJSON("submit", resp)
	if resp.Status != upstreampb.Status_OK {
		return fmt.Errorf("refused: %s", resp.Reason)
	}
	if *wait == 0 {
		return nil
	}
	deadline := time.After(*wait)
	for {
		select {
		case r := <-reports:
			if r.MessageId != resp.MessageId {
				continue // an older message's report, acknowledged all the same
			}
			printJSON("report", r)
			return nil
		case <-deadline:
			return fmt.Errorf("no final report for %s within %v", resp.MessageId, *wait)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func printJSON(kind string, v any) {
	b, _ := json.Marshal(v)
	fmt.Printf("%s %s\n", kind, b)
}

// statement fetches a monthly statement from the admin API of a running
// relay (the store belongs to the daemon while it runs).
func statement(args []string) error {
	fs := flag.NewFlagSet("statement", flag.ExitOnError)
	addr := fs.String("admin", "127.0.0.1:7602", "relay admin API address")
	cust := fs.String("customer", "", "customer id")
	month := fs.String("month", time.Now().Format("2006-01"), "month, YYYY-MM")
	format := fs.String("format", "json", "json or csv")
	token := fs.String("token", os.Getenv("RELAY_ADMIN_TOKEN"), "admin token (default $RELAY_ADMIN_TOKEN)")
	issue := fs.Bool("issue", false, "issue the month's statement (operators; the month must be over)")
	reissue := fs.String("reissue", "", "issue an issued month again, for this reason (operators; audited, both kept)")
	version := fs.Int("version", 0, "an earlier issued version (default: the latest, or a preview if never issued)")
	_ = fs.Parse(args)
	if *cust == "" {
		return fmt.Errorf("-customer is required")
	}
	if *format != "json" && *format != "csv" {
		return fmt.Errorf("-format %q: want json or csv", *format)
	}
	u := url.URL{Scheme: "http", Host: *addr,
		Path: "/api/v1/customers/" + url.PathEscape(*cust) + "/statements/" + url.PathEscape(*month)}
	q := url.Values{}
	if *format == "csv" {
		q.Set("format", "csv")
	}
	if *version > 0 {
		q.Set("version", strconv.Itoa(*version))
	}
	u.RawQuery = q.Encode()
	method, reqBody := http.MethodGet, ""
	if *issue || *reissue != "" {
		b, _ := json.Marshal(map[string]any{"reissue": *reissue != "", "reason": *reissue})
		method, reqBody, u.Path, u.RawQuery = http.MethodPost, string(b), u.Path+"/issue", ""
	}
	req, err := http.NewRequest(method, u.String(), strings.NewReader(reqBody))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+*token)
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	_, err = os.Stdout.Write(body)
	return err
}
