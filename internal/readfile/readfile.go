// Package readfile reads the local files wacheck is given (certificates,
// keys, staples, CA bundles) with the bounds a probe of a server has: only
// regular files, at most a given size, and never an open that blocks. A
// device (/dev/zero), a named pipe without a writer, a socket or a directory
// is refused at once with words a user can act on.
package readfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrTooLarge is returned (wrapped) for a file larger than the limit.
var ErrTooLarge = errors.New("file too large")

// NotRegularError is a path that is not a regular file; What says what it
// is instead: "a directory", "a named pipe", "a device", "a socket".
type NotRegularError struct {
	What string
}

func (e *NotRegularError) Error() string { return e.What }

// TooLargeError is a file over the limit.
type TooLargeError struct {
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("larger than %s", Size(e.Limit))
}

func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// Size writes n bytes as "1 MiB", "64 KiB" or "512 bytes".
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Regular reads the regular file at path, at most limit bytes. A path that
// is not a regular file gets a *NotRegularError, a longer file a
// *TooLargeError; open and read errors are returned as they are
// (*fs.PathError), so errors.Is(err, fs.ErrNotExist) and fs.ErrPermission
// work. The file is opened without blocking (a named pipe that appears in
// place of the file after the check cannot hold the read up) and checked
// again once open.
func Regular(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := regular(st); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The path may have changed since the Stat: check what was opened.
	if st, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := regular(st); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return data, nil
}

func regular(st fs.FileInfo) error {
	m := st.Mode()
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return &NotRegularError{"a directory"}
	case m&fs.ModeNamedPipe != 0:
		return &NotRegularError{"a named pipe"}
	case m&fs.ModeSocket != 0:
		return &NotRegularError{"a socket"}
	case m&fs.ModeDevice != 0:
		return &NotRegularError{"a device"}
	}
	return &NotRegularError{"not a regular file"}
}

// Words is err without the path (a message names the path once), in a
// user's words: "no such file", "permission denied", "a named pipe, not a
// regular file", "larger than 1 MiB". The error kinds stay for errors.Is.
func Words(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var nr *NotRegularError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &words{"no such file", err}
	case errors.Is(err, fs.ErrPermission):
		return &words{"permission denied", err}
	case errors.As(err, &nr) && nr.What != "not a regular file":
		return &words{nr.What + ", not a regular file", err}
	}
	return err
}

// words is an error said in other words, still matching what it wraps.
type words struct {
	msg string
	err error
}

func (w *words) Error() string { return w.msg }
func (w *words) Unwrap() error { return w.err }
