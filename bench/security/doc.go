// Package security is the relay's attack suite: each test attacks a
// running relayd binary (built from this tree) on loopback, the way a
// hostile client would, and checks the bound that holds it. The numbered
// attacks are the findings of issue 15 (bench/RELIABILITY.md lists each
// with its bound and result); the others guard what already held.
//
// Loopback addresses 127.0.0.1, 127.0.0.2, ... stand for distinct sources.
// Short forms run with `go test ./bench/security`; the full forms (the
// 10,000-connection flood) with RELAY_FAULTS_FULL=1.
package security
