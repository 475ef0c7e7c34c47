package readfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRegular(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.pem")
	os.WriteFile(small, []byte("hello"), 0o644)
	big := filepath.Join(dir, "big.pem")
	os.WriteFile(big, make([]byte, 2048), 0o644)
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)

	data, err := Regular(small, 1024)
	if err != nil || string(data) != "hello" {
		t.Fatalf("Regular(small) = %q, %v", data, err)
	}
	if data, err := Regular(filepath.Join(dir, "exact"), 5); err == nil {
		t.Errorf("a missing file read: %q", data)
	} else if !errors.Is(err, fs.ErrNotExist) || Words(err).Error() != "no such file" {
		t.Errorf("missing file: %v (words %q)", err, Words(err))
	}
	if _, err := Regular(small, 5); err != nil {
		t.Errorf("a file of exactly the limit is refused: %v", err)
	}

	tests := []struct {
		name, path, words string
		is                error
	}{
		{"too large", big, "larger than 1 KiB", ErrTooLarge},
		{"directory", dir, "a directory, not a regular file", nil},
		{"device", "/dev/zero", "a device, not a regular file", nil},
		{"named pipe without a writer", fifo, "a named pipe, not a regular file", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.path); err != nil {
				t.Skipf("%s: %v", tt.path, err)
			}
			start := time.Now()
			data, err := Regular(tt.path, 1024)
			if took := time.Since(start); took > time.Second {
				t.Errorf("took %s", took)
			}
			if err == nil {
				t.Fatalf("read %d bytes, want an error", len(data))
			}
			if got := Words(err).Error(); got != tt.words {
				t.Errorf("words = %q, want %q", got, tt.words)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
		})
	}
}

func TestPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	p := filepath.Join(t.TempDir(), "secret.pem")
	os.WriteFile(p, []byte("x"), 0)
	_, err := Regular(p, 10)
	if !errors.Is(err, fs.ErrPermission) || !strings.HasPrefix(Words(err).Error(), "permission denied") {
		t.Errorf("err = %v, words %q", err, Words(err))
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{1 << 20: "1 MiB", 4 << 20: "4 MiB", 64 << 10: "64 KiB", 1000: "1000 bytes"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
