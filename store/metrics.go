package store

import "github.com/VictoriaMetrics/metrics"

// storeMetrics are created once per Store, at Open.
type storeMetrics struct {
	accepted      *metrics.Counter
	acceptDup     *metrics.Counter
	transitions   *metrics.Counter
	illegal       *metrics.Counter
	delivered     *metrics.Counter
	expired       *metrics.Counter
	rcptApplied   *metrics.Counter
	rcptDuplicate *metrics.Counter
	rcptParked    *metrics.Counter
	rcptLate      *metrics.Counter
	rcptInterim   *metrics.Counter
	parkedUnknown *metrics.Counter
	purged        *metrics.Counter
	commitErrors  *metrics.Counter
	commits       *metrics.Counter
	gathered      *metrics.Counter
	groupSize     *metrics.Histogram
	commitSeconds *metrics.Histogram
	recoverOpen   *metrics.Counter
	recoverSecs   *metrics.FloatCounter
}

func newStoreMetrics(set *metrics.Set) *storeMetrics {
	return &storeMetrics{
		accepted:      set.NewCounter(`relay_store_accepted_total`),
		acceptDup:     set.NewCounter(`relay_store_accept_duplicates_total`),
		transitions:   set.NewCounter(`relay_store_transitions_total`),
		illegal:       set.NewCounter(`relay_store_illegal_transitions_total`),
		delivered:     set.NewCounter(`relay_store_billed_total`),
		expired:       set.NewCounter(`relay_store_expired_total`),
		rcptApplied:   set.NewCounter(`relay_store_receipts_total{outcome="applied"}`),
		rcptDuplicate: set.NewCounter(`relay_store_receipts_total{outcome="duplicate"}`),
		rcptParked:    set.NewCounter(`relay_store_receipts_total{outcome="parked"}`),
		rcptLate:      set.NewCounter(`relay_store_receipts_total{outcome="late"}`),
		rcptInterim:   set.NewCounter(`relay_store_receipts_total{outcome="interim"}`),
		parkedUnknown: set.NewCounter(`relay_store_receipts_total{outcome="unknown"}`),
		purged:        set.NewCounter(`relay_store_purged_records_total`),
		commitErrors:  set.NewCounter(`relay_store_commit_errors_total`),
		commits:       set.NewCounter(`relay_store_commits_total`),
		gathered:      set.NewCounter(`relay_store_commit_gathers_total`),
		groupSize:     set.NewHistogram(`relay_store_commit_group_writes`),
		commitSeconds: set.NewHistogram(`relay_store_commit_seconds`),
		recoverOpen:   set.NewCounter(`relay_store_recovered_open_total`),
		recoverSecs:   set.NewFloatCounter(`relay_store_recovery_seconds_total`),
	}
}
