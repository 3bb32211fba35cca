package relay

import (
	"bytes"
	"testing"
)

// A relay without [cluster] runs as before: no node, no NATS connection,
// no cluster metric, and the correlator parks what it does not know.
func TestNoClusterNoNATS(t *testing.T) {
	h := newHarness(t)
	if h.d.cluster != nil || h.d.elsewhere() != nil {
		t.Fatal("a relay without [cluster] joined a cluster")
	}
	var b bytes.Buffer
	h.d.set.WritePrometheus(&b)
	if bytes.Contains(b.Bytes(), []byte("relay_cluster_")) {
		t.Error("a relay without [cluster] exports cluster metrics")
	}
	if h.d.clusterStatus() != nil {
		t.Error("a relay without [cluster] shows a cluster on /status")
	}
}
