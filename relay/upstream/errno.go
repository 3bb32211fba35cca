package upstream

import "syscall"

// errTooManyFiles is the accept error worth waiting out: the process is at
// its file limit and closing connections will free some.
var errTooManyFiles = syscall.EMFILE
