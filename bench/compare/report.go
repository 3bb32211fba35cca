package main

import (
	"fmt"
	"io"
	"slices"
)

// result is one system's figures in one round. CPU figures are µs of user
// + system time per accepted message, over the whole load: SystemCPU for
// the system's own processes (relayd; bearerbox + smsbox), LoaderCPU for
// the loader (relaybench; this program's sendsms and dlr-url side),
// SMSCCPU for smscsim.
type result struct {
	System      string  `json:"system"`
	Round       int     `json:"round"`
	Messages    int64   `json:"messages"`
	Finals      int64   `json:"finals"`
	ReportsPerS float64 `json:"reports_per_s"`
	ReportP50ms float64 `json:"report_p50_ms"`
	SystemCPU   float64 `json:"cpu_us_per_msg"`
	LoaderCPU   float64 `json:"loader_cpu_us_per_msg"`
	SMSCCPU     float64 `json:"smsc_cpu_us_per_msg"`
	PeakRSSMiB  float64 `json:"peak_rss_mib"`
	Lost        int64   `json:"lost"`
	// DoubleBilled: relayd's double billed; for Kannel, a second
	// "delivered" DLR for one message, which would bill it twice.
	DoubleBilled int64 `json:"double_billed"`
}

// report is every round, each system's medians, and the ratios.
type report struct {
	Messages     int                `json:"messages_per_round"`
	ReceiptDelay string             `json:"receipt_delay"`
	Rounds       []result           `json:"rounds"`
	Median       map[string]*result `json:"median"`
	// RateRatio is relayd's median final reports/s over Kannel's;
	// CPURatio is Kannel's median CPU per message over relayd's.
	RateRatio float64 `json:"rate_ratio,omitempty"`
	CPURatio  float64 `json:"cpu_ratio,omitempty"`
}

func summarize(o *options, all []result) report {
	rep := report{Messages: o.n, ReceiptDelay: o.receiptDelay.String(), Rounds: all, Median: map[string]*result{}}
	for _, sys := range []string{"relayd", "kannel"} {
		var rs []result
		for _, r := range all {
			if r.System == sys {
				rs = append(rs, r)
			}
		}
		if len(rs) == 0 {
			continue
		}
		m := &result{System: sys}
		med := func(f func(result) float64) float64 {
			v := make([]float64, len(rs))
			for i, r := range rs {
				v[i] = f(r)
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		m.ReportsPerS = med(func(r result) float64 { return r.ReportsPerS })
		m.ReportP50ms = med(func(r result) float64 { return r.ReportP50ms })
		m.SystemCPU = med(func(r result) float64 { return r.SystemCPU })
		m.LoaderCPU = med(func(r result) float64 { return r.LoaderCPU })
		m.SMSCCPU = med(func(r result) float64 { return r.SMSCCPU })
		m.PeakRSSMiB = med(func(r result) float64 { return r.PeakRSSMiB })
		for _, r := range rs {
			m.Messages += r.Messages
			m.Finals += r.Finals
			m.Lost += r.Lost
			m.DoubleBilled += r.DoubleBilled
		}
		rep.Median[sys] = m
	}
	if r, k := rep.Median["relayd"], rep.Median["kannel"]; r != nil && k != nil {
		if k.ReportsPerS > 0 {
			rep.RateRatio = r.ReportsPerS / k.ReportsPerS
		}
		if r.SystemCPU > 0 {
			rep.CPURatio = k.SystemCPU / r.SystemCPU
		}
	}
	return rep
}

func (rep report) print(w io.Writer) {
	fmt.Fprintf(w, "%d SMS per system per round, receipts %s after submit_sm_resp\n\n", rep.Messages, rep.ReceiptDelay)
	head := "| %-7s | %-5s | %13s | %13s | %14s | %13s | %11s | %12s | %4s | %13s |\n"
	row := "| %-7s | %-5s | %13.0f | %13.0f | %14.1f | %13.1f | %11.1f | %12.0f | %4d | %13d |\n"
	fmt.Fprintf(w, head, "system", "round", "final rep./s", "report p50 ms", "CPU µs/msg", "loader µs/msg", "SMSC µs/msg", "peak RSS MiB", "lost", "double billed")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rep.Rounds {
		fmt.Fprintf(w, row, r.System, fmt.Sprint(r.Round), r.ReportsPerS, r.ReportP50ms, r.SystemCPU, r.LoaderCPU, r.SMSCCPU, r.PeakRSSMiB, r.Lost, r.DoubleBilled)
	}
	for _, sys := range []string{"relayd", "kannel"} {
		if m := rep.Median[sys]; m != nil {
			fmt.Fprintf(w, row, m.System, "med.", m.ReportsPerS, m.ReportP50ms, m.SystemCPU, m.LoaderCPU, m.SMSCCPU, m.PeakRSSMiB, m.Lost, m.DoubleBilled)
		}
	}
	if rep.RateRatio > 0 {
		fmt.Fprintf(w, "\nrelayd / Kannel: %.1f× the final reports per second, %.1f× less CPU per message\n", rep.RateRatio, rep.CPURatio)
	}
}
