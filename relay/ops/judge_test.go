package ops

import (
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/cluster"
)

// A watch of a shared bucket that is not current is a warning: the node
// still works, and learns other nodes' changes late.
func TestJudgeWarnsOfAStaleWatch(t *testing.T) {
	r := Report{Store: StoreStatus{Healthy: true},
		Cluster: &cluster.Status{Node: "n1", Connected: true, StreamReady: true, StaleWatches: []string{"RELAY_STATE"}}}
	r.Judge()
	if !r.Ready || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "RELAY_STATE") {
		t.Errorf("ready %v, warnings %q: want ready with one warning naming RELAY_STATE", r.Ready, r.Warnings)
	}
	r.Cluster.StaleWatches = nil
	r.Judge()
	if len(r.Warnings) != 0 {
		t.Errorf("warnings %q with every watch current", r.Warnings)
	}
}
