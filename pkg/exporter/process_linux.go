package exporter

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"sync"
	"syscall"

	"github.com/wacheck/wacheck/internal/readfile"
)

// Bounds of what is read from /proc.
const (
	// maxProcStat bounds /proc/self/stat (a few hundred bytes).
	maxProcStat = 4 << 10
	// maxSysStat bounds /proc/stat, whose btime line follows a line per
	// CPU and one with a count per interrupt (larger: no start time).
	maxSysStat = 1 << 20
	// maxFDCount is where counting /proc/self/fd stops.
	maxFDCount = 1 << 20
	// userHZ is the unit of /proc's times (USER_HZ, 100 on every Linux
	// architecture Go supports).
	userHZ = 100
)

// processFamilies are the process_* metrics, read from /proc as
// client_golang's process collector reads them. A value that cannot be
// read is left out.
func processFamilies() []*family {
	var fams []*family
	g := func(name, help, typ string, v float64) { fams = append(fams, single(name, help, typ, v)) }
	if st, err := readProcStat(); err == nil {
		g("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", typeCounter,
			float64(st.utime+st.stime)/userHZ)
		g("process_virtual_memory_bytes", "Virtual memory size in bytes.", typeGauge, float64(st.vsize))
		g("process_resident_memory_bytes", "Resident memory size in bytes.", typeGauge, float64(st.rss*int64(os.Getpagesize())))
	}
	if t, err := startTime(); err == nil {
		g("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", typeGauge, t)
	}
	if n, err := openFDs(); err == nil {
		g("process_open_fds", "Number of open file descriptors.", typeGauge, float64(n))
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		g("process_max_fds", "Maximum number of open file descriptors.", typeGauge, float64(lim.Cur))
	}
	return fams
}

// procStat is what processFamilies takes from /proc/self/stat.
type procStat struct {
	utime, stime, starttime uint64 // in 1/userHZ s
	vsize                   uint64 // bytes
	rss                     int64  // pages
}

var errProcFormat = errors.New("unexpected /proc format")

// readProcStat parses /proc/self/stat (proc(5)). The command name, field
// 2, is in parentheses and may hold spaces and parentheses: the fields
// after it start after the last ')'.
func readProcStat() (procStat, error) {
	b, err := readfile.Regular("/proc/self/stat", maxProcStat)
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, errProcFormat
	}
	// f[0] is field 3 (state).
	f := bytes.Fields(b[i+1:])
	if len(f) < 22 {
		return procStat{}, errProcFormat
	}
	field := func(n int) uint64 {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = strconv.ParseUint(string(f[n-3]), 10, 64)
		return v
	}
	st := procStat{utime: field(14), stime: field(15), starttime: field(22), vsize: field(23)}
	rss := field(24)
	st.rss = int64(min(rss, 1<<40))
	return st, err
}

// startTime is the process's start, Unix seconds: the boot time (btime of
// /proc/stat) plus the start in ticks since boot. It does not change, so
// it is read once.
var startTime = sync.OnceValues(func() (float64, error) {
	st, err := readProcStat()
	if err != nil {
		return 0, err
	}
	b, err := readfile.Regular("/proc/stat", maxSysStat)
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			btime, err := strconv.ParseUint(string(bytes.TrimSpace(rest)), 10, 64)
			if err != nil {
				return 0, err
			}
			return float64(btime) + float64(st.starttime)/userHZ, nil
		}
	}
	return 0, errProcFormat
})

// openFDs counts the entries of /proc/self/fd, up to maxFDCount.
func openFDs() (int, error) {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0, err
	}
	defer d.Close()
	n := 0
	for n < maxFDCount {
		names, err := d.Readdirnames(1024)
		n += len(names)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}
