//go:build unix

package readfile

import "syscall"

// openFlags makes opening a named pipe return at once instead of waiting
// for a writer; regular files ignore it.
const openFlags = syscall.O_NONBLOCK
