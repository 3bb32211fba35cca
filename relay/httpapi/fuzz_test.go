package httpapi

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeBody: no body panics the decoder; what decodes is 1 to
// maxBatch messages, each of which the door's conversion takes or refuses
// with a rule; and a decoded batch encodes and decodes to itself.
func FuzzDecodeBody(f *testing.F) {
	f.Add([]byte(`{"idempotency_key":"k","product":"sms","sender":"0212345678","recipient":"01012345678","text":"안녕"}`))
	f.Add([]byte(`{"messages":[{"idempotency_key":"k","product":"alimtalk","buttons":[{"name":"a"}],"fallback":"auto"},{"product":"lms"}]}`))
	f.Add([]byte(`{"messages":[],"text":"x"}`))
	f.Add([]byte(`{"buttons":{"a":1}} {}`))
	const maxBatch = 5
	f.Fuzz(func(t *testing.T, b []byte) {
		reqs, single, err := decodeBody(b, maxBatch)
		if err != nil {
			return
		}
		if len(reqs) < 1 || len(reqs) > maxBatch || (single && len(reqs) != 1) {
			t.Fatalf("%d messages, single %v", len(reqs), single)
		}
		for i := range reqs {
			if _, ref := submission(&reqs[i]); ref != nil && ref.Rule == "" {
				t.Fatalf("refusal without a rule: %+v", ref)
			}
		}
		if single {
			return
		}
		again, err := json.Marshal(batchRequest{Messages: reqs})
		if err != nil {
			t.Fatal(err)
		}
		reqs2, _, err := decodeBody(again, maxBatch)
		if err != nil || !reflect.DeepEqual(normalized(reqs), normalized(reqs2)) {
			t.Fatalf("re-encoded batch differs: %v\n%s", err, again)
		}
	})
}

// normalized compacts the raw buttons, which re-encoding may reformat.
func normalized(rs []MessageRequest) []MessageRequest {
	out := make([]MessageRequest, len(rs))
	for i, r := range rs {
		if r.Buttons != nil {
			var v any
			if json.Unmarshal(r.Buttons, &v) == nil {
				r.Buttons, _ = json.Marshal(v)
			}
		}
		out[i] = r
	}
	return out
}
