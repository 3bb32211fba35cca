package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/msgrelay/relay/relay/httpapi"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
)

// httpLoad posts the run's messages to the HTTP API in batches; the
// reports still come back over the upstream connections.
type httpLoad struct {
	url    string
	client *http.Client
}

func newHTTPLoad(c *Config, addr string) *httpLoad {
	n := c.Conns * c.HTTPInFlight
	return &httpLoad{url: "http://" + addr + "/v1/messages", client: &http.Client{
		Transport: &http.Transport{MaxIdleConns: n, MaxIdleConnsPerHost: n, DisableCompression: true},
	}}
}

func (h *httpLoad) close() { h.client.CloseIdleConnections() }

// httpSender posts batches of HTTPBatch for customer cust until the run
// is done, one at a time; each result is answered like an upstream submit.
func (l *load) httpSender(ctx context.Context, cust int) {
	key := "Bearer " + benchAPIKey(cust)
	idx := make([]int, 0, l.cfg.HTTPBatch)
	var body struct {
		Messages []httpapi.MessageRequest `json:"messages"`
	}
	var buf bytes.Buffer
	for {
		idx, body.Messages = idx[:0], body.Messages[:0]
		for len(idx) < l.cfg.HTTPBatch {
			i, ok := l.take(ctx)
			if !ok {
				break
			}
			idx = append(idx, i)
			body.Messages = append(body.Messages, asHTTP(l.cfg.message(i, l.t.ref(i))))
			l.t.sent(i)
			l.sent.Add(1)
		}
		if len(idx) == 0 {
			return
		}
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(&body)
		res, err := l.http.post(ctx, key, buf.Bytes())
		if err != nil || len(res.Results) != len(idx) {
			l.t.errors.Add(int64(len(idx)))
			continue
		}
		for j, i := range idx {
			r := &upstreampb.SubmitResp{Status: upstreampb.Status_OK, MessageId: res.Results[j].MessageID}
			if e := res.Results[j].Error; e != nil {
				r.Status, r.Reason = upstreampb.Status_INVALID_REQUEST, e.Rule+": "+e.Reason
			}
			l.t.answered(i, r)
		}
	}
}

func (h *httpLoad) post(ctx context.Context, key string, body []byte) (*httpapi.SubmitResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out httpapi.SubmitResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("bench: HTTP %d: %w", resp.StatusCode, err)
	}
	return &out, nil
}

// asHTTP is an upstream submit as the HTTP API takes it.
func asHTTP(s *upstreampb.Submit) httpapi.MessageRequest {
	m := httpapi.MessageRequest{
		IdempotencyKey: s.ClientRef, Product: message.Product(s.Product).String(),
		Sender: s.Sender, Recipient: s.Recipient, Text: s.Text, Subject: s.Subject, Title: s.Title,
		SenderKey: s.SenderKey, TemplateCode: s.TemplateCode, ImageURL: s.ImageUrl, Ad: s.Ad,
		Truncate: s.Truncate,
	}
	if s.Fallback != upstreampb.Fallback_FALLBACK_NONE {
		m.Fallback = message.Fallback(s.Fallback).String()
	}
	if s.ButtonsJson != "" {
		m.Buttons = json.RawMessage(s.ButtonsJson)
	}
	return m
}
