package cluster_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay"
	"github.com/msgrelay/relay/relay/admin"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/settle"
	"github.com/msgrelay/relay/relay/upstream/client"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// TestShared runs the scenarios of what the nodes share besides receipts
// on one world: the customer state, the rate, the statements.
func TestShared(t *testing.T) {
	w := newWorld(t, smpptest.Config{}, func(_ int, cfg *relay.Config) {
		cfg.HTTP.Listen = "127.0.0.1:0"
		cfg.Admin = admin.Config{Listen: "127.0.0.1:0", AuditFile: filepath.Join(cfg.DataDir, "audit.jsonl"),
			Tokens: []admin.TokenConfig{{Name: "ops", Hash: admin.HashToken(operatorToken)}}}
		cfg.Settle = settle.Config{Prices: map[string]settle.Price{"sms": 990, "lms": 3000, "alimtalk": 750,
			"friendtalk_text": 1300, "friendtalk_image": 2000, "payment_alimtalk": 750}}
		kiosk := cfg.Customers[0]
		kiosk.ID, kiosk.Name, kiosk.Senders = "kiosk", "Kiosk", []string{"0315550000"}
		cfg.Customers = append(cfg.Customers, kiosk)
	})
	w.waitStateLoaded()
	// Not subtests: a node a scenario restarts must outlive it (the world
	// stops it at the cleanup of the test that started it).
	sharedState(w)
	apiKeys(w)
	movedFromAlone(w)
	rateShare(w)
	statements(w)
}

// statements: a statement on any node sums every node's billing; a month
// is issuable only once every node reported its final counters of it.
func statements(w *world) {
	t := w.t
	month := time.Now().In(seoul).Format("2006-01")
	msgs, rep := w.send(30)
	w.waitFor("every final report", 5*time.Minute, func() bool { return rep.count() >= len(msgs) })
	// Every node's statement counts are the sum of the nodes' own (taken
	// afresh: an earlier message's receipt may still come in).
	local := func() (total uint64) {
		for _, d := range w.nodes {
			counts, err := d.Store().MonthCounts("shop", month)
			if err != nil {
				t.Fatal(err)
			}
			total += counts[message.ProductSMS]
		}
		return total
	}
	var got [3]uint64
	var want uint64
	w.waitFor("every node's statement counts to sum every node's", time.Minute, func() bool {
		want = local()
		for i, d := range w.nodes {
			counts, err := d.MonthCounts("shop", month)
			if err != nil {
				t.Fatal(err)
			}
			got[i] = counts[message.ProductSMS]
		}
		return want >= 30 && got[0] == want && got[1] == want && got[2] == want
	})
	t.Logf("statement counts %v on nodes 1-3, sum of the stores %d", got, want)

	// Node 3 runs a month behind: its counters of the month before are not
	// final, and no node may issue that month's statement.
	prev := time.Now().In(seoul).AddDate(0, 0, -time.Now().In(seoul).Day()).Format("2006-01")
	w.stop(2)
	w.startWith(2, relay.Options{Now: func() time.Time { return time.Now().AddDate(0, -1, 0) }})
	w.waitFor("node 3's counters of "+prev+" reported not final", time.Minute, func() bool {
		err := w.nodes[0].Issuable(context.Background(), prev)
		return err != nil && strings.Contains(err.Error(), "node n3 has not reported its final counters")
	})
	if err := w.nodes[1].Issuable(context.Background(), prev); err == nil {
		t.Error("node 2 would issue " + prev + " without node 3's final counters")
	}
	if err := w.nodes[0].Issuable(context.Background(), month); err == nil {
		t.Error("the month not over is issuable")
	}
	// Back on time, node 3 reports the month it left unfinished.
	w.stop(2)
	w.start(2)
	w.waitFor(prev+" issuable once node 3 reported it final", time.Minute, func() bool {
		return w.nodes[0].Issuable(context.Background(), prev) == nil
	})

	// Through the admin API, as relayctl statement asks: node 2 shows the
	// cluster's count; a statement issued on node 1 is the one node 2
	// shows, and node 2 cannot issue it again.
	for _, i := range []int{0, 1} {
		w.stop(i)
		w.cfgs[i].Admin = admin.Config{Listen: "127.0.0.1:0", AuditFile: filepath.Join(w.cfgs[i].DataDir, "audit.jsonl"), Tokens: []admin.TokenConfig{{Name: "ops", Hash: admin.HashToken(operatorToken)}}}
		w.cfgs[i].Settle = settle.Config{Prices: map[string]settle.Price{"sms": 990, "lms": 3000, "alimtalk": 750,
			"friendtalk_text": 1300, "friendtalk_image": 2000, "payment_alimtalk": 750}}
		w.start(i)
	}
	var st settle.Statement
	w.waitFor("node 2's statement of "+month+" to count every node's", time.Minute, func() bool {
		code, body := adminCall(w.nodes[1], "GET", "/api/v1/customers/shop/statements/"+month, "")
		return code == 200 && json.Unmarshal([]byte(body), &st) == nil && st.Messages == local()
	})
	w.waitFor(prev+" issuable on node 1", time.Minute, func() bool {
		return w.nodes[0].Issuable(context.Background(), prev) == nil
	})
	path := "/api/v1/customers/shop/statements/" + prev
	if code, body := adminCall(w.nodes[0], "POST", path+"/issue", "{}"); code != 200 {
		t.Fatalf("issue %s on node 1: %d %s", prev, code, body)
	}
	code, body := adminCall(w.nodes[1], "GET", path, "")
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil || st.Status != settle.StatusIssued || st.Version != 1 {
		t.Errorf("node 2 shows %s: %d %s", prev, code, body)
	}
	if code, body := adminCall(w.nodes[1], "POST", path+"/issue", "{}"); code != 409 {
		t.Errorf("node 2 issued %s again: %d %s", prev, code, body)
	}
}

