package exporter

import (
	"runtime"
)

// runtimeFamilies are the Go runtime's and the process's metrics, named
// and described as client_golang's Go and process collectors name them,
// so that dashboards built on those keep working (docs/metrics.md lists
// them).
func runtimeFamilies() []*family {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	threads, _ := runtime.ThreadCreateProfile(nil)
	g := func(name, help string, v float64) *family {
		f := newFamily(name, help, typeGauge)
		f.set(v)
		return f
	}
	info := newFamily("go_info", "Information about the Go environment.", typeGauge, "version")
	info.set(1, runtime.Version())
	fams := []*family{
		info,
		g("go_goroutines", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine())),
		g("go_threads", "Number of OS threads created.", float64(threads)),
		g("go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes.",
			float64(ms.Alloc)),
		g("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes",
			float64(ms.HeapInuse)),
		g("go_memstats_sys_bytes", "Number of bytes obtained from system. Equals to /memory/classes/total:byte.", float64(ms.Sys)),
		g("go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.", float64(ms.LastGC)/1e9),
	}
	return append(fams, processFamilies()...)
}
