package admin

import "github.com/msgrelay/relay/relay/tokenfmt"

// The admin token format is package tokenfmt's, shared with the HTTP API's
// keys: rly_, 22 random base62 characters, a base62 CRC32 checksum.
const (
	TokenPrefix = tokenfmt.Prefix
	TokenLen    = tokenfmt.Len
)

// ErrTokenFormat is returned for a token that does not fit the format.
var ErrTokenFormat = tokenfmt.ErrFormat

// NewToken returns a fresh token in the format.
func NewToken() string { return tokenfmt.New() }

// CheckTokenFormat reports whether tok fits the format: prefix, length,
// alphabet and checksum. It hashes nothing.
func CheckTokenFormat(tok string) error { return tokenfmt.Check(tok) }
