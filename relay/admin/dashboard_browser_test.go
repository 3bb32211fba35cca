package admin

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// signIn signs the browser in with token and waits for the dashboard.
func (b *browser) signIn(base, token string) {
	b.t.Helper()
	b.navigate(base + "/ui/")
	b.load("/ui/")
	b.eval(fmt.Sprintf(`document.getElementById('token').value = %q; document.querySelector('#signin button').click(); true`, token))
	b.load("/ui/home")
}

// screenshot saves a PNG of the page to dir and returns it decoded, so a
// page that did not render fails the test.
func (b *browser) screenshot(dir, name string) {
	b.t.Helper()
	var shot struct {
		Data string `json:"data"`
	}
	b.call(b.session, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &shot)
	raw, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		b.t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil || img.Bounds().Dx() < 600 {
		b.t.Fatalf("screenshot %s: %v (%v)", name, err, img)
	}
	if err := os.WriteFile(filepath.Join(dir, name), raw, 0o600); err != nil {
		b.t.Fatal(err)
	}
}

// chartBars reads the chart's bars: day → "count delivered height", and
// the tallest bar's count.
func (b *browser) chartBars() (map[string]string, string) {
	b.t.Helper()
	got := b.eval(`Array.from(document.querySelectorAll('#chart rect.bar')).map(r =>
		r.dataset.day + '=' + r.dataset.count + ' ' + r.dataset.delivered + ' ' + r.getAttribute('height')).join('|')`)
	bars := map[string]string{}
	for _, kv := range strings.Split(got, "|") {
		day, v, _ := strings.Cut(kv, "=")
		bars[day] = v
	}
	return bars, b.eval(`document.getElementById('chart-max').textContent`)
}

// TestDashboardInBrowser: the home page shows today's and this month's
// messages per product with the delivery rate, and a 30-day SVG chart
// whose bars are the counts behind them; the operator sees the total, the
// customer list and each customer's page. Screenshots go to
// $RELAY_SCREENSHOTS if set (a temporary directory otherwise).
func TestDashboardInBrowser(t *testing.T) {
	f := newFixture(t)
	at := func(month, day, hour int) time.Time {
		return time.Date(2026, time.Month(month), day, hour, 0, 0, 0, time.UTC)
	}
	// testNow is 2026-11-26 21:00 KST; the chart runs 10-28 to 11-26.
	for i, s := range []struct {
		cust, product, final string
		at                   time.Time
	}{
		{"acme", "sms", "delivered", at(11, 26, 2)},
		{"acme", "sms", "delivered", at(11, 26, 3)},
		{"acme", "sms", "delivered", at(11, 26, 4)},
		{"acme", "alimtalk", "failed", at(11, 26, 5)},
		{"acme", "lms", "delivered", at(11, 20, 1)},
		{"acme", "lms", "delivered", at(11, 20, 2)},
		{"acme", "sms", "delivered", at(11, 1, 1)},
		{"acme", "sms", "failed", at(10, 30, 1)},
		{"acme", "sms", "delivered", at(10, 20, 1)}, // before the chart
		{"beta", "sms", "delivered", at(11, 25, 1)},
		{"beta", "sms", "delivered", at(11, 25, 2)},
		{"beta", "sms", "failed", at(11, 25, 3)},
		{"beta", "sms", "failed", at(11, 26, 6)},
	} {
		f.send(s.cust, fmt.Sprint("m", i), s.product, "01024681357", s.final, s.at)
	}
	f.now = testNow
	dir := os.Getenv("RELAY_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}

	b := startBrowser(t)
	b.signIn(f.base, acmeToken)
	checkText := func(id, want string) {
		t.Helper()
		if got := b.eval(`document.getElementById('` + id + `').textContent`); got != want {
			t.Errorf("#%s = %q, want %q", id, got, want)
		}
	}
	checkText("today-final", "4")
	checkText("today-delivered", "3")
	checkText("today-rate", "75.0%")
	checkText("month-final", "7")
	checkText("month-rate", "85.7%")
	if got := b.eval(`document.documentElement.lang + ' ' + document.getElementById('asof').textContent`); !strings.HasPrefix(got, "ko ") || !strings.Contains(got, "2026-11-26 21:00 KST") {
		t.Errorf("language and time: %q", got)
	}
	if got := b.eval(`document.querySelectorAll('script').length + ' ' + document.getElementById('today').innerText`); !strings.HasPrefix(got, "0 ") ||
		!strings.Contains(got, "알림톡") || !strings.Contains(got, "성공률") {
		t.Errorf("today's table: %q", got)
	}
	b.screenshot(dir, "dashboard-acme.png")
	// Every bar is its day's count, scaled to the busiest day (4 → 160).
	bars, top := b.chartBars()
	if len(bars) != chartDays || top != "4건" {
		t.Fatalf("%d bars, top %q", len(bars), top)
	}
	want := map[string]string{"2026-11-26": "4 3", "2026-11-20": "2 2", "2026-11-01": "1 1", "2026-10-30": "1 0"}
	for day, v := range bars {
		counts, ok := want[day]
		if !ok {
			counts = "0 0"
		}
		n, _ := strconv.Atoi(strings.Fields(counts)[0])
		if exp := counts + " " + strconv.Itoa(n*chartHeight/4); v != exp {
			t.Errorf("bar %s = %q, want %q", day, v, exp)
		}
	}
	// The delivery rate: a point per day with messages, 100% at the top.
	if got := b.eval(`Array.from(document.querySelectorAll('#chart circle.rate')).map(c => c.dataset.day + '=' + c.getAttribute('cy')).join(' ')`); got != fmt.Sprintf("2026-10-30=%d 2026-11-01=%d 2026-11-20=%d 2026-11-26=%d", chartTop+chartHeight, chartTop, chartTop, chartTop+chartHeight/4) {
		t.Errorf("rate points %q", got)
	}
	// acme may not look at beta.
	b.navigate(f.base + "/ui/home?customer=beta")
	b.waitFor(`document.readyState === 'complete' && location.search.includes('beta')`)
	if got := b.eval(`document.getElementById('error') ? document.getElementById('error').textContent : document.body.innerText`); !strings.Contains(got, "beta") || b.eval(`document.getElementById('chart') === null`) != "true" {
		t.Errorf("acme looking at beta: %q", got)
	}

	// The operator: every customer in total, the list, one customer.
	b.signIn(f.base, opToken)
	checkText("today-final", "5") // acme 4 + beta 1
	checkText("month-final", "11")
	if got := b.eval(`Array.from(document.querySelectorAll('#customers tbody tr')).map(r => Array.from(r.cells).map(c => c.innerText).join(',')).join('|')`); got != "acme,Acme,4,75.0%,7,85.7%|beta,Beta,1,0.0%,4,50.0%" {
		t.Errorf("customer list %q", got)
	}
	if bars, top := b.chartBars(); top != "5건" || bars["2026-11-25"] != "3 2 96" || bars["2026-11-26"] != "5 3 160" {
		t.Errorf("total chart: top %q, 11-25 %q, 11-26 %q", top, bars["2026-11-25"], bars["2026-11-26"])
	}
	b.screenshot(dir, "dashboard-total.png")
	b.eval(`document.querySelector('#customers a[href$="beta"]').click(); true`)
	b.waitFor(`document.readyState === 'complete' && location.search.includes('customer=beta')`)
	checkText("month-final", "4")
	if bars, _ := b.chartBars(); bars["2026-11-25"] != "3 2 160" || bars["2026-11-26"] != "1 0 53" {
		t.Errorf("beta's chart: %v", bars)
	}
}
