package cluster

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TestQuorum: a leader that has not heard lately from its peers answers
// for a stream that could not keep a receipt; the probe does not take its
// word for it.
func TestQuorum(t *testing.T) {
	peer := func(current bool, active time.Duration) *jetstream.PeerInfo {
		return &jetstream.PeerInfo{Name: "p", Current: current, Active: active}
	}
	for _, tc := range []struct {
		name string
		c    *jetstream.ClusterInfo
		ok   bool
	}{
		{"one server", nil, true},
		{"R1 in a cluster", &jetstream.ClusterInfo{Leader: "a"}, true},
		{"all heard", &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(true, time.Second), peer(true, 0)}}, true},
		{"one silent", &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(true, time.Second), peer(true, 8*time.Second)}}, true},
		{"both silent", &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(true, 5*time.Second), peer(true, 8*time.Second)}}, false},
		{"one behind, one offline", &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(false, 0), {Current: true, Offline: true}}}, false},
		{"no leader", &jetstream.ClusterInfo{Replicas: []*jetstream.PeerInfo{peer(true, 0), peer(true, 0), peer(true, 0)}}, false},
		{"R5, two heard", &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(true, 0), peer(true, 0), peer(false, 0), peer(false, 0)}}, true},
		{"R5, one heard", &jetstream.ClusterInfo{Leader: "a", Replicas: []*jetstream.PeerInfo{peer(true, 0), peer(false, 0), peer(false, 0), peer(false, 0)}}, false},
	} {
		if err := quorum(tc.c); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want quorum %v", tc.name, err, tc.ok)
		}
	}
}
