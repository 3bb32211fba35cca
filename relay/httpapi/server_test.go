package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/door"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/tokenfmt"
)

func sms(key, text string) MessageRequest {
	return MessageRequest{IdempotencyKey: key, Product: "sms", Sender: "02-1234-5678", Recipient: "010-1234-5678", Text: text}
}

func TestSendOneSMSThenLookItUp(t *testing.T) {
	f := newFixture(t, Config{})
	one := sms("", "안녕하세요")
	var got SubmitResponse
	resp := f.do("POST", "/v1/messages", demoKey, map[string]string{"Idempotency-Key": "order-1"}, mustJSON(t, one), &got)
	if resp.StatusCode != http.StatusOK || got.Accepted != 1 || len(got.Results) != 1 || got.Results[0].MessageID == "" {
		t.Fatalf("%d %+v", resp.StatusCode, got)
	}
	id, err := message.ParseID(got.Results[0].MessageID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.st.Get(id) // durable before the answer
	if err != nil || m.ClientRef != "order-1" || m.Ingress != message.IngressHTTP || m.Product != message.ProductSMS {
		t.Fatalf("stored %+v %v", m, err)
	}
	var v MessageView
	if resp := f.do("GET", "/v1/messages/"+id.String(), demoKey, nil, nil, &v); resp.StatusCode != http.StatusOK {
		t.Fatalf("get: %d", resp.StatusCode)
	}
	if v.ID != id.String() || v.State != "accepted" || v.Ingress != "http" || v.IdempotencyKey != "order-1" ||
		len(v.Legs) != 1 || v.Legs[0].Channel != "smpp" || v.Legs[0].State != "pending" {
		t.Fatalf("view %+v", v)
	}
	// Another customer's message answers as if it did not exist.
	if resp := f.do("GET", "/v1/messages/"+id.String(), otherKey, nil, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("other customer: %d", resp.StatusCode)
	}
	if resp := f.do("GET", "/v1/messages/nothex", demoKey, nil, nil, nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad id: %d", resp.StatusCode)
	}
}

func TestDuplicateIdempotencyKeys(t *testing.T) {
	f := newFixture(t, Config{})
	var first, again SubmitResponse
	f.do("POST", "/v1/messages", demoKey, nil, mustJSON(t, sms("k-1", "first")), &first)
	f.do("POST", "/v1/messages", demoKey, nil, mustJSON(t, sms("k-1", "second text, same key")), &again)
	if first.Results[0].MessageID == "" || again.Results[0].MessageID != first.Results[0].MessageID ||
		first.Results[0].Duplicate || !again.Results[0].Duplicate {
		t.Fatalf("first %+v, again %+v", first, again)
	}
	// Inside one batch too, and next to a fresh key.
	var batch SubmitResponse
	f.do("POST", "/v1/messages", demoKey, nil, mustJSON(t, batchRequest{Messages: []MessageRequest{
		sms("k-2", "a"), sms("k-2", "b"), sms("k-1", "c")}}), &batch)
	r := batch.Results
	if batch.Accepted != 3 || r[0].Duplicate || !r[1].Duplicate || r[1].MessageID != r[0].MessageID ||
		!r[2].Duplicate || r[2].MessageID != first.Results[0].MessageID {
		t.Fatalf("batch %+v", batch)
	}
	m, err := f.st.ByClientRef("demo", "k-1")
	if err != nil || m.Text != "first" {
		t.Fatalf("k-1 holds %+v %v", m, err)
	}
	// The same key from another customer is another message.
	var other SubmitResponse
	o := sms("k-1", "x")
	o.Sender = "0299998888"
	f.do("POST", "/v1/messages", otherKey, nil, mustJSON(t, o), &other)
	if other.Results[0].Duplicate || other.Results[0].MessageID == first.Results[0].MessageID {
		t.Fatalf("other customer's k-1: %+v", other)
	}
}

func TestBatchWithSomeItemsRefused(t *testing.T) {
	f := newFixture(t, Config{})
	long := sms("long", strings.Repeat("가", 41)) // 82 EUC-KR bytes
	stranger := sms("stranger", "hi")
	stranger.Sender = "0311112222"
	noKey := sms("", "hi")
	badProduct := sms("bad", "hi")
	badProduct.Product = "fax"
	var got SubmitResponse
	resp := f.do("POST", "/v1/messages", demoKey, nil, mustJSON(t, batchRequest{Messages: []MessageRequest{
		sms("ok-1", "hi"), long, stranger, noKey, badProduct, sms("ok-2", "there")}}), &got)
	if resp.StatusCode != http.StatusOK || got.Accepted != 2 || got.Refused != 4 || len(got.Results) != 6 {
		t.Fatalf("%d %+v", resp.StatusCode, got)
	}
	want := []struct{ rule, field, value, limit string }{
		{},
		{door.RuleTooLong, "text", "82", "80"},
		{door.RuleSenderNotRegistered, "sender", "", ""},
		{door.RuleMissingField, "idempotency_key", "", ""},
		{door.RuleInvalidRequest, "product", "fax", ""},
		{},
	}
	for i, w := range want {
		r := got.Results[i]
		if w.rule == "" {
			if r.Error != nil || r.MessageID == "" {
				t.Errorf("item %d: %+v", i, r)
			}
			continue
		}
		if r.MessageID != "" || r.Error == nil || r.Error.Rule != w.rule || r.Error.Field != w.field ||
			(w.value != "" && r.Error.Value != w.value) || (w.limit != "" && r.Error.Limit != w.limit) || r.Error.Reason == "" {
			t.Errorf("item %d: %+v, want %+v", i, r.Error, w)
		}
	}
	for _, ref := range []string{"long", "stranger", "bad"} {
		if m, err := f.st.ByClientRef("demo", ref); err == nil {
			t.Errorf("refused %s was stored: %+v", ref, m)
		}
	}
}

func TestSingleRefusalStatus(t *testing.T) {
	f := newFixture(t, Config{})
	var got SubmitResponse
	resp := f.do("POST", "/v1/messages", demoKey, nil, mustJSON(t, sms("long", strings.Repeat("a", 81))), &got)
	if resp.StatusCode != http.StatusUnprocessableEntity || got.Results[0].Error.Rule != door.RuleTooLong {
		t.Fatalf("%d %+v", resp.StatusCode, got)
	}
	resp = f.do("POST", "/v1/messages", demoKey, map[string]string{"Idempotency-Key": "a"}, mustJSON(t, sms("b", "x")), nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("header and field differ: %d", resp.StatusCode)
	}
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t, Config{})
	body := mustJSON(t, sms("k", "x"))
	unauthorized := func(key string) {
		t.Helper()
		var e errorBody
		resp := f.do("POST", "/v1/messages", key, nil, body, &e)
		if resp.StatusCode != http.StatusUnauthorized || e.Error.Rule != door.RuleUnauthenticated ||
			resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("key %q: %d %+v", key, resp.StatusCode, e)
		}
	}
	// Keys that do not fit the rly_ format are refused before any lookup
	// or hash, and cost nothing of the wrong-key budget.
	for _, key := range []string{"", "rly_wrong", demoKey[:len(demoKey)-1] + "x", strings.Repeat("k", 60000)} {
		unauthorized(key)
	}
	if n := f.keys.lookups.Load(); n != 0 {
		t.Fatalf("%d malformed keys looked up", n)
	}
	if resp := f.do("POST", "/v1/messages", demoKey, nil, mustJSON(t, sms("k0", "x")), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("the right key after malformed ones: %d", resp.StatusCode)
	}
	// Well-formed wrong keys are looked up and use the burst of three:
	// then even the right key waits.
	unauthorized(tokenfmt.New())
	unauthorized(tokenfmt.New())
	f.do("GET", "/v1/messages/0000000000000001", tokenfmt.New(), nil, nil, nil)
	resp := f.do("POST", "/v1/messages", demoKey, nil, body, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after the burst: %d", resp.StatusCode)
	}
}

