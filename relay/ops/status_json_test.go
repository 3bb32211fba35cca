package ops

import (
	"encoding/json"
	"testing"

	"github.com/msgrelay/relay/relay/cluster"
)

// TestClusterStatusJSON pins the cluster section of /status?format=json,
// which scripts read: its keys, their order, and what is left out when
// empty.
func TestClusterStatusJSON(t *testing.T) {
	for _, c := range []struct {
		s    *cluster.Status
		want string
	}{
		{&cluster.Status{Node: "n1", Connected: true, StreamReady: true, Embedded: true, Routes: 2,
			Forwarded: 3, Refused: 4, Read: 5, StateLoaded: true, LiveNodes: []string{"n1", "n2"},
			NumberHeldBy: "n3", StaleWatches: []string{"RELAY_STATE"}},
			`{"node":"n1","connected":true,"stream_ready":true,"embedded":true,"routes":2,` +
				`"receipts_forwarded":3,"receipts_refused":4,"receipts_read":5,"state_loaded":true,` +
				`"live_nodes":["n1","n2"],"number_held_by":"n3","stale_watches":["RELAY_STATE"]}`},
		{&cluster.Status{Node: "n1"},
			`{"node":"n1","connected":false,"stream_ready":false,"embedded":false,"routes":0,` +
				`"receipts_forwarded":0,"receipts_refused":0,"receipts_read":0,"state_loaded":false,"live_nodes":null}`},
	} {
		b, err := json.Marshal(Report{Cluster: c.s})
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Cluster json.RawMessage }
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if string(got.Cluster) != c.want {
			t.Errorf("cluster:\n got %s\nwant %s", got.Cluster, c.want)
		}
	}
	b, err := json.Marshal(Report{})
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	if _, ok := keys["cluster"]; ok {
		t.Errorf("a relay alone shows a cluster: %s", b)
	}
}
