package route

import (
	"slices"
	"testing"

	"github.com/msgrelay/relay/relay/message"
)

func TestServesEveryCarrierPerProduct(t *testing.T) {
	r := newRouter(t, &liveSet{up: map[string]bool{}},
		Config{Products: []string{"lms"}, Carriers: []Weighted{{Name: "c"}}},
		Config{Prefixes: []string{"010"}, Carriers: []Weighted{{Name: "a", Weight: 3}}, Failover: []string{"b"}},
	)
	got := r.Serves()
	if want := []string{"a", "b"}; !slices.Equal(got[message.ProductSMS], want) {
		t.Errorf("sms: %v, want %v", got[message.ProductSMS], want)
	}
	if want := []string{"c", "a", "b"}; !slices.Equal(got[message.ProductLMS], want) {
		t.Errorf("lms: %v, want %v", got[message.ProductLMS], want)
	}
	if len(got) != 2 {
		t.Errorf("products served: %v", got)
	}
}
