// Package tokenfmt is the one format of the relay's generated bearer
// tokens: admin tokens and HTTP API keys. A presented token is checked
// against it before anything is hashed or looked up.
package tokenfmt

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
	Prefix        = "rly_"
	randLen       = 22
	crcLen        = 6
	Len           = len(Prefix) + randLen + crcLen
	base62Digits  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	base62Rejects = 256 - 256%62 // bytes at or above this would bias the digits
)

// ErrFormat is returned for a token that does not fit the format.
var ErrFormat = errors.New("tokenfmt: token does not fit the rly_ format")

// New returns a fresh token in the format.
func New() string {
	b := make([]byte, 0, Len)
	b = append(b, Prefix...)
	var buf [64]byte
	for len(b) < len(Prefix)+randLen {
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails
		for _, c := range buf {
			if c < base62Rejects && len(b) < len(Prefix)+randLen {
				b = append(b, base62Digits[int(c)%62])
			}
		}
	}
	return string(appendCRC(b))
}

// appendCRC appends the base62 CRC32 of b, zero-padded to six digits.
func appendCRC(b []byte) []byte {
	v := crc32.ChecksumIEEE(b)
	var d [crcLen]byte
	for i := crcLen - 1; i >= 0; i-- {
		d[i] = base62Digits[v%62]
		v /= 62
	}
	return append(b, d[:]...)
}

// Check reports whether tok fits the format: prefix, length,
// alphabet and checksum. It hashes nothing.
func Check(tok string) error {
	if len(tok) != Len || tok[:len(Prefix)] != Prefix {
		return fmt.Errorf("%w: want %s and %d base62 characters", ErrFormat, Prefix, Len-len(Prefix))
	}
	for i := len(Prefix); i < len(tok); i++ {
		c := tok[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return fmt.Errorf("%w: character %d is not base62", ErrFormat, i)
		}
	}
	body := len(tok) - crcLen
	if string(appendCRC([]byte(tok[:body]))[body:]) != tok[body:] {
		return fmt.Errorf("%w: checksum does not match", ErrFormat)
	}
	return nil
}

// Seal makes a token of a fixed 22-character base62 body, for test and
// bench keys that must be the same in every run; real tokens come from New.
func Seal(body string) (string, error) {
	tok := string(appendCRC([]byte(Prefix + body)))
	if err := Check(tok); err != nil {
		return "", err
	}
	return tok, nil
}
