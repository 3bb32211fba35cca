package flatjson

import (
	"encoding/json"
	"strings"
	"testing"
)

func members(t testing.TB, b []byte) (map[string]Value, error) {
	m := map[string]Value{}
	err := Scan(b, func(k []byte, v Value) bool {
		v.Raw = append([]byte(nil), v.Raw...)
		m[string(k)] = v
		return true
	})
	return m, err
}

func TestScan(t *testing.T) {
	m, err := members(t, []byte(` {"code":"1000", "n":-1.5e3,"ok":true,"no":null,"o":{"a":[1,{"b":"}"}]},"s":"a\"\\\/\n\u00e9\ud83d\ude00\ud800x","\u0063id":"k"} `))
	if err != nil {
		t.Fatal(err)
	}
	if m["code"].Str() != "1000" || m["s"].Str() != "a\"\\/\né😀\ufffdx" || m["cid"].Str() != "k" ||
		m["n"].Kind != Number || m["ok"].Kind != Bool || m["no"].Kind != Null || string(m["o"].Raw) != `{"a":[1,{"b":"}"}]}` {
		t.Fatalf("%v", m)
	}
	for _, bad := range []string{``, `{`, `}`, `[]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":01}`, `{"a":1.}`, `{"a":"\x"}`,
		`{"a":"` + "\x01" + `"}`, `{"a":tru}`, `{"a":1} x`, `{"a":[1,]}`, `{"a":{"b"}}`, `{"a":"\u12"}`,
		`{"a":` + strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1) + `}`} {
		if _, err := members(t, []byte(bad)); err != ErrSyntax {
			t.Errorf("Scan(%q) = %v, want ErrSyntax", bad, err)
		}
	}
}

// FuzzScan checks Scan against encoding/json: whatever Scan accepts,
// encoding/json accepts with the same members and string values; an
// object encoding/json accepts (within MaxDepth) Scan accepts too. Each
// input is also scanned from a buffer built of its two halves.
func FuzzScan(f *testing.F) {
	f.Add([]byte(`{"code":"1000","message":"ok","uid":"K1"}`))
	f.Add([]byte(`{"a":[1,2,{"b":null}],"c":"\u00e9\ud83d\ude00","d":-0.5E+2}`))
	f.Add([]byte(`{"a":"\xff\ud800"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		joined := append(append([]byte{}, b[:len(b)/2]...), b[len(b)/2:]...)
		m, err := members(t, joined)
		var ref map[string]any
		isObject := json.Valid(b) && b[skipWS(b, 0)] == '{'
		refErr := json.Unmarshal(b, &ref)
		if err != nil {
			shallow := strings.Count(string(b), "[")+strings.Count(string(b), "{") <= MaxDepth
			if refErr == nil && isObject && shallow {
				t.Fatalf("Scan refused %q that encoding/json accepts", b)
			}
			return
		}
		if refErr != nil || !isObject {
			t.Fatalf("Scan accepted %q: encoding/json says %v", b, refErr)
		}
		for k, v := range m {
			if v.Kind == String {
				if s, _ := ref[k].(string); s != v.Str() {
					// encoding/json keeps the last duplicate key; so do we in m.
					t.Fatalf("key %q: %q, encoding/json %q", k, v.Str(), s)
				}
			}
		}
	})
}

func BenchmarkScan(b *testing.B) {
	body := []byte(`{"code":"1000","message":"success","uid":"K123456","cid":"0194f3a2b1c00001","received_at":"2026-03-02T10:00:00+09:00"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		_ = Scan(body, func(k []byte, v Value) bool { return true })
	}
}

// TestStrEscaped: an escaped string is unescaped in one allocation, the
// string itself, and one longer than Str's stack buffer comes out whole.
func TestStrEscaped(t *testing.T) {
	short := Value{Kind: String, Raw: []byte(`\uce74\uce74\uc624\ud1a1 \uc0ac\uc6a9\uc790`), esc: true}
	if s := short.Str(); s != "카카오톡 사용자" {
		t.Fatalf("Str = %q", s)
	}
	if n := testing.AllocsPerRun(100, func() { _ = short.Str() }); n != 1 {
		t.Errorf("Str of an escaped string: %v allocations, want 1", n)
	}
	long := Value{Kind: String, Raw: []byte(strings.Repeat(`\u00e9x`, 200)), esc: true}
	if s := long.Str(); s != strings.Repeat("éx", 200) {
		t.Fatalf("long Str = %q", s)
	}
}
