package relay

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/dispatch"
	"github.com/msgrelay/relay/relay/message"
	"github.com/msgrelay/relay/relay/route"
	"github.com/msgrelay/relay/relay/upstream/upstreampb"
	"github.com/msgrelay/relay/smpp/smpptest"
)

// TestSharedAccountReceiptsOnOtherBind: two [[carrier]] entries bind the
// same login of one SMSC, which sends every receipt on a bind other than
// the one its submit went out on: the other entry's. With one account,
// every receipt finds its message whichever entry's bind brings it:
// every message is delivered and billed once, under the entry it went
// out on, and no receipt is left parked or dropped.
func TestSharedAccountReceiptsOnOtherBind(t *testing.T) {
	h := newHarness(t, sharedLogin(1, 0))
	sendShared(t, h, 40)
}

// TestSharedAccountBindQuota: two entries of one account, two binds each,
// and the account's max_binds of 2: the relay never holds more than two
// binds of the login at once, and what both entries send is delivered.
func TestSharedAccountBindQuota(t *testing.T) {
	h := newHarness(t, sharedLogin(2, 2))
	sendShared(t, h, 20)
	if _, most := h.sims["a"].OpenSockets("relay"); most != 2 {
		t.Errorf("at most %d binds of the login open at once, want max_binds 2", most)
	}
}

// sharedLogin makes carriers a1 and a2 bind the same login of simulator
// a, as account "acct", with binds each and the account's max_binds; the
// simulator sends every receipt on a bind other than its submit's.
func sharedLogin(binds, maxBinds int) harnessOpt {
	return func(s *setup) {
		s.sims["a"].Behavior = smpptest.Behavior{ReceiptsElsewhere: true}
		delete(s.sims, "b")
		s.cfg.Carriers = nil
		for _, name := range []string{"a1", "a2"} {
			s.cfg.Carriers = append(s.cfg.Carriers, dispatch.CarrierConfig{Name: name, Account: "acct", Addr: "@a",
				SystemID: "relay", Password: "pw", Binds: binds, MaxBinds: maxBinds, Window: 16, RespIDs: hexIDs(), ReceiptIDs: hexIDs()})
		}
		s.cfg.Routes = []route.Config{{Carriers: []route.Weighted{{Name: "a1", Weight: 1}, {Name: "a2", Weight: 1}}}}
	}
}

