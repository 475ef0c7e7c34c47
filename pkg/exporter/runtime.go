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
	info := newFamily("go_info", "Information about the Go environment.", typeGauge, "version")
	info.set(1, runtime.Version())
	fams := []*family{
		info,
		single("go_goroutines", "Number of goroutines that currently exist.", typeGauge, float64(runtime.NumGoroutine())),
		single("go_threads", "Number of OS threads created.", typeGauge, float64(threads)),
		single("go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes.", typeGauge,
			float64(ms.Alloc)),
		single("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes", typeGauge,
			float64(ms.HeapInuse)),
		single("go_memstats_sys_bytes", "Number of bytes obtained from system. Equals to /memory/classes/total:byte.", typeGauge, float64(ms.Sys)),
		single("go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.", typeGauge, float64(ms.LastGC)/1e9),
	}
	return append(fams, processFamilies()...)
}
