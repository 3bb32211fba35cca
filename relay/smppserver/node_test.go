package smppserver

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgrelay/relay/relay/message"
)

// nodeModules is where smpp/interop installs node-smpp (npm ci there).
const nodeModules = "../../smpp/interop/node_modules"

// TestNodeESME: node-smpp binds as an ESME and sends UCS2 Korean text, one
// message whole and one in 3 UDH parts; the parts are answered with one id
// and stored as one message, and each message's receipt comes back with
// its id in the text and the TLV.
func TestNodeESME(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		needPeer(t, "node not on PATH")
	}
	if _, err := os.Stat(filepath.Join(nodeModules, "smpp", "package.json")); err != nil {
		needPeer(t, "node-smpp not installed (npm ci in smpp/interop)")
	}
	mods, _ := filepath.Abs(nodeModules)
	script, _ := filepath.Abs("testdata/esme.js")
	h := newHarness(t, Config{})
	_, port, _ := strings.Cut(h.addr, ":")
	p := startPeer(t, t.TempDir(), "esme.js", []string{"NODE_PATH=" + mods}, node, script, port, "demo", "demopass")

	var sub struct {
		Submitted struct {
			Single string
			Parts  []string
		}
	}
	waitFor(t, "esme.js's submits", func() bool {
		for _, l := range p.lines() {
			if strings.HasPrefix(l, `{"submitted"`) {
				return json.Unmarshal([]byte(l), &sub) == nil
			}
		}
		if p.exited() {
			t.Fatalf("esme.js exited:\n%s", p.tail())
		}
		return false
	})
	s, parts := sub.Submitted.Single, sub.Submitted.Parts
	if len(parts) != 3 || parts[0] == "" || parts[1] != parts[0] || parts[2] != parts[0] || s == "" || s == parts[0] {
		t.Fatalf("ids: single %q, parts %q", s, parts)
	}
	want := map[string]string{s: "안녕하세요, 결제가 완료되었습니다."}
	long := ""
	for len([]rune(long)) < 150 {
		long += "결제 금액 12,000원 승인 완료. "
	}
	want[parts[0]] = string([]rune(long)[:150])
	for id, text := range want {
		mid, err := message.ParseID(id)
		if err != nil {
			t.Fatal(err)
		}
		m, err := h.st.Get(mid)
		if err != nil || m.Text != text || m.Recipient != "01012345678" {
			t.Fatalf("message %s: %+v %v", id, m, err)
		}
		h.deliver(mid, true)
	}
	if len(h.accepted) != 2 {
		t.Fatalf("%d messages accepted, want 2", len(h.accepted))
	}
	var fin struct {
		Receipts []struct {
			TextID string `json:"text_id"`
			TLVID  string `json:"tlv_id"`
			Stat   string
			State  int
		}
		Unbound bool
	}
	waitFor(t, "esme.js's receipts", func() bool {
		for _, l := range p.lines() {
			if strings.HasPrefix(l, `{"receipts"`) {
				return json.Unmarshal([]byte(l), &fin) == nil
			}
		}
		if p.exited() {
			t.Fatalf("esme.js exited:\n%s", p.tail())
		}
		return false
	})
	for _, r := range fin.Receipts {
		if _, ok := want[r.TextID]; !ok || r.TLVID != r.TextID || r.Stat != "DELIVRD" || r.State != 2 {
			t.Errorf("receipt %+v", r)
		}
		delete(want, r.TextID)
	}
	if len(want) != 0 || !fin.Unbound {
		t.Fatalf("receipts missing for %v; unbound %v", want, fin.Unbound)
	}
}
