// Package ops is the relay's operations side: the Prometheus exposition of
// every metric set with help text, and the gauges of the host the relay
// needs to watch (the free bytes of its data directory).
//
// # Help text
//
// The metrics library writes `# HELP name` without text when asked for
// metadata. Each package that makes metrics keeps a table of its families'
// help text next to where it makes them (smpp.MetricHelp,
// kakaobiz.MetricHelp, store.MetricHelp, ...); Exposition fills the HELP
// lines from the union of those tables. A family with no entry keeps an
// empty HELP line, which `promtool check metrics` flags and the tests in
// configs/ fail on: a new metric needs its help text in its package's table.
//
// The library's Go and process metrics go through the same writer: the
// families promtool would flag are renamed (go_cgo_calls_count becomes
// go_cgo_calls_total), retyped (process_io_read_bytes_total is a counter)
// or dropped, and only the families in RuntimeHelp are written.
package ops
