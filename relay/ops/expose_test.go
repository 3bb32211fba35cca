package ops

import (
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metrics"
)

func TestExpositionHelpText(t *testing.T) {
	set := metrics.NewSet()
	set.NewCounter(`relay_x_total{a="1"}`).Inc()
	set.NewCounter(`relay_y_total`)
	set.NewPrometheusHistogramExt(`relay_z_seconds`, []float64{.1, 1}).Update(.5)
	e := NewExposition(false, map[string]string{"relay_x_total": `X with a \ and
a new line.`, "relay_z_seconds": "Z."})
	e.Add(set.WritePrometheus)
	var b strings.Builder
	e.WritePrometheus(&b)
	got := b.String()
	for _, want := range []string{
		"# HELP relay_x_total X with a \\\\ and\\na new line.\n# TYPE relay_x_total counter\nrelay_x_total{a=\"1\"} 1\n",
		"# HELP relay_y_total\n# TYPE relay_y_total counter\n", // no entry: promtool and the configs tests flag it
		"# TYPE relay_z_seconds histogram\nrelay_z_seconds_bucket{le=\"0.1\"} 0\nrelay_z_seconds_bucket{le=\"1\"} 1\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}

func TestExpositionRuntime(t *testing.T) {
	e := NewExposition(true)
	var b strings.Builder
	e.WritePrometheus(&b)
	got := b.String()
	for _, f := range Families(got) {
		if RuntimeHelp[f] == "" {
			t.Errorf("family %s written without help", f)
		}
	}
	for _, bad := range []string{"go_cgo_calls_count ", "go_cpu_count ", "go_info_ext", "# TYPE process_io_read_bytes_total gauge"} {
		if strings.Contains(got, bad) {
			t.Errorf("runtime metrics still have %q", bad)
		}
	}
	for _, want := range []string{"go_cgo_calls_total ", "go_cpus ", "go_goroutines ", "# TYPE go_cgo_calls_total counter"} {
		if !strings.Contains(got, want) {
			t.Errorf("runtime metrics lack %q", want)
		}
	}
}
