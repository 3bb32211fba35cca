// Package faults is the relay's crash, fault and bad-input suite. Its tests
// prove the relay's two promises under faults: every acknowledged message
// ends with exactly one final result, and none is billed twice.
//
// The helpers here are what the tests share:
//
//	Relayd    the real daemon binary, started, SIGKILLed and restarted
//	Carriers  simulated SMSCs that outlive the relay, on fixed ports
//	Loader    upstream submitters that reconnect and resubmit by client_ref
//	Check     the oracle: reads the relay's store after the run
//
// The oracle's figures are those of bench.Result where they overlap: lost,
// double_billed, plus handset duplicates (the same message submitted to a
// carrier more than once), counted at the carriers.
//
// Short forms of every scenario run with `go test ./bench/faults`; the
// full forms with RELAY_FAULTS_FULL=1 (see bench/RELIABILITY.md).
package faults

import (
	"os"
	"testing"
)

// Full reports whether the full (long) forms of the scenarios should run.
func Full() bool { return os.Getenv("RELAY_FAULTS_FULL") != "" }

// Pick returns full in the full form, short otherwise.
func Pick[T any](short, full T) T {
	if Full() {
		return full
	}
	return short
}

// SkipShort skips a test that builds and runs binaries under -short.
func SkipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the relay binary")
	}
}
