package upstream

import (
	"errors"
	"syscall"
)

// tooManyFiles reports an accept error worth waiting out: the process or
// the system is at its file limit, and closing connections frees some.
func tooManyFiles(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}
