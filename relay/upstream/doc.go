// Package upstream is the relay's upstream protocol: the framing, the
// server framework that runs it on every customer connection, and (in
// package client) the Go client. The messages are protobuf, defined in
// upstreampb/upstream.proto so that gateways in Java, Python or anything
// else generate their client from the same file. README.md beside this file
// lists every operation, field and status code.
//
// # Framing
//
// A connection, after an optional TLS handshake, is a sequence of frames in
// both directions. Each frame is a 4-byte big-endian body length and a body
// of that many bytes, one encoded upstreampb.Frame:
//
//	 0       1       2       3       4                               4+N
//	┌───────┬───────┬───────┬───────┬───────────────────────────────┐
//	│      N (uint32, big-endian)   │ Frame (protobuf, N bytes)     │
//	└───────┴───────┴───────┴───────┴───────────────────────────────┘
//
//	Frame body:
//	┌──────────────────────┬──────────────────────────────────────────┐
//	│ field 1: seq varint  │ fields 10..30: exactly one operation     │
//	│ (uint32, 0 = none)   │ (oneof: bind, submit, report, ...)       │
//	└──────────────────────┴──────────────────────────────────────────┘
//
// N is at least 1 and at most the receiver's maximum (64 KiB by default,
// announced in BindResp.max_frame_size); the reader checks it before it
// allocates anything, and a frame over it ends the connection after an
// Error frame. HeaderLen, Version and the field numbers of the schema are
// part of the wire format.
//
// # Sessions
//
// The first frame must be a Bind; anything else is answered with an Error
// (UNAUTHENTICATED) and the connection is closed. After BindResp OK the
// client pipelines requests, each with its own seq; answers carry the
// request's seq and may come back in any order. The relay pushes Reports
// (seq 0) and the client acknowledges them with ReportAck.
//
// # Throughput
//
// Each connection has one reader, one writer and a fixed set of submit
// workers (Config.SubmitWorkers). The reader takes a slot of the in-flight
// window (Config.MaxInFlight) for each Submit and queues it; a full window
// stops the reading, which is the backpressure a client sees. A free worker
// takes every queued submit (up to Config.MaxBatch) and makes one
// Handler.SubmitBatch call, so the daemon can make a whole burst durable
// with one group commit instead of one sync per message; several workers
// per connection keep a new batch forming while one waits for its sync.
// Answers of a batch are encoded in one buffer, and the writer flushes only
// when nothing more is queued. The goroutine count is fixed per connection
// whatever the load.
package upstream