// sendShared sends n SMS through h's two entries and checks that each is
// delivered and billed once, under the entry it went out on, and that no
// receipt is left parked or dropped.
func sendShared(t *testing.T, h *harness, n int) {
	t.Helper()
	u := h.connect("shop")
	ids := make([]message.ID, n)
	for i := range ids {
		r := h.submit(u, sms(fmt.Sprintf("shared-%d", i), "안녕하세요"))
		if r.Status != upstreampb.Status_OK {
			t.Fatalf("submit %d: %v", i, r)
		}
		id, err := message.ParseID(r.MessageId)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	delivered := func() (k int) {
		for _, id := range ids {
			if m, _ := h.d.Store().Get(id); m != nil && m.State == message.StateDelivered {
				k++
			}
		}
		return k
	}
	deadline := time.Now().Add(60 * time.Second)
	for delivered() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	parked := h.counter(`relay_store_receipts_total{outcome="parked"}`)
	if k := delivered(); k < n {
		t.Fatalf("%d of %d delivered; %d receipts parked", k, n, parked)
	}
	perEntry := map[string]int{}
	for _, id := range ids {
		m, err := h.d.Store().Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Billed != message.ProductSMS || m.Attempts != 1 {
			t.Errorf("message %s: billed %s after %d attempts", id, m.Billed, m.Attempts)
		}
		perEntry[m.Carrier]++
	}
	if perEntry["a1"] == 0 || perEntry["a2"] == 0 || perEntry["a1"]+perEntry["a2"] != n {
		t.Errorf("messages by carrier entry: %v; want both entries, %d in all", perEntry, n)
	}
	month := h.now.Now().In(time.FixedZone("KST", 9*60*60)).Format("2006-01")
	counts, err := h.d.Store().MonthCounts("shop", month)
	if err != nil {
		t.Fatal(err)
	}
	if counts[message.ProductSMS] != uint64(n) {
		t.Errorf("billed SMS %d, want %d", counts[message.ProductSMS], n)
	}
	// A receipt may overtake its submit_sm_resp on the other bind: it is
	// parked until the answer is recorded, then applied. None is left.
	left, err := h.d.Store().DropStaleParked(context.Background(), h.now.Now().Add(time.Hour), 1000)
	if err != nil || left != 0 {
		t.Errorf("%d of %d parked receipts never found their message (%v)", left, parked, err)
	}
	if dropped := h.counter(`relay_store_receipts_total{outcome="dropped"}`); dropped != 0 {
		t.Errorf("%d parked receipts dropped", dropped)
	}
}

// TestCarrierAccountRules: entries that bind one system_id at one address
// must name one account, and entries of one account must agree on what
// the account allows and how it writes ids. Each refusal names both
// entries, the rule and the values; a configuration without accounts, or
// with the shared one, loads as it did.
func TestCarrierAccountRules(t *testing.T) {
	const base = `data_dir = "DIR/data"
[upstream]
listen = "127.0.0.1:0"
[[route]]
carriers = [{ name = "a", weight = 1 }, { name = "b", weight = 1 }]
[[carrier]]
name = "a"
addr = "127.0.0.1:1"
system_id = "relay"
password = "pw"
max_binds = 2
A
[[carrier]]
name = "b"
addr = "127.0.0.1:1"
system_id = "relay"
password = "pw"
B
`
	for _, c := range []struct {
		name, a, b string
		want       []string
	}{
		{name: "one login, no account", want: []string{`carriers "a" (account "a") and "b" (account "b")`,
			"share system_id relay at 127.0.0.1:1: give them the same account"}},
		{name: "one login, accounts differ", a: `account = "x"`, b: `account = "y"`,
			want: []string{`"a" (account "x") and "b" (account "y")`, "share system_id relay at 127.0.0.1:1"}},
		{name: "one account, max_binds differ", a: `account = "x"`, b: "account = \"x\"\nmax_binds = 3",
			want: []string{`carriers "a" and "b" share account "x" but not max_binds (2 and 3)`}},
		{name: "one account, account_tps differs", a: "account = \"x\"\naccount_tps = 100.0", b: "account = \"x\"\nmax_binds = 2",
			want: []string{`share account "x" but not account_tps (100 and 0)`}},
		{name: "one account, receipt ids differ", a: "account = \"x\"\nreceipt_ids = \"hex\"", b: "account = \"x\"\nmax_binds = 2",
			want: []string{`share account "x" but not receipt_ids (hex and asis)`}},
		{name: "one account", a: `account = "x"`, b: "account = \"x\"\nmax_binds = 2"},
		{name: "the first's name as account", b: "account = \"a\"\nmax_binds = 2"},
		{name: "other logins", b: `system_id = "other"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := strings.NewReplacer("DIR", t.TempDir(), "A\n", c.a+"\n", "B\n", c.b+"\n").Replace(base)
			// A key given twice in a table is refused by the decoder: a
			// case's system_id replaces the base's.
			if strings.Contains(c.b, "system_id") {
				text = strings.Replace(text, "system_id = \"relay\"\npassword = \"pw\"\n"+c.b, "password = \"pw\"\n"+c.b, 1)
			}
			path := filepath.Join(t.TempDir(), "relay.toml")
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(path)
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("load = %v, want valid\n%s", err, text)
				}
				return
			}
			if err == nil {
				t.Fatalf("load = valid, want an error naming %q\n%s", c.want, text)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("load = %v\nwant it to name %q", err, w)
				}
			}
		})
	}
}

// TestReloadAddsEntryToAccount: a reload adds a second entry on carrier
// a's login with a's name as its account, and routes to it alone. The
// SMSC sends its receipts on a's bind: they find the new entry's
// messages, which the store keys under the account from the reload on.
func TestReloadAddsEntryToAccount(t *testing.T) {
	h := newHarness(t, withAdmin, func(s *setup) {
		s.sims["a"].Behavior = smpptest.Behavior{ReceiptsElsewhere: true}
		delete(s.sims, "b")
		s.cfg.Carriers = s.cfg.Carriers[:1]
		s.cfg.Carriers[0].Binds = 1
		s.cfg.Routes = []route.Config{{Carriers: []route.Weighted{{Name: "a", Weight: 1}}}}
	})
	var next *Config
	h.reloadWith(&next)
	next = h.cloneConfig()
	a2 := next.Carriers[0]
	a2.Name, a2.Account = "a2", "a"
	next.Carriers = append(next.Carriers, a2)
	next.Routes = []route.Config{{Carriers: []route.Weighted{{Name: "a2", Weight: 1}}}}
	if code, body := h.adminCall("POST", "/api/v1/reload", ""); code != 200 || !strings.Contains(body, "carrier a2 added") {
		t.Fatalf("reload: %d %s", code, body)
	}
	h.waitFor("a2 bound", func() bool { now, _ := h.sims["a"].OpenSockets("relay"); return now == 2 })
	u := h.connect("shop")
	for i := range 10 {
		r := h.submit(u, sms(fmt.Sprintf("added-%d", i), "안녕하세요"))
		if r.Status != upstreampb.Status_OK {
			t.Fatal(r)
		}
		if rep := h.waitReport(u, r.MessageId); rep.State != upstreampb.FinalState_DELIVERED {
			t.Fatalf("%s: %v", r.MessageId, rep)
		}
		id, err := message.ParseID(r.MessageId)
		if err != nil {
			t.Fatal(err)
		}
		if m, _ := h.d.Store().Get(id); m == nil || m.Carrier != "a2" {
			t.Fatalf("message %s went out on %v", id, m)
		}
	}
}
