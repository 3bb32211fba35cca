package smppserver

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msgrelay/relay/relay/loopback"
	"github.com/msgrelay/relay/relay/message"
)

// kannelConf binds Kannel's SMPP client to the relay as customer demo,
// with national numbers (TON 2) and message ids compared as strings
// (msg-id-type unset), as an operator would set it up.
func kannelConf(dir string, relayPort, admin, boxes, sendsms int) string {
	return fmt.Sprintf(`group = core
admin-port = %d
admin-password = test
admin-allow-ip = "127.0.0.1"
smsbox-port = %d
box-allow-ip = "127.0.0.1"
log-level = 1
log-file = %q
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = relay
host = 127.0.0.1
port = %d
transceiver-mode = true
smsc-username = demo
smsc-password = demopass
system-type = ""
source-addr-ton = 2
source-addr-npi = 1
source-addr-autodetect = false
dest-addr-ton = 2
dest-addr-npi = 1
max-pending-submits = 10
enquire-link-interval = 30
log-level = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %d
sendsms-port = %d
sendsms-interface = 127.0.0.1
log-level = 1
log-file = %q

group = sendsms-user
username = shop
password = shoppass
`, admin, boxes, filepath.Join(dir, "bearerbox.log"), relayPort, boxes, sendsms, filepath.Join(dir, "smsbox.log"))
}

// TestKannelThroughRelay: Kannel binds to the relay as its SMSC, relays a
// Korean sendsms request through it, and calls its dlr-url with the final
// result the relay sends back as a receipt, matched by the relay's id.
func TestKannelThroughRelay(t *testing.T) {
	bearerbox, err1 := exec.LookPath("bearerbox")
	smsbox, err2 := exec.LookPath("smsbox")
	if err1 != nil || err2 != nil {
		for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
			if _, err := os.Stat(filepath.Join(dir, "bearerbox")); err == nil {
				bearerbox, smsbox, err1, err2 = filepath.Join(dir, "bearerbox"), filepath.Join(dir, "smsbox"), nil, nil
			}
		}
	}
	if err1 != nil || err2 != nil {
		needPeer(t, "Kannel's bearerbox and smsbox (Debian package kannel)")
	}
	h := newHarness(t, Config{})
	_, portStr, _ := net.SplitHostPort(h.addr)
	relayPort, _ := strconv.Atoi(portStr)
	ports, err := loopback.Ports(4)
	if err != nil {
		t.Fatal(err)
	}
	admin, boxes, sendsms, dlrPort := ports[0], ports[1], ports[2], ports[3]

	// Kannel's dlr-url lands here.
	type dlr struct{ status, id, tag string }
	dlrs := make(chan dlr, 16)
	dln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(dlrPort))
	if err != nil {
		t.Fatal(err)
	}
	dsrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		dlrs <- dlr{q.Get("status"), q.Get("id"), q.Get("tag")}
	})}
	var served sync.WaitGroup
	served.Add(1)
	go func() { defer served.Done(); _ = dsrv.Serve(dln) }()
	t.Cleanup(func() { dsrv.Close(); served.Wait() })

	dir := t.TempDir()
	conf := filepath.Join(dir, "kannel.conf")
	if err := os.WriteFile(conf, []byte(kannelConf(dir, relayPort, admin, boxes, sendsms)), 0o600); err != nil {
		t.Fatal(err)
	}
	bb := startPeer(t, dir, "bearerbox", nil, bearerbox, conf)
	waitFor(t, "Kannel to bind to the relay", func() bool {
		if bb.exited() {
			t.Fatalf("bearerbox exited:\n%s", bb.tail())
		}
		h.srv.mu.Lock()
		defer h.srv.mu.Unlock()
		return h.srv.mu.binds["demo"] > 0
	})
	sb := startPeer(t, dir, "smsbox", nil, smsbox, conf)
	status := fmt.Sprintf("http://127.0.0.1:%d/status.txt?password=test", admin)
	waitFor(t, "smsbox to connect to bearerbox", func() bool {
		if sb.exited() {
			t.Fatalf("smsbox exited:\n%s", sb.tail())
		}
		r, err := http.Get(status)
		if err != nil {
			return false
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return strings.Contains(string(b), "smsbox:(none), IP 127.0.0.1")
	})

	const text = "[결제 완료] 주문 1234 결제가 완료되었습니다"
	q := url.Values{
		"username": {"shop"}, "password": {"shoppass"},
		"from": {"0212345678"}, "to": {"01012345678"},
		"text": {text}, "charset": {"UTF-8"}, "coding": {"2"},
		"dlr-mask": {"3"},
		"dlr-url":  {fmt.Sprintf("http://127.0.0.1:%d/dlr?status=%%d&id=%%F&tag=order-1234", dlrPort)},
	}
	send := fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/sendsms?%s", sendsms, q.Encode())
	waitFor(t, "smsbox to take the sendsms", func() bool {
		if sb.exited() {
			t.Fatalf("smsbox exited:\n%s", sb.tail())
		}
		r, err := http.Get(send)
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusAccepted || r.StatusCode == http.StatusOK
	})
	var m *message.Message
	waitFor(t, "the relay to accept Kannel's submit", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.accepted) > 0 {
			m = h.accepted[0]
		}
		return m != nil
	})
	if m.Text != text || m.Recipient != "01012345678" || m.Sender != "0212345678" || m.Ingress != message.IngressSMPP {
		t.Fatalf("accepted %+v", m)
	}
	h.deliver(m.ID, true)
	select {
	case d := <-dlrs:
		if d.status != "1" || d.id != m.ID.String() || d.tag != "order-1234" {
			t.Fatalf("dlr-url got status %q id %q tag %q, want 1 %s order-1234", d.status, d.id, d.tag, m.ID)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no DLR through Kannel\nbearerbox:\n%s", bb.tail())
	}
	h.mu.Lock()
	n := len(h.accepted)
	h.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d messages accepted for one sendsms", n)
	}
}
