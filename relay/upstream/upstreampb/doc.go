// Package upstreampb holds the upstream protocol's schema (upstream.proto)
// and the Go code protoc-gen-go generates from it. Regenerate with
// .ci/generated; never edit upstream.pb.go by hand. The framing and the
// rules around these messages are in package relay/upstream.
package upstreampb
