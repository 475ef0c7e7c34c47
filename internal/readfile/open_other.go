//go:build !unix

package readfile

// openFlags is empty where there is no O_NONBLOCK; the Stat before the
// open refuses named pipes there.
const openFlags = 0
