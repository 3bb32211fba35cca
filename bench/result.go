package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// Result is a run's figures; with -json relaybench prints it as one
// object.
type Result struct {
	Mode    string `json:"mode"`    // "in-process" or the relay's address
	Ingress string `json:"ingress"` // upstream, http or smpp

	Sent             int64 `json:"sent"`
	Accepted         int64 `json:"accepted"`
	Refused          int64 `json:"refused"`
	Errors           int64 `json:"errors"` // submits that got no answer (connection lost)
	Delivered        int64 `json:"delivered"`
	Failed           int64 `json:"failed"`
	Expired          int64 `json:"expired"`
	Lost             int64 `json:"lost"`
	DuplicateReports int64 `json:"duplicate_reports"`
	DoubleBilled     int64 `json:"double_billed"`
	// BillingMismatch is, in process, the difference between the store's
	// billing counters and a recount of delivered records (0 when they
	// agree), and the counters against the delivered reports.
	BillingMismatch int64 `json:"billing_mismatch"`
	// Billed counts delivered messages by the product they were billed
	// as (a Kakao message that fell back is billed as SMS or LMS).
	Billed map[string]int64 `json:"billed"`

	AcceptedPerS float64 `json:"accepted_per_s"`
	ReportsPerS  float64 `json:"reports_per_s"`
	AcceptP50ms  float64 `json:"accept_p50_ms"`
	AcceptP99ms  float64 `json:"accept_p99_ms"`
	AcceptP999ms float64 `json:"accept_p999_ms"`
	ReportP50ms  float64 `json:"report_p50_ms"`
	ReportP99ms  float64 `json:"report_p99_ms"`

	// RelayPeakRSSMiB is VmHWM: in process it is this whole process, the
	// load generator and the simulated carriers included; against a
	// relayd, that process's (0 without its pid).
	RelayPeakRSSMiB float64 `json:"relay_peak_rss_mib"`

	// CPUPerMsgUs is the CPU time (user + system) spent from the first
	// submit to the last final report, per message sent: in process the
	// whole process, as for RSS; against a relayd, that process's (0
	// without its pid). On a shared machine it varies less than the rates
	// do, so it is the figure to compare trees by.
	CPUPerMsgUs float64 `json:"cpu_us_per_msg"`

	// AllocsPerMsg, in process, is the heap objects the whole process
	// allocated over the same window, per message sent: like the CPU, the
	// loader's and the simulated SMSCs' with the relay's. Unlike the CPU,
	// it does not depend on the machine's load.
	AllocsPerMsg float64 `json:"allocs_per_msg,omitempty"`

	// With Config.CPUSplit (in process), CPUPerMsgUs divided by the share
	// of each part of the process in a CPU profile of the same window: the
	// relay, the loader (upstream client library included), the simulated
	// SMSCs, and the runtime's own goroutines (mostly the collector's
	// background marking, which every part's allocations cause).
	CPURelayUs      float64 `json:"cpu_us_per_msg_relay,omitempty"`
	CPULoaderUs     float64 `json:"cpu_us_per_msg_loader,omitempty"`
	CPUSimulatorUs  float64 `json:"cpu_us_per_msg_simulator,omitempty"`
	CPURuntimeUs    float64 `json:"cpu_us_per_msg_runtime,omitempty"`
	CPUSplitSamples int64   `json:"cpu_split_samples,omitempty"`

	// LoadAvg is the machine's 1-minute load average at the end: figures
	// taken while other work shares the cores are not comparable.
	LoadAvg float64 `json:"load_avg_1m"`

	SendSeconds  float64 `json:"send_seconds"`
	TotalSeconds float64 `json:"total_seconds"`
}

// Progress is the state of a running scenario.
type Progress struct {
	Elapsed                 time.Duration
	Target                  int // messages, 0 for a duration run
	Sent, Accepted, Reports int64
	Draining                bool
}

// WriteTable writes r as an aligned two-column table.
func (r *Result) WriteTable(w io.Writer) {
	row := func(k, f string, v ...any) { fmt.Fprintf(w, "%-22s "+f+"\n", append([]any{k}, v...)...) }
	row("mode", "%s", r.Mode)
	row("ingress", "%s", r.Ingress)
	row("sent", "%d", r.Sent)
	row("accepted", "%d", r.Accepted)
	row("refused", "%d", r.Refused)
	row("errors", "%d", r.Errors)
	row("delivered", "%d", r.Delivered)
	row("failed", "%d", r.Failed)
	row("expired", "%d", r.Expired)
	row("lost", "%d", r.Lost)
	row("duplicate reports", "%d", r.DuplicateReports)
	row("double billed", "%d", r.DoubleBilled)
	row("billing mismatch", "%d", r.BillingMismatch)
	for _, p := range slices.Sorted(maps.Keys(r.Billed)) {
		row("billed as "+p, "%d", r.Billed[p])
	}
	row("accepted/s", "%.0f", r.AcceptedPerS)
	row("final reports/s", "%.0f", r.ReportsPerS)
	row("accept p50/p99/p99.9", "%.2f / %.2f / %.2f ms", r.AcceptP50ms, r.AcceptP99ms, r.AcceptP999ms)
	row("report p50/p99", "%.1f / %.1f ms", r.ReportP50ms, r.ReportP99ms)
	row("relay peak RSS", "%.0f MiB", r.RelayPeakRSSMiB)
	row("CPU per message", "%.1f µs", r.CPUPerMsgUs)
	if r.AllocsPerMsg > 0 {
		row("allocations/message", "%.1f (whole process)", r.AllocsPerMsg)
	}
	if r.CPUSplitSamples > 0 {
		row("  relay / loader", "%.1f / %.1f µs", r.CPURelayUs, r.CPULoaderUs)
		row("  simulator / runtime", "%.1f / %.1f µs (%d samples)", r.CPUSimulatorUs, r.CPURuntimeUs, r.CPUSplitSamples)
	}
	row("load average (1m)", "%.2f", r.LoadAvg)
	row("send / total time", "%.2f s / %.2f s", r.SendSeconds, r.TotalSeconds)
}
