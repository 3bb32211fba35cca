package door

import (
	"bytes"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metrics"
)

func TestMetrics(t *testing.T) {
	set := metrics.NewSet()
	k, err := New(DefaultConfig(), Options{Metrics: set})
	if err != nil {
		t.Fatal(err)
	}
	k.Check(testCustomer(), sms("hi"), noon)
	k.Check(testCustomer(), sms(strings.Repeat("a", 81)), noon)
	k.Check(testCustomer(), sms(strings.Repeat("a", 82)), noon)
	k.Check(nil, sms("hi"), noon)
	var buf bytes.Buffer
	set.WritePrometheus(&buf)
	out := buf.String()
	for _, want := range []string{
		`relay_door_passed_total{product="sms"} 1`,
		`relay_door_refused_total{rule="TOO_LONG"} 2`,
		`relay_door_refused_total{rule="UNAUTHENTICATED"} 1`,
		`relay_door_refused_total{rule="THROTTLED"} 0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q:\n%s", want, out)
		}
	}
	// A second checker on the same set shares the counters instead of panicking.
	if _, err := New(DefaultConfig(), Options{Metrics: set}); err != nil {
		t.Fatal(err)
	}
}