const operatorToken = "rly_Z9SdqiVHxBfCowqSWyoUz70BpiAi"

func adminCall(d *relay.Daemon, method, path, body string) (int, string) {
	req, err := http.NewRequest(method, "http://"+d.AdminAddr()+path, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Authorization", "Bearer "+operatorToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sharedState: a run-time change made on one node is enforced by every
// node, by a node started after it, and survives a reload of the
// configuration file on another node.
func sharedState(w *world) {
	t := w.t

	// Node 3 is down while node 1 changes things.
	w.stop(2)
	const optedOut = "01099998888"
	start := time.Now()
	if err := w.nodes[0].Customers().Suspend("shop", "unpaid invoice"); err != nil {
		t.Fatal(err)
	}
	if n, err := w.nodes[0].OptOuts().Add("shop", []string{optedOut}); err != nil || n != 1 {
		t.Fatalf("opt-out on node 1: %d %v", n, err)
	}
	kept := time.Since(start)
	if !w.nodes[0].Customers().Get("shop").Suspended || !w.nodes[0].OptOuts().OptedOut("shop", optedOut) {
		t.Fatal("node 1 does not enforce its own change at once")
	}
	w.waitFor("node 2 to enforce node 1's changes", time.Minute, func() bool {
		return w.nodes[1].Customers().Get("shop").Suspended && w.nodes[1].OptOuts().OptedOut("shop", optedOut)
	})
	t.Logf("a suspension and an opt-out made on node 1: kept in %v, enforced by node 2 within %v",
		kept.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if st := w.submitStatus(1); st != upstreampb.Status_CUSTOMER_SUSPENDED {
		t.Errorf("a submit on node 2: %v, want CUSTOMER_SUSPENDED", st)
	}

	// Node 3 comes back and reads the state it missed.
	w.start(2)
	w.waitFor("node 3, restarted, to enforce node 1's changes", time.Minute, func() bool {
		return w.nodes[2].Customers().Get("shop").Suspended && w.nodes[2].OptOuts().OptedOut("shop", optedOut)
	})

	// A reload of node 2's file (the customer renamed) keeps the run-time
	// suspension: the file is the starting point, the shared state wins.
	w.stop(1)
	renamed := *w.cfgs[1]
	renamed.Customers = append(renamed.Customers[:0:0], renamed.Customers...)
	renamed.Customers[0].Name = "Shop renamed"
	w.startWith(1, relay.Options{LoadConfig: func() (*relay.Config, error) { c := renamed; return &c, nil }})
	w.waitFor("node 2, restarted, to read the state", time.Minute, func() bool {
		return w.nodes[1].Customers().Get("shop").Suspended
	})
	if _, err := w.nodes[1].Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := w.nodes[1].Customers().Get("shop"); c.Name != "Shop renamed" || !c.Suspended {
		t.Errorf("after a reload on node 2: name %q suspended %v, want the file's name and still suspended", c.Name, c.Suspended)
	}

	// The other way: node 3 lifts the suspension and takes the number off
	// the list; node 1 and node 2 follow, and node 2 sends again.
	if err := w.nodes[2].Customers().Resume("shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.nodes[2].OptOuts().Remove("shop", []string{optedOut}); err != nil {
		t.Fatal(err)
	}
	w.waitFor("nodes 1 and 2 to follow node 3", time.Minute, func() bool {
		for _, d := range w.nodes[:2] {
			if d.Customers().Get("shop").Suspended || d.OptOuts().OptedOut("shop", optedOut) {
				return false
			}
		}
		return true
	})
	if st := w.submitStatus(1); st != upstreampb.Status_OK {
		t.Errorf("a submit on node 2 after the resume: %v, want OK", st)
	}
	if c := w.nodes[1].Customers().Get("shop"); c.Name != "Shop renamed" {
		t.Errorf("node 2 lost its reloaded name applying node 3's change: %q", c.Name)
	}

	// An import of thousands of numbers on node 2 reaches every node.
	var nums []string
	for i := range 1200 {
		nums = append(nums, strconv.Itoa(1020000000+i))
	}
	for i := range nums {
		nums[i] = "0" + nums[i]
	}
	start = time.Now()
	if n, err := w.nodes[1].OptOuts().Add("shop", nums); err != nil || n != len(nums) {
		t.Fatalf("import on node 2: %d %v", n, err)
	}
	kept = time.Since(start)
	w.waitFor("the import on every node", time.Minute, func() bool {
		for _, d := range w.nodes {
			if len(d.OptOuts().Numbers("shop")) != len(nums) {
				return false
			}
		}
		return true
	})
	t.Logf("an import of %d opt-outs on node 2: kept in %v, on every node within %v",
		len(nums), kept.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// rateShare: each live node takes an equal share of a customer's rate,
// split again when a node leaves and when it comes back.
func rateShare(w *world) {
	waitShare := func(what string, n int) {
		w.t.Helper()
		w.waitFor(what, time.Minute, func() bool {
			for _, d := range w.nodes {
				if d != nil && (len(d.LiveNodes()) != n || d.RateShare() != 1/float64(n)) {
					return false
				}
			}
			return true
		})
	}
	waitShare("a third of the rate on each of 3 nodes", 3)
	w.stop(2)
	waitShare("half of the rate on each of the 2 nodes left", 2)
	if live := w.nodes[0].LiveNodes(); live[0] != "n1" || live[1] != "n2" {
		w.t.Errorf("live nodes %v, want n1 n2", live)
	}
	w.start(2)
	waitShare("a third again once node 3 is back", 3)
	w.waitFor("node 3's metrics of the live nodes and the state", time.Minute, func() bool {
		body, err := httpGet("http://" + w.nodes[2].OpsAddr() + "/metrics")
		return err == nil && strings.Contains(body, "\nrelay_cluster_live_nodes 3\n") &&
			strings.Contains(body, "\nrelay_cluster_state_loaded 1\n")
	})
}

// waitStateLoaded waits until every node has read the shared state.
func (w *world) waitStateLoaded() {
	w.t.Helper()
	w.waitFor("the shared state on every node", 90*time.Second, func() bool {
		for _, d := range w.nodes {
			if d == nil || !d.SharedState().Loaded() {
				return false
			}
		}
		return true
	})
}

// startWith starts node i with opts (a logger is added).
func (w *world) startWith(i int, opts relay.Options) {
	w.t.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("RELAY_TEST_LOG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil)).With("node", w.cfgs[i].Cluster.Node)
	}
	d, err := relay.Start(w.cfgs[i], opts)
	if err != nil {
		w.t.Fatal(err)
	}
	w.nodes[i] = d
	w.t.Cleanup(func() { w.stop(i) })
}

// submitStatus submits one SMS through node i and returns its status.
func (w *world) submitStatus(i int) upstreampb.Status {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.Dial(ctx, w.nodes[i].UpstreamAddr(), client.Options{Customer: "shop", Secret: secret, ClientName: "state-test"})
	if err != nil {
		w.t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Submit(ctx, &upstreampb.Submit{Product: upstreampb.Product_PRODUCT_SMS, Text: "state",
		Sender: "0212345678", Recipient: "01012345678"})
	if err != nil {
		w.t.Fatal(err)
	}
	return resp.Status
}
