package admin

import (
	"github.com/msgrelay/relay/relay/customer"

	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// browser drives a headless Chromium over the DevTools protocol on a pipe
// (--remote-debugging-pipe): JSON messages, each ended by a NUL byte, that
// the browser reads on its fd 3 and writes on its fd 4.
type browser struct {
	t       *testing.T
	cmd     *exec.Cmd
	w       io.WriteCloser
	session string
	done    chan struct{} // closed when the reader ends

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan cdpReply
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("RELAY_REQUIRE_PEERS") == "1" {
			t.Fatal("chromium is not installed and RELAY_REQUIRE_PEERS=1")
		}
		t.Skip("chromium is not installed")
	}
	toBrowserR, toBrowserW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromBrowserR, fromBrowserW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowserR, fromBrowserW} // fd 3, fd 4
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toBrowserR.Close()
	fromBrowserW.Close()
	b := &browser{t: t, cmd: cmd, w: toBrowserW, done: make(chan struct{}), waiting: map[int]chan cdpReply{}}
	go b.read(fromBrowserR)
	t.Cleanup(b.close)

	var target struct {
		TargetID string `json:"targetId"`
	}
	b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var att struct {
		SessionID string `json:"sessionId"`
	}
	b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att)
	b.session = att.SessionID
	return b
}

func (b *browser) read(r io.ReadCloser) {
	defer close(b.done)
	defer r.Close()
	br := bufio.NewReader(r)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m struct {
			ID int `json:"id"`
			cdpReply
		}
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil || m.ID == 0 {
			continue // an event
		}
		b.mu.Lock()
		ch := b.waiting[m.ID]
		delete(b.waiting, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m.cdpReply
		}
	}
}

// call sends a command and waits up to 20 seconds for its answer.
func (b *browser) call(session, method string, params any, out any) {
	b.t.Helper()
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpReply, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	req := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		req["sessionId"] = session
	}
	msg, _ := json.Marshal(req)
	if _, err := b.w.Write(append(msg, 0)); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	select {
	case rep := <-ch:
		if rep.Error != nil {
			if method == "Runtime.evaluate" && strings.Contains(rep.Error.Message, "navigated or closed") {
				panic(errNavigated) // eval retries on the next page
			}
			b.t.Fatalf("%s: %s", method, rep.Error.Message)
		}
		if out != nil {
			if err := json.Unmarshal(rep.Result, out); err != nil {
				b.t.Fatalf("%s: %v", method, err)
			}
		}
	case <-b.done:
		b.t.Fatalf("%s: browser went away", method)
	case <-time.After(20 * time.Second):
		b.t.Fatalf("%s: no answer in 20s", method)
	}
}

// eval evaluates a JavaScript expression in the page and returns its
// value as a string.
func (b *browser) eval(expr string) string {
	b.t.Helper()
	var res struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	// A page that navigates while an expression runs (a form submit's
	// redirect landing late) fails the evaluation; the expression is asked
	// again of the page that is there now, for up to 30 s (20 tries in a
	// second were too few for a redirect on a busy machine).
	for deadline := time.Now().Add(30 * time.Second); ; {
		if b.evalOnce(expr, &res) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling the page
	}
	if res.ExceptionDetails != nil {
		b.t.Fatalf("eval %q: %s", expr, res.ExceptionDetails.Text)
	}
	if res.Result.Value == nil {
		return ""
	}
	return fmt.Sprint(res.Result.Value)
}

var errNavigated = errors.New("page navigated during evaluation")

// evalOnce evaluates expr once; false if the page navigated meanwhile.
func (b *browser) evalOnce(expr string, res any) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if r != errNavigated {
				panic(r)
			}
			ok = false
		}
	}()
	b.call(b.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, res)
	return true
}

// waitFor polls expr until it is "true", up to 20 seconds.
func (b *browser) waitFor(expr string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b.eval(expr) == "true" {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waited 20s for %s; page: %s %q", expr, b.eval("location.href"), b.eval("document.body ? document.body.innerText : ''"))
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-b.done:
			b.t.Fatal("browser went away")
		}
	}
}

// load waits until the page at path has loaded.
func (b *browser) load(path string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("document.readyState === 'complete' && location.pathname === %q", path))
}

func (b *browser) navigate(url string) {
	b.t.Helper()
	b.call(b.session, "Page.navigate", map[string]any{"url": url}, nil)
}

