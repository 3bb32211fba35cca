package coding

import (
	"errors"
	"fmt"
)

var (
	// ErrUnencodable is wrapped by *UnencodableError.
	ErrUnencodable = errors.New("smpp/coding: character cannot be encoded")
	// ErrUnsupported reports a data_coding this package does not convert.
	ErrUnsupported = errors.New("smpp/coding: unsupported data_coding")
	// ErrMalformed reports octets that are not valid in the coding.
	ErrMalformed = errors.New("smpp/coding: malformed octets")
	// ErrTooManyParts reports a text that needs more than 255 parts.
	ErrTooManyParts = errors.New("smpp/coding: text needs more than 255 parts")
	// ErrBadLimits reports limits too small to hold any character.
	ErrBadLimits = errors.New("smpp/coding: limits too small")
)

// UnencodableError names the first rune of a text that a coding cannot
// represent. Rune is utf8.RuneError for invalid UTF-8.
type UnencodableError struct {
	Rune   rune
	Index  int // index of the rune, counted in runes from 0
	Offset int // byte offset of the rune in the UTF-8 input
	Coding DataCoding
}

func (e *UnencodableError) Error() string {
	return fmt.Sprintf("smpp/coding: %U %q at character %d (byte %d) cannot be encoded in %v",
		e.Rune, e.Rune, e.Index, e.Offset, e.Coding)
}

// Unwrap lets errors.Is match ErrUnencodable.
func (e *UnencodableError) Unwrap() error { return ErrUnencodable }

// MalformedError reports where decoding failed.
type MalformedError struct {
	Offset int // offset of the offending octet
	Coding DataCoding
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("smpp/coding: malformed %v at octet %d", e.Coding, e.Offset)
}

// Unwrap lets errors.Is match ErrMalformed.
func (e *MalformedError) Unwrap() error { return ErrMalformed }
