package cluster_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/cluster"
	"github.com/msgrelay/relay/relay/customer"
	"github.com/msgrelay/relay/relay/tokenfmt"
)

// apiKeyStatus is node i's HTTP API answer to a lookup made with key: 404
// for a key it takes (no such message), 401 for one it refuses. Asked
// once per expected answer: wrong keys count against the source's budget.
func (w *world) apiKeyStatus(i int, key string) int {
	w.t.Helper()
	req, _ := http.NewRequest("GET", "http://"+w.nodes[i].HTTPAddr()+"/v1/messages/0000000000000001", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// timeUntil asks cond every millisecond, for up to a minute, and sends how
// long after start it first held (or the minute, if it never did).
func timeUntil(start time.Time, cond func() bool) <-chan time.Duration {
	out := make(chan time.Duration, 1)
	go func() {
		for !cond() && time.Since(start) < time.Minute {
			time.Sleep(time.Millisecond)
		}
		out <- time.Since(start)
	}()
	return out
}

// apiKeys: a key added through node 1's admin API authenticates on nodes
// 2 and 3; revoked through node 2's, it is refused on nodes 1 and 3.
func apiKeys(w *world) {
	t := w.t
	key := tokenfmt.New()
	hash := customer.HashAPIKey(key)
	owner := func(i int) string { id, _ := w.nodes[i].Customers().CustomerByAPIKey(key); return id }

	start := time.Now()
	reached := timeUntil(start, func() bool { return owner(1) == "shop" && owner(2) == "shop" })
	if code, body := adminCall(w.nodes[0], "POST", "/api/v1/customers/shop/api-keys", `{"hash":"`+hash+`"}`); code != 200 {
		t.Fatalf("add on node 1: %d %s", code, body)
	}
	kept := time.Since(start)
	t.Logf("an API key added on node 1: the admin call answered in %v, the key in force on nodes 2 and 3 %v after it was sent",
		kept.Round(time.Millisecond), (<-reached).Round(time.Millisecond))
	for _, i := range []int{1, 2} {
		if got := w.apiKeyStatus(i, key); got != http.StatusNotFound {
			t.Errorf("the key on node %d's HTTP API: %d, want 404 (taken, no such message)", i+1, got)
		}
	}
	// The bucket keeps a hash one customer's, whichever node is asked.
	if code, body := adminCall(w.nodes[2], "POST", "/api/v1/customers/kiosk/api-keys", `{"hash":"`+hash+`"}`); code != 409 ||
		!strings.Contains(body, "a key belongs to one customer") {
		t.Errorf("shop's key given to kiosk on node 3: %d %s", code, body)
	}

	start = time.Now()
	reached = timeUntil(start, func() bool { return owner(0) == "" && owner(2) == "" })
	if code, body := adminCall(w.nodes[1], "DELETE", "/api/v1/customers/shop/api-keys/"+hash[7:19], ""); code != 200 {
		t.Fatalf("revoke on node 2: %d %s", code, body)
	}
	kept = time.Since(start)
	t.Logf("an API key revoked on node 2: the admin call answered in %v, the key refused on nodes 1 and 3 %v after it was sent",
		kept.Round(time.Millisecond), (<-reached).Round(time.Millisecond))
	for _, i := range []int{0, 2} {
		if got := w.apiKeyStatus(i, key); got != http.StatusUnauthorized {
			t.Errorf("the revoked key on node %d's HTTP API: %d, want 401", i+1, got)
		}
	}
}

func optOutAlone(d *relay.Daemon, customer, number string) error {
	_, err := d.OptOuts().Add(customer, []string{number})
	return err
}

// movedFromAlone: node 3 runs alone on its data directory for a while,
// and its operator changes things there; restarted in the cluster, it
// moves those changes to the shared state once, where the other nodes
// take them, except where the bucket has its own (it wins). Its drain
// stays its own.
func movedFromAlone(w *world) {
	t := w.t
	w.stop(2)
	alone := *w.cfgs[2]
	alone.Cluster = cluster.Config{}
	d, err := relay.Start(&alone, relay.Options{Logger: w.logger(2)})
	if err != nil {
		t.Fatal(err)
	}
	w.nodes[2] = d
	key := tokenfmt.New()
	for what, err := range map[string]error{
		"kiosk's sender":   d.Customers().AddSender("kiosk", "0315551111"),
		"kiosk's key":      d.Customers().AddAPIKey("kiosk", customer.HashAPIKey(key)),
		"shop's suspended": d.Customers().Suspend("shop", "suspended alone"),
		"kiosk's opt-out":  optOutAlone(d, "kiosk", "01077776666"),
	} {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	if code, body := adminCall(d, "POST", "/api/v1/carriers/shared/drain", ""); code != 200 {
		t.Fatalf("drain alone: %d %s", code, body)
	}
	w.stop(2)

	w.start(2)
	start := time.Now()
	w.waitFor("kiosk's sender, key and opt-out on every node", time.Minute, func() bool {
		for _, n := range w.nodes {
			if id, _ := n.Customers().CustomerByAPIKey(key); id != "kiosk" || !n.Customers().Get("kiosk").HasSender("0315551111") ||
				!n.OptOuts().OptedOut("kiosk", "01077776666") {
				return false
			}
		}
		return true
	})
	t.Logf("changes made alone, on every node within %v of node 3's start", time.Since(start).Round(time.Millisecond))
	// shop's customer entry was in the bucket already: the bucket's stands.
	for i, n := range w.nodes {
		if n.Customers().Get("shop").Suspended {
			t.Errorf("node %d took node 3's suspension made alone over the bucket's state", i+1)
		}
	}
	dir := w.cfgs[2].DataDir
	w.waitFor("the file set aside marked moved", time.Minute, func() bool {
		_, err := os.Stat(filepath.Join(dir, "runtime.moved-to-cluster.json"))
		return err == nil
	})
	for _, name := range []string{"runtime.to-cluster.json", "optout.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s is still there to move", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "optout.moved-to-cluster.jsonl")); err != nil {
		t.Errorf("the opt-out journal is not marked moved: %v", err)
	}
	// The drain is node 3's own, kept in its runtime.json.
	drained := func(i int) bool {
		_, body := adminCall(w.nodes[i], "GET", "/api/v1/status", "")
		return strings.Contains(body, `"drained": true`)
	}
	if !drained(2) || drained(0) || drained(1) {
		t.Errorf("drained on nodes 1-3: %v %v %v, want node 3 alone", drained(0), drained(1), drained(2))
	}
	if code, body := adminCall(w.nodes[2], "POST", "/api/v1/carriers/shared/resume", ""); code != 200 {
		t.Fatalf("resume on node 3: %d %s", code, body)
	}
	// Restarted again, node 3 moves nothing more: kiosk's sender, removed
	// on node 1 since, stays removed.
	if err := w.nodes[0].Customers().RemoveSender("kiosk", "0315551111"); err != nil {
		t.Fatal(err)
	}
	w.stop(2)
	w.start(2)
	w.waitStateLoaded()
	w.waitFor("kiosk's sender removed on every node", time.Minute, func() bool {
		for _, n := range w.nodes {
			if n.Customers().Get("kiosk").HasSender("0315551111") {
				return false
			}
		}
		return true
	})
}