func (b *browser) close() {
	msg, _ := json.Marshal(map[string]any{"id": 1 << 30, "method": "Browser.close"})
	_, _ = b.w.Write(append(msg, 0))
	exited := make(chan struct{})
	go func() {
		_ = b.cmd.Wait()
		close(exited)
	}()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-exited
	}
	b.w.Close()
	<-b.done
}

func TestMerchantPagesInBrowser(t *testing.T) {
	f := newFixture(t)
	day := time.Date(2026, 11, 18, 2, 0, 0, 0, time.UTC) // 11:00 KST
	ok := f.send("acme", "ok-1", "sms", "01024681357", "delivered", day)
	bad := f.send("acme", "bad-1", "lms", "01024681357", "failed", day.Add(time.Hour))
	other := f.send("acme", "other", "sms", "01099990000", "delivered", day.Add(2*time.Hour))
	hidden := f.send("beta", "beta-1", "sms", "01024681357", "delivered", day)
	f.now = testNow

	b := startBrowser(t)

	// A wrong token is refused.
	b.navigate(f.base + "/ui/")
	b.load("/ui/")
	b.eval(`document.getElementById('token').value = 'not-a-token-at-all'; document.querySelector('#signin button').click(); true`)
	b.waitFor(`document.readyState === 'complete' && document.getElementById('error') !== null`)
	if got := b.eval(`document.getElementById('error').innerText`); !strings.Contains(got, "토큰이 올바르지 않습니다") {
		t.Fatalf("error shown: %q", got)
	}

	// Sign in as acme.
	b.eval(fmt.Sprintf(`document.getElementById('token').value = %q; document.querySelector('#signin button').click(); true`, acmeToken))
	b.load("/ui/home") // sign-in lands on the dashboard
	b.navigate(f.base + "/ui/messages")
	b.load("/ui/messages")
	if got := b.eval(`document.getElementById('who').innerText`); got != "acme-admin (acme)" {
		t.Fatalf("signed in as %q", got)
	}
	if c := b.eval(`document.cookie`); c != "" {
		t.Fatalf("session cookie visible to scripts (not HttpOnly): %q", c)
	}
	// Results on load: the last week, without a search.
	if got := b.eval(`document.getElementById('count') !== null && document.getElementById('csv') !== null`); got != "true" {
		t.Fatalf("no results on load: %q", b.eval(`document.body.innerText`))
	}

	// Search by number and date range.
	b.eval(`document.getElementById('recipient').value = '010-2468-1357';
		document.getElementById('from').value = '2026-11-18';
		document.getElementById('to').value = '2026-11-18';
		document.querySelector('#search button').click(); true`)
	b.waitFor(`document.readyState === 'complete' && location.search.includes('recipient=') && document.getElementById('count') !== null`)
	rows := b.eval(`Array.from(document.querySelectorAll('#results tr.msg')).map(r => r.dataset.id + ' ' + r.querySelector('.state').dataset.state).join('|')`)
	if want := bad.String() + " failed|" + ok.String() + " delivered"; rows != want { // newest first
		t.Fatalf("rows %q, want %q", rows, want)
	}
	text := b.eval(`document.getElementById('results').innerText`)
	if !strings.Contains(text, "handset off") || !strings.Contains(text, "2026-11-18 11:00:00") || strings.Contains(text, hidden.String()) || strings.Contains(text, other.String()) {
		t.Fatalf("results table:\n%s", text)
	}

	// Filter by state.
	b.eval(`document.getElementById('state').value = 'failed'; document.querySelector('#search button').click(); true`)
	b.waitFor(`document.readyState === 'complete' && location.search.includes('state=failed') && document.getElementById('count') !== null`)
	if rows := b.eval(`Array.from(document.querySelectorAll('#results tr.msg')).map(r => r.dataset.id).join('|')`); rows != bad.String() {
		t.Fatalf("failed only: %q", rows)
	}

	// Paging: two to a page, newest first; next, then previous.
	b.navigate(f.base + "/ui/messages?from=2026-11-18&to=2026-11-18&limit=2")
	b.load("/ui/messages")
	ids := `Array.from(document.querySelectorAll('#results tr.msg')).map(r => r.dataset.id).join('|')`
	if got, want := b.eval(ids), other.String()+"|"+bad.String(); got != want {
		t.Fatalf("first page %q, want %q", got, want)
	}
	if got := b.eval(`document.getElementById('total').innerText + ' ' + (document.getElementById('prev') === null)`); got != "3 true" {
		t.Fatalf("total and no newer page on the first: %q", got)
	}
	b.eval(`document.getElementById('next').click(); true`)
	b.waitFor(`document.readyState === 'complete' && location.search.includes('before=')`)
	if got := b.eval(ids); got != ok.String() || b.eval(`document.getElementById('next') === null`) != "true" {
		t.Fatalf("second page %q", got)
	}
	b.eval(`document.getElementById('prev').click(); true`)
	b.waitFor(`document.readyState === 'complete' && location.search.includes('after=')`)
	if got, want := b.eval(ids), other.String()+"|"+bad.String(); got != want {
		t.Fatalf("back to the first page: %q, want %q", got, want)
	}

	// The CSV download of the current filter has every match, not a page.
	csvText := b.eval(`(() => { const x = new XMLHttpRequest(); x.open('GET', document.getElementById('csv').href, false); x.send();
		return x.status + ' ' + x.getResponseHeader('Content-Type') + '\n' + x.responseText; })()`)
	if lines := strings.Split(strings.TrimSpace(csvText), "\n"); len(lines) != 5 || !strings.HasPrefix(lines[0], "200 text/csv") ||
		!strings.Contains(lines[1], "id,customer") || !strings.HasPrefix(lines[2], other.String()) || !strings.HasPrefix(lines[4], ok.String()) {
		t.Fatalf("CSV download:\n%s", csvText)
	}

	// A message's detail with its legs.
	b.eval(`document.querySelector('#results tr.msg[data-id="` + bad.String() + `"] a.detail').click(); true`)
	b.load("/ui/messages/" + bad.String())
	if got := b.eval(`document.getElementById('msg-state').dataset.state + ' ' + document.getElementById('msg-state').innerText + ' | ' + document.getElementById('legs').innerText`); got != "failed 실패 | lms → failed (UNDELIV handset off)" {
		t.Fatalf("detail: %q", got)
	}
	b.navigate(f.base + "/ui/messages/" + hidden.String())
	b.load("/ui/messages/" + hidden.String())
	if got := b.eval(`document.getElementById('error').innerText`); got != "메시지가 없습니다." {
		t.Fatalf("beta's message shown to acme: %q", got)
	}

	// The month's statement: 2 SMS × 9.90 + 0 LMS (the LMS failed) = 19.80
	// → supply 19, VAT 1, total 20. Due 20 business days after 14 Dec,
	// skipping Christmas and New Year's Day.
	b.navigate(f.base + "/ui/statement?month=2026-11")
	b.load("/ui/statement")
	got := b.eval(`['supply','vat','total','billing','due'].map(id => document.getElementById(id).innerText).join(' ')`)
	if got != "19 1 20 2026-12-14 2027-01-13" {
		t.Fatalf("statement totals %q", got)
	}

	// Another customer's statement is refused to acme.
	b.navigate(f.base + "/ui/statement?month=2026-11&customer=beta")
	b.load("/ui/statement")
	if got := b.eval(`document.getElementById('error') ? document.getElementById('error').innerText : ''`); !strings.Contains(got, "고객 beta의 정보를 볼 수 없습니다") {
		t.Fatalf("beta's statement: %q", got)
	}

	// The numbers page lists acme's sender numbers with who registered
	// each, when, and the proof document's reference.
	if err := f.reg.RegisterSender("acme", customer.Registration{Number: "031-555-0101", AddedBy: "ops-kim",
		AddedAt: time.Date(2026, 11, 20, 1, 30, 0, 0, time.UTC), Proof: "KT-2026-112233"}); err != nil {
		t.Fatal(err)
	}
	b.navigate(f.base + "/ui/numbers")
	b.load("/ui/numbers")
	rows = b.eval(`Array.from(document.querySelectorAll('#numbers tbody tr')).map(r => Array.from(r.cells).slice(0, 4).map(c => c.innerText).join(',')).join('|')`)
	if want := "0212345678,config,—,—|0315550101,ops-kim,2026-11-20 10:30,KT-2026-112233"; rows != want {
		t.Fatalf("numbers %q, want %q", rows, want)
	}

	// Signing out ends the session.
	b.navigate(f.base + "/ui/messages")
	b.load("/ui/messages")
	b.eval(`document.querySelector('nav form button').click(); true`)
	b.load("/ui/")
	b.navigate(f.base + "/ui/messages")
	b.load("/ui/")
}
