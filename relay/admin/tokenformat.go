package admin

import (
	"crypto/rand"
	"errors"
	"fmt"
	"hash/crc32"
)

// The token format, like GitHub's: a prefix that names it, random base62,
// and a base62 CRC32 checksum of the two, so a typo or a guess that does
// not fit is refused without any hashing or lookup.
//
//	rly_ 7Hq0...(22 base62: ≥ 131 random bits) 0aZ9xQ (6 base62: CRC32 of the first 26)
const (
	TokenPrefix   = "rly_"
	tokenRandLen  = 22
	tokenCRCLen   = 6
	TokenLen      = len(TokenPrefix) + tokenRandLen + tokenCRCLen
	base62Digits  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	base62Rejects = 256 - 256%62 // bytes at or above this would bias the digits
)

// ErrTokenFormat is returned for a token that does not fit the format.
var ErrTokenFormat = errors.New("admin: token does not fit the rly_ format")

// NewToken returns a fresh token in the format.
func NewToken() string {
	b := make([]byte, 0, TokenLen)
	b = append(b, TokenPrefix...)
	var buf [64]byte
	for len(b) < len(TokenPrefix)+tokenRandLen {
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails
		for _, c := range buf {
			if c < base62Rejects && len(b) < len(TokenPrefix)+tokenRandLen {
				b = append(b, base62Digits[int(c)%62])
			}
		}
	}
	return string(appendCRC(b))
}

// appendCRC appends the base62 CRC32 of b, zero-padded to six digits.
func appendCRC(b []byte) []byte {
	v := crc32.ChecksumIEEE(b)
	var d [tokenCRCLen]byte
	for i := tokenCRCLen - 1; i >= 0; i-- {
		d[i] = base62Digits[v%62]
		v /= 62
	}
	return append(b, d[:]...)
}

// CheckTokenFormat reports whether tok fits the format: prefix, length,
// alphabet and checksum. It hashes nothing.
func CheckTokenFormat(tok string) error {
	if len(tok) != TokenLen || tok[:len(TokenPrefix)] != TokenPrefix {
		return fmt.Errorf("%w: want %s and %d base62 characters", ErrTokenFormat, TokenPrefix, TokenLen-len(TokenPrefix))
	}
	for i := len(TokenPrefix); i < len(tok); i++ {
		c := tok[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return fmt.Errorf("%w: character %d is not base62", ErrTokenFormat, i)
		}
	}
	body := len(tok) - tokenCRCLen
	if string(appendCRC([]byte(tok[:body]))[body:]) != tok[body:] {
		return fmt.Errorf("%w: checksum does not match", ErrTokenFormat)
	}
	return nil
}
