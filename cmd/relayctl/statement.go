package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// statementCmd keeps the statement command's own flags (-admin, -token,
// -customer, -month, -format, -issue, -reissue, -version) as they were.
func statementCmd(_ *globals) *cobra.Command {
	return &cobra.Command{
		Use:                "statement -customer ID [-month YYYY-MM] [-format json|csv] [-issue | -reissue REASON] [-version N]",
		Short:              "Print a customer's monthly statement (issued, or a preview), or issue it",
		DisableFlagParsing: true,
		RunE:               func(cmd *cobra.Command, args []string) error { return statement(args) },
	}
}

// statement fetches a monthly statement from the admin API of a running
// relay (the store belongs to the daemon while it runs).
func statement(args []string) error {
	fs := flag.NewFlagSet("statement", flag.ContinueOnError)
	addr := fs.String("admin", "127.0.0.1:7602", "relay admin API address")
	cust := fs.String("customer", "", "customer id")
	month := fs.String("month", time.Now().Format("2006-01"), "month, YYYY-MM")
	format := fs.String("format", "json", "json or csv")
	token := fs.String("token", os.Getenv("RELAY_ADMIN_TOKEN"), "admin token (default $RELAY_ADMIN_TOKEN)")
	issue := fs.Bool("issue", false, "issue the month's statement (operators; the month must be over)")
	reissue := fs.String("reissue", "", "issue an issued month again, for this reason (operators; audited, both kept)")
	version := fs.Int("version", 0, "an earlier issued version (default: the latest, or a preview if never issued)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	if *cust == "" {
		return usagef("-customer is required")
	}
	if *format != "json" && *format != "csv" {
		return usagef("-format %q: want json or csv", *format)
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
