package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// api is the admin API of a running relay.
type api struct {
	base  string
	token string
	out   io.Writer
	hc    *http.Client
}

func (g *globals) api() (*api, error) {
	if g.output != "table" && g.output != "json" {
		return nil, usagef("-o %q: want table or json", g.output)
	}
	if g.token == "" {
		return nil, usagef("an admin token is needed: --token or $RELAY_ADMIN_TOKEN")
	}
	base := g.admin
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &api{base: strings.TrimRight(base, "/"), token: g.token, out: os.Stdout,
		hc: &http.Client{Timeout: 60 * time.Second}}, nil
}

// call makes one request; body, when not nil, is sent as JSON. A status
// other than 2xx is an error carrying the API's {"error": ...} text.
func (a *api) call(method, path string, q url.Values, body any) ([]byte, http.Header, error) {
	if body == nil {
		return a.send(method, path, q, "", nil)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, nil, err
	}
	return a.send(method, path, q, "application/json", bytes.NewReader(b))
}

// send makes one request with a body of the given content type.
func (a *api) send(method, path string, q url.Values, contentType string, rd io.Reader) ([]byte, http.Header, error) {
	u := a.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := a.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, nil, err
	}
	if res.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return nil, nil, fmt.Errorf("%s %s: %s: %s", method, path, res.Status, msg)
	}
	return b, res.Header, nil
}

// get decodes a JSON answer into v.
func (a *api) get(path string, q url.Values, v any) error {
	b, _, err := a.call(http.MethodGet, path, q, nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// emit writes v as indented JSON, or as the table rows make of it.
func emit(w io.Writer, output string, v any, header []string, rows func(add func(...any))) error {
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	rows(func(cells ...any) {
		s := make([]string, len(cells))
		for i, c := range cells {
			s[i] = cellText(c)
		}
		fmt.Fprintln(tw, strings.Join(s, "\t"))
	})
	return tw.Flush()
}

func cellText(c any) string {
	switch v := c.(type) {
	case nil:
		return "-"
	case string:
		if v == "" {
			return "-"
		}
		return v
	case *time.Time:
		if v == nil || v.IsZero() {
			return "-"
		}
		return v.In(kst).Format("2006-01-02 15:04:05 KST")
	case []string:
		if len(v) == 0 {
			return "-"
		}
		return strings.Join(v, ",")
	}
	return fmt.Sprint(c)
}

var kst = time.FixedZone("KST", 9*3600)

func pathEsc(s string) string { return url.PathEscape(s) }

// jsonOrTable decodes an answer into v and, with -o json, writes it as the
// answer; the caller writes the table line.
func jsonOrTable(a *api, g *globals, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	if g.output == "json" {
		_, err := a.out.Write(b)
		return err
	}
	return nil
}
