package kakaobiz

import (
	"strconv"
	"testing"
)

func TestClassifyTable(t *testing.T) {
	want := map[string]Action{
		"1000": Delivered,
		"3018": Fallback, "3019": Fallback, "3020": Fallback, "3021": Fallback,
		"1021": Fallback, "1022": Fallback, "1023": Fallback, "1024": Fallback, "1025": Fallback,
		"3014": FallbackAlert, "3015": FallbackAlert, "3016": FallbackAlert,
		"3025": FallbackAlert, "3027": FallbackAlert, "3030": FallbackAlert, "3999": FallbackAlert,
		"1001": FallbackAlert, "1030": FallbackAlert,
		"3005": Wait,
		"3006": Retry,
		"3008": Fail, "3013": Fail, "4000": Fail, "4999": Fail,
		"2003": Fallback, "3022": Fallback, "9999": Fallback,
		"abc": FallbackAlert, "": FallbackAlert, "7000": FallbackAlert,
	}
	for code, a := range want {
		d := Classify(code)
		if d.Action != a || d.Code != code || d.Reason == "" {
			t.Errorf("Classify(%q) = %+v, want %v", code, d, a)
		}
	}
	http := map[int]Action{401: FallbackAlert, 403: FallbackAlert, 404: Fail, 408: Retry, 409: Wait, 429: Retry, 500: Retry, 503: Retry, 599: Retry}
	for st, a := range http {
		d, ok := classifyHTTP(st)
		if !ok || d.Action != a || d.Code != "http "+strconv.Itoa(st) {
			t.Errorf("classifyHTTP(%d) = %+v, %v; want %v", st, d, ok, a)
		}
	}
	if _, ok := classifyHTTP(200); ok {
		t.Error("200 must be decided by the body's code")
	}
	for _, c := range []int{codeTimeout, codeConn, codeGarbage} {
		if d := classifyTransport(c); d.Action != Retry || d.Code == "" {
			t.Errorf("classifyTransport(%d) = %+v, want Retry", c, d)
		}
	}
}

// Every row of the table is reachable: no row is hidden by an earlier one.
func TestPolicyRowsReachable(t *testing.T) {
	for i, r := range policy {
		if r.lo > r.hi || r.reason == "" || r.action == 0 {
			t.Fatalf("row %d malformed: %+v", i, r)
		}
		hit := false
		for c := r.lo; c <= r.hi && !hit; c++ {
			got, _ := lookupRule(r.src, c)
			hit = got == r
		}
		if !hit {
			t.Errorf("row %d (%d..%d) is shadowed", i, r.lo, r.hi)
		}
	}
}

func TestActionString(t *testing.T) {
	if !Fallback.FallsBack() || !FallbackAlert.Final() || Wait.Final() || Retry.Final() || Delivered.FallsBack() || !Fail.Final() {
		t.Fatal("Action predicates")
	}
	if Delivered.String() != "delivered" || FallbackAlert.String() != "fallback_alert" || Action(99).String() != "unknown" {
		t.Fatal("Action names")
	}
}