func TestRequestBounds(t *testing.T) {
	f := newFixture(t, Config{MaxBatch: 3, MaxBody: 8 << 10})
	four := batchRequest{Messages: []MessageRequest{sms("1", "a"), sms("2", "a"), sms("3", "a"), sms("4", "a")}}
	cases := map[string]struct {
		body []byte
		hdr  map[string]string
		code int
	}{
		"too many":        {mustJSON(t, four), nil, http.StatusBadRequest},
		"empty batch":     {[]byte(`{"messages":[]}`), nil, http.StatusBadRequest},
		"both forms":      {[]byte(`{"messages":[{"idempotency_key":"1","product":"sms"}],"text":"x"}`), nil, http.StatusBadRequest},
		"unknown field":   {[]byte(`{"idempotency_key":"1","product":"sms","txt":"x"}`), nil, http.StatusBadRequest},
		"two values":      {[]byte(`{"idempotency_key":"1"} {}`), nil, http.StatusBadRequest},
		"not json":        {[]byte(`product=sms`), nil, http.StatusBadRequest},
		"header on batch": {mustJSON(t, batchRequest{Messages: four.Messages[:1]}), map[string]string{"Idempotency-Key": "x"}, http.StatusBadRequest},
		"too big":         {mustJSON(t, sms("big", strings.Repeat("a", 9<<10))), nil, http.StatusRequestEntityTooLarge},
		"buttons object":  {[]byte(`{"idempotency_key":"b","product":"alimtalk","buttons":{"a":1}}`), nil, http.StatusBadRequest},
	}
	for name, c := range cases {
		var e map[string]any
		resp := f.do("POST", "/v1/messages", demoKey, c.hdr, c.body, &e)
		if resp.StatusCode != c.code || e == nil {
			t.Errorf("%s: %d %v, want %d", name, resp.StatusCode, e, c.code)
		}
	}
	// Nothing of the refused requests was stored.
	for i := 1; i <= 4; i++ {
		if _, err := f.st.ByClientRef("demo", fmt.Sprint(i)); err == nil {
			t.Errorf("message %d was stored", i)
		}
	}
}
