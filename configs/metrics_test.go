package configs_test

import (
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestMetricsPassPromtool scrapes /metrics of a live relay and runs
// `promtool check metrics` on it: no problem may be reported, not even the
// lint warnings (missing help, counters without _total).
func TestMetricsPassPromtool(t *testing.T) {
	promtool := tool(t, "promtool")
	d := devRelay(t)
	sendSome(t, d)
	text := get(t, d, "/metrics")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestMetricsExposition checks, without promtool, what Prometheus needs of
// /metrics: le buckets, help text on every family, every set written.
func TestMetricsExposition(t *testing.T) {
	text := get(t, devRelay(t), "/metrics")
	if strings.Contains(text, "vmrange") {
		t.Error("a histogram still has vmrange buckets; Prometheus reads only le")
	}
	help := regexp.MustCompile(`(?m)^# HELP (\S+)(.*)$`)
	families := map[string]bool{}
	for _, m := range help.FindAllStringSubmatch(text, -1) {
		if strings.TrimSpace(m[2]) == "" {
			t.Errorf("family %s has no help text", m[1])
		}
		if families[m[1]] {
			t.Errorf("family %s has two HELP lines", m[1])
		}
		families[m[1]] = true
	}
	typ := regexp.MustCompile(`(?m)^# TYPE (\S+) (counter|gauge|histogram|summary)$`)
	typed := map[string]bool{}
	for _, m := range typ.FindAllStringSubmatch(text, -1) {
		typed[m[1]] = true
	}
	for f := range families {
		if !typed[f] {
			t.Errorf("family %s has no TYPE line", f)
		}
	}
	for _, want := range []string{
		`relay_smpp_response_seconds_bucket{carrier="carrier-a",bind=`,
		`relay_kakao_requests_total{`,
		`relay_kakao_request_duration_seconds_bucket{`,
		`relay_kakao_operator_alerts_total{`,
		`relay_kakao_token_failures_total{`,
		`relay_store_commit_seconds_bucket{le=`,
		`relay_accept_store_seconds_bucket{le=`,
		`relay_data_dir_free_bytes `,
		`process_resident_memory_bytes `,
		`go_goroutines `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", text)
	}
}
